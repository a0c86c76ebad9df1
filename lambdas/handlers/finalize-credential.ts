import { finalizeCredential, parseProvisionState } from '#core/workflows/provision.ts';
import { provisionDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('finalizeCredential', (event: unknown) =>
  finalizeCredential(provisionDeps(), parseProvisionState(event)),
);
