import { compensateAdminRotation } from '#core/workflows/admin-rotate.ts';
import { workflowDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('compensateAdminRotation', (event: unknown) =>
  compensateAdminRotation(workflowDeps(), event),
);
