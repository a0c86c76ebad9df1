/**
 * Step Functions' payload quota: "Maximum input or output size for a task, state, or execution:
 * 256 KiB of data as a UTF-8 encoded string" (developer guide, "Step Functions service quotas").
 */
import { AwsServiceError } from '../aws-json-server.ts';

const PAYLOAD_LIMIT_BYTES = 262_144;

export const DATA_LIMIT_ERROR = 'States.DataLimitExceeded';

export function overPayloadLimit(value: unknown): boolean {
  const text = typeof value === 'string' ? value : JSON.stringify(value ?? null);
  return Buffer.byteLength(text) > PAYLOAD_LIMIT_BYTES;
}

/**
 * The cause AWS gives, naming the state (or, for a task's result, the resource type: `lambda`);
 * recorded in LocalStack's test_states_errors.snapshot.json.
 */
export function dataLimitCause(stateOrResource: string): string {
  return `The state/task '${stateOrResource}' returned a result with a size exceeding the maximum number of bytes service limit.`;
}

/** A task's result over the quota: the task fails with States.DataLimitExceeded (a catcher may take it). */
export function taskResultTooLarge(resourceType: string): Error {
  const error = new Error(dataLimitCause(resourceType));
  error.name = DATA_LIMIT_ERROR;
  return error;
}

/**
 * StartExecution's `input` is a string of at most 262144 (API reference, StartExecution: Length
 * Constraints); a longer one is refused before anything starts. `input` is sensitive data, so AWS's
 * validation message leaves its value out.
 */
export function requireExecutionInputWithinLimit(input: string): void {
  if (!overPayloadLimit(input)) return;
  throw new AwsServiceError(
    'ValidationException',
    `1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have length less than or equal to ${PAYLOAD_LIMIT_BYTES}`,
  );
}
