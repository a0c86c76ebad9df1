import { validateRequest } from '#core/workflows/provision.ts';
import { workflowDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep(
  'validateRequest',
  (event: { request: unknown; executionName: unknown }) => validateRequest(workflowDeps(), event),
);
