import { finalizeCredential, parseProvisionState } from '#core/workflows/provision.ts';
import { workflowDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('finalizeCredential', (event: unknown) =>
  finalizeCredential(workflowDeps(), parseProvisionState(event)),
);
