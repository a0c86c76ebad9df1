import { parseProvisionState, verifyCredential } from '#core/workflows/provision.ts';
import { provisionDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('verifyCredential', (event: unknown) =>
  verifyCredential(provisionDeps(), parseProvisionState(event)),
);
