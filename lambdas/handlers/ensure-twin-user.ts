import { ensureTwinUser } from '#core/workflows/rotate.ts';
import { workflowDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('ensureTwinUser', (event: unknown) =>
  ensureTwinUser(workflowDeps(), event),
);
