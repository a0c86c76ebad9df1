import { reportRevocation } from '#core/workflows/revoke.ts';
import { revokeStarter, workflowDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('reportRevocation', (event: unknown) =>
  reportRevocation(workflowDeps(), revokeStarter(), event),
);
