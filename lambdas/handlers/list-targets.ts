import { listTargets } from '#core/workflows/reconcile.ts';
import { provisionDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('listTargets', () => listTargets(provisionDeps()));
