import { refreshAccessToken } from '#core/workflows/rotate.ts';
import { provisionDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep(
  'refreshAccessToken',
  (event: { request: unknown; executionName: unknown }) => refreshAccessToken(provisionDeps(), event),
);
