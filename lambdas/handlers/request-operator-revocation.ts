import { requestOperatorRevocation } from '#core/workflows/revoke.ts';
import { provisionDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('requestOperatorRevocation', (event: unknown) =>
  requestOperatorRevocation(provisionDeps(), event),
);
