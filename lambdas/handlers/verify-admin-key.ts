import { verifyAdminKey } from '#core/workflows/admin-rotate.ts';
import { workflowDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('verifyAdminKey', (event: unknown) =>
  verifyAdminKey(workflowDeps(), event),
);
