import { retireAdminKey } from '#core/workflows/admin-rotate.ts';
import { workflowDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('retireAdminKey', (event: unknown) =>
  retireAdminKey(workflowDeps(), event),
);
