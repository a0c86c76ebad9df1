import { planRotation } from '#core/plans.ts';
import { workflowDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('planRotation', (event: { request: unknown; executionName: unknown }) =>
  planRotation(workflowDeps(), event),
);
