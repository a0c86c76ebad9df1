import { createApiUser, parseProvisionState } from '#core/workflows/provision.ts';
import { workflowDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('createApiUser', (event: unknown) =>
  createApiUser(workflowDeps(), parseProvisionState(event)),
);
