import { verifyPendingKey } from '#core/workflows/rotate.ts';
import { provisionDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('verifyPendingKey', (event: unknown) =>
  verifyPendingKey(provisionDeps(), event),
);
