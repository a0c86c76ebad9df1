import { verifyPendingKey } from '#core/rotate.ts';
import { provisionDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('verifyPendingKey', (event: unknown) =>
  verifyPendingKey(provisionDeps(), event),
);
