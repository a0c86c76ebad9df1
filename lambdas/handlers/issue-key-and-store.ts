import { issueKeyAndStore, parseProvisionState } from '#core/workflows/provision.ts';
import { provisionDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('issueKeyAndStore', (event: unknown) =>
  issueKeyAndStore(provisionDeps(), parseProvisionState(event)),
);
