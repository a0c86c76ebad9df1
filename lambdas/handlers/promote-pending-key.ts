import { promotePendingKey } from '#core/rotate.ts';
import { provisionDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('promotePendingKey', (event: unknown) =>
  promotePendingKey(provisionDeps(), event),
);
