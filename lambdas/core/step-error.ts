/**
 * What a Catch hands the compensating step (`ResultPath: $.error`): the error name Step Functions
 * matched and its cause. A Lambda error's cause is the JSON Lambda builds (`errorType`,
 * `errorMessage`, `trace`); Step Functions' own errors (States.Timeout, ...) carry plain text or none.
 */
import * as z from 'zod';

export const StepError = z.object({ Error: z.string(), Cause: z.string().optional() });
export type StepError = z.output<typeof StepError>;

/** The message of a Lambda error cause (`{"errorType","errorMessage",...}`), or the cause text itself. */
export function causeMessage(cause: string | undefined): string {
  if (!cause) return 'unknown failure';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // Not JSON: Step Functions' own errors carry plain text.
  }
  return cause;
}

/**
 * Why a step failed, for people (events, reports, the CLI): a Lambda error's message, a cause's text,
 * and for States.Timeout, which AWS reports without a cause (a lapsed heartbeat included), what it means.
 */
export function failureReason(error: string | undefined, cause: string | undefined): string {
  if (error === 'States.Timeout' && !cause) {
    return 'timed out: the task got no answer before its deadline, or its heartbeat (provisioner ack) lapsed';
  }
  return causeMessage(cause);
}
