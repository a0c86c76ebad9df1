import { revokeAtProduct } from '#core/workflows/revoke.ts';
import { provisionDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('revokeAtProduct', (event: unknown) =>
  revokeAtProduct(provisionDeps(), event),
);
