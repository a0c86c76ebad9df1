import { provePreviousRevoked } from '#core/workflows/rotate.ts';
import { provisionDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('provePreviousRevoked', (event: unknown) =>
  provePreviousRevoked(provisionDeps(), event),
);
