import { reconcileTarget } from '#core/workflows/reconcile.ts';
import { executionRunning, provisionDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('reconcileTarget', (event: unknown) =>
  reconcileTarget({ ...provisionDeps(), executionRunning }, event),
);
