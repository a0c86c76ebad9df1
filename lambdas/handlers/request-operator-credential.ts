import { requestOperatorCredential } from '#core/workflows/provision.ts';
import { workflowDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('requestOperatorCredential', (event: unknown) =>
  requestOperatorCredential(workflowDeps(), event),
);
