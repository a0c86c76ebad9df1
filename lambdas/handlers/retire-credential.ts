import { retireCredential } from '#core/workflows/revoke.ts';
import { provisionDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('retireCredential', (event: unknown) =>
  retireCredential(provisionDeps(), event),
);
