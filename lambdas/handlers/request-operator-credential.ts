import { requestOperatorCredential } from '#core/operator-tasks.ts';
import { provisionDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('requestOperatorCredential', (event: unknown) =>
  requestOperatorCredential(provisionDeps(), event),
);
