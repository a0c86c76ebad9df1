import {
  ensureAdminSchedules,
  finalizeAdminRotation,
  isSchedulesOnly,
} from '#core/workflows/admin-rotate.ts';
import { workflowDeps, workflowStep } from './runtime.ts';

// One function for both: the end of a rotation, and a target's schedules alone (EnsureAdminSchedules).
export const handler = workflowStep(
  'finalizeAdminRotation',
  async (event: unknown): Promise<object> =>
    isSchedulesOnly(event)
      ? ensureAdminSchedules(workflowDeps(), event)
      : finalizeAdminRotation(workflowDeps(), event),
);
