import { requestPreviousRevocation } from '#core/workflows/rotate.ts';
import { provisionDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('requestPreviousRevocation', (event: unknown) =>
  requestPreviousRevocation(provisionDeps(), event),
);
