import { retirePreviousKey } from '#core/workflows/rotate.ts';
import { provisionDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('retirePreviousKey', (event: unknown) =>
  retirePreviousKey(provisionDeps(), event),
);
