import { validateAdminRotation } from '#core/workflows/admin-rotate.ts';
import { workflowDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep(
  'validateAdminRotation',
  (event: { request: unknown; executionName: unknown }) => validateAdminRotation(workflowDeps(), event),
);
