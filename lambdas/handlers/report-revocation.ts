import { reportRevocation } from '#core/workflows/revoke.ts';
import { workflowDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('reportRevocation', (event: unknown) =>
  reportRevocation(workflowDeps(), event),
);
