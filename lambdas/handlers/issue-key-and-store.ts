import { issueKeyAndStore, parseProvisionState } from '#core/workflows/provision.ts';
import { workflowDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('issueKeyAndStore', (event: unknown) =>
  issueKeyAndStore(workflowDeps(), parseProvisionState(event)),
);
