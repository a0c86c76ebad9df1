/**
 * The lengths of an error name and its cause: `error` at most 256 characters and `cause` at most
 * 32,768 in SendTaskFailure and StopExecution (API reference, Length Constraints) and in every
 * failure event of the history (API reference, TaskFailedEventDetails, ExecutionFailedEventDetails).
 */
import { AwsServiceError } from '../aws-json-server.ts';

const ERROR_MAX_LENGTH = 256;
const CAUSE_MAX_LENGTH = 32_768;

/**
 * Refuses an `error` or `cause` over its length before anything changes, in the AWS JSON
 * protocol's validation message; both are sensitive members (SensitiveError, SensitiveCause), so
 * the message leaves their values out, as it does for `input`.
 */
export function requireFailureWithinLimits(input: { error?: unknown; cause?: unknown }): void {
  const violations = (
    [
      ['error', input.error, ERROR_MAX_LENGTH],
      ['cause', input.cause, CAUSE_MAX_LENGTH],
    ] as const
  )
    .filter(([, value, max]) => typeof value === 'string' && value.length > max)
    .map(
      ([member, , max]) =>
        `Value at '${member}' failed to satisfy constraint: Member must have length less than or equal to ${max}`,
    );
  if (violations.length === 0) return;
  const count = violations.length === 1 ? '1 validation error' : `${violations.length} validation errors`;
  throw new AwsServiceError('ValidationException', `${count} detected: ${violations.join('; ')}`);
}

/**
 * A task's failure as its events can hold it: a function's error document may be longer than a
 * cause can be, and is cut at the limit. No recorded AWS answer shows what Step Functions does with
 * a longer one; cutting is this endpoint's reading of the length constraints (docs/embedded-default.md).
 */
export function withinFailureLimits(error: Error): Error {
  if (error.name.length <= ERROR_MAX_LENGTH && error.message.length <= CAUSE_MAX_LENGTH) return error;
  const bounded = new Error(error.message.slice(0, CAUSE_MAX_LENGTH));
  bounded.name = error.name.slice(0, ERROR_MAX_LENGTH);
  return bounded;
}
