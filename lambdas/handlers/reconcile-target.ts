import { reconcileTarget } from '#core/workflows/reconcile.ts';
import { executionRunning, workflowDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('reconcileTarget', (event: unknown) =>
  reconcileTarget({ ...workflowDeps(), executionRunning }, event),
);
