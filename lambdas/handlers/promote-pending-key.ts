import { promotePendingKey } from '#core/workflows/rotate.ts';
import { provisionDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('promotePendingKey', (event: unknown) =>
  promotePendingKey(provisionDeps(), event),
);
