import { finalizeRotation } from '#core/workflows/rotate.ts';
import { workflowDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('finalizeRotation', (event: unknown) =>
  finalizeRotation(workflowDeps(), event),
);
