import { reportRevocation } from '#core/workflows/revoke.ts';
import { provisionDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('reportRevocation', (event: unknown) =>
  reportRevocation(provisionDeps(), event),
);
