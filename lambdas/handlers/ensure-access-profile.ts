import { ensureAccessProfile, parseProvisionState } from '#core/workflows/provision.ts';
import { workflowDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('ensureAccessProfile', (event: unknown) =>
  ensureAccessProfile(workflowDeps(), parseProvisionState(event)),
);
