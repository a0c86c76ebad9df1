import { requestRotatedCredential } from '#core/workflows/rotate.ts';
import { provisionDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('requestRotatedCredential', (event: unknown) =>
  requestRotatedCredential(provisionDeps(), event),
);
