import { retirePreviousKey } from '#core/workflows/rotate.ts';
import { workflowDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('retirePreviousKey', (event: unknown) =>
  retirePreviousKey(workflowDeps(), event),
);
