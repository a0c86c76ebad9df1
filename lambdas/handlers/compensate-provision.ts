import { compensateProvision, parseProvisionState } from '#core/workflows/provision.ts';
import { provisionDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('compensateProvision', (event: unknown) =>
  compensateProvision(provisionDeps(), parseProvisionState(event)),
);
