import { issueAdminKey } from '#core/workflows/admin-rotate.ts';
import { workflowDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('issueAdminKey', (event: unknown) =>
  issueAdminKey(workflowDeps(), event),
);
