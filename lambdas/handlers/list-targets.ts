import { listTargets } from '#core/workflows/reconcile.ts';
import { workflowDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('listTargets', (event: unknown) => listTargets(workflowDeps(), event));
