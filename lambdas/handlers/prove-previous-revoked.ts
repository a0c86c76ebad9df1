import { provePreviousRevoked } from '#core/workflows/rotate.ts';
import { workflowDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('provePreviousRevoked', (event: unknown) =>
  provePreviousRevoked(workflowDeps(), event),
);
