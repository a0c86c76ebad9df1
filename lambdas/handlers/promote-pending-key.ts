import { promotePendingKey } from '#core/workflows/rotate.ts';
import { workflowDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('promotePendingKey', (event: unknown) =>
  promotePendingKey(workflowDeps(), event),
);
