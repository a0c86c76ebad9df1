import { sweepOwnerCredentials } from '#core/workflows/revoke.ts';
import { workflowDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('sweepOwnerCredentials', (event: unknown) =>
  sweepOwnerCredentials(workflowDeps(), event),
);
