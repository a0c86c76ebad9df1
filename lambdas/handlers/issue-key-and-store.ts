import { issueKeyAndStore, parseProvisionState } from '#core/provision.ts';
import { provisionDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('issueKeyAndStore', (event: unknown) =>
  issueKeyAndStore(provisionDeps(), parseProvisionState(event)),
);
