import { verifyPendingKey } from '#core/workflows/rotate.ts';
import { workflowDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('verifyPendingKey', (event: unknown) =>
  verifyPendingKey(workflowDeps(), event),
);
