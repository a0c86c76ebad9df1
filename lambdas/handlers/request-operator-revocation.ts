import { requestOperatorRevocation } from '#core/workflows/revoke.ts';
import { workflowDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('requestOperatorRevocation', (event: unknown) =>
  requestOperatorRevocation(workflowDeps(), event),
);
