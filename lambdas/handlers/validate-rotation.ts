import { validateRotation } from '#core/workflows/rotate.ts';
import { workflowDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep(
  'validateRotation',
  (event: { request: unknown; executionName: unknown }) => validateRotation(workflowDeps(), event),
);
