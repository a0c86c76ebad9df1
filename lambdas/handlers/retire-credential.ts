import { retireCredential } from '#core/workflows/revoke.ts';
import { workflowDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('retireCredential', (event: unknown) =>
  retireCredential(workflowDeps(), event),
);
