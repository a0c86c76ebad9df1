import { refreshAccessToken } from '#core/workflows/refresh.ts';
import { workflowDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep(
  'refreshAccessToken',
  (event: { request: unknown; executionName: unknown }) => refreshAccessToken(workflowDeps(), event),
);
