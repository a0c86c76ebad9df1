import { validateRotation } from '#core/workflows/rotate.ts';
import { provisionDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep(
  'validateRotation',
  (event: { request: unknown; executionName: unknown }) => validateRotation(provisionDeps(), event),
);
