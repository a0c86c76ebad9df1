import { compensateRotation } from '#core/workflows/rotate.ts';
import { workflowDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('compensateRotation', (event: unknown) =>
  compensateRotation(workflowDeps(), event),
);
