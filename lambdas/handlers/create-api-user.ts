import { createApiUser, parseProvisionState } from '#core/workflows/provision.ts';
import { provisionDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('createApiUser', (event: unknown) =>
  createApiUser(provisionDeps(), parseProvisionState(event)),
);
