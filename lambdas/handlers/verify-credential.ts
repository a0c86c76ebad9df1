import { parseProvisionState, verifyCredential } from '#core/workflows/provision.ts';
import { workflowDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('verifyCredential', (event: unknown) =>
  verifyCredential(workflowDeps(), parseProvisionState(event)),
);
