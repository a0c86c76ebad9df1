import { finalizeAdminRotation } from '#core/workflows/admin-rotate.ts';
import { workflowDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('finalizeAdminRotation', (event: unknown) =>
  finalizeAdminRotation(workflowDeps(), event),
);
