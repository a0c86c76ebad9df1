import { findOwnerCredentials } from '#core/workflows/revoke.ts';
import { workflowDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep(
  'findOwnerCredentials',
  (event: { request: unknown; executionName: unknown }) => findOwnerCredentials(workflowDeps(), event),
);
