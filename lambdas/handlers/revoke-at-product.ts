import { revokeAtProduct } from '#core/workflows/revoke.ts';
import { workflowDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('revokeAtProduct', (event: unknown) =>
  revokeAtProduct(workflowDeps(), event),
);
