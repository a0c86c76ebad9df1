import { reconcileTarget } from '#core/workflows/reconcile.ts';
import { executionRecent, rotationStarter, workflowDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('reconcileTarget', (event: unknown) =>
  reconcileTarget({ ...workflowDeps(), executionRecent, rotations: rotationStarter }, event),
);
