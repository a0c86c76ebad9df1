import { planReconciliation } from '#core/plans.ts';
import { executionRecent, workflowDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('planReconciliation', (event: { request: unknown }) =>
  planReconciliation({ ...workflowDeps(), executionRecent }, event),
);
