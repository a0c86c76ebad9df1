import { scheduleRotation } from '#core/workflows/rotate.ts';
import { workflowDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep(
  'scheduleRotation',
  (event: { request: unknown; executionName: unknown }) => scheduleRotation(workflowDeps(), event),
);
