import { validateRequest } from '#core/workflows/provision.ts';
import { provisionDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep(
  'validateRequest',
  (event: { request: unknown; executionName: unknown }) => validateRequest(provisionDeps(), event),
);
