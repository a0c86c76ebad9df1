import { planRevocation } from '#core/plans.ts';
import { workflowDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('planRevocation', (event: { request: unknown }) =>
  planRevocation(workflowDeps(), event),
);
