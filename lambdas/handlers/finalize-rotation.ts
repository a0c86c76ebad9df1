import { finalizeRotation } from '#core/workflows/rotate.ts';
import { provisionDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('finalizeRotation', (event: unknown) =>
  finalizeRotation(provisionDeps(), event),
);
