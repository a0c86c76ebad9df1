import { promoteAdminKey } from '#core/workflows/admin-rotate.ts';
import { workflowDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('promoteAdminKey', (event: unknown) =>
  promoteAdminKey(workflowDeps(), event),
);
