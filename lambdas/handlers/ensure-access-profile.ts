import { ensureAccessProfile, parseProvisionState } from '#core/workflows/provision.ts';
import { provisionDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('ensureAccessProfile', (event: unknown) =>
  ensureAccessProfile(provisionDeps(), parseProvisionState(event)),
);
