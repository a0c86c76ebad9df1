import { startRevocation } from '#core/deactivation.ts';
import { revokeStarter, workflowStep } from './runtime.ts';

export const handler = workflowStep('startRevocation', (event: unknown) =>
  startRevocation(revokeStarter(), event),
);
