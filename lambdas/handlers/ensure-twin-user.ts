import { ensureTwinUser } from '#core/workflows/rotate.ts';
import { provisionDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('ensureTwinUser', (event: unknown) =>
  ensureTwinUser(provisionDeps(), event),
);
