import { requestRotatedCredential } from '#core/workflows/rotate.ts';
import { workflowDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('requestRotatedCredential', (event: unknown) =>
  requestRotatedCredential(workflowDeps(), event),
);
