import { compensateRotation } from '#core/workflows/rotate.ts';
import { provisionDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('compensateRotation', (event: unknown) =>
  compensateRotation(provisionDeps(), event),
);
