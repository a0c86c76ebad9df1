import { compensateProvision, parseProvisionState } from '#core/workflows/provision.ts';
import { workflowDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('compensateProvision', (event: unknown) =>
  compensateProvision(workflowDeps(), parseProvisionState(event)),
);
