import { requestPreviousRevocation } from '#core/workflows/rotate.ts';
import { workflowDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('requestPreviousRevocation', (event: unknown) =>
  requestPreviousRevocation(workflowDeps(), event),
);
