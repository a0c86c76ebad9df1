/**
 * ListExecutions' parameters as AWS validates them, recorded in LocalStack's AWS-validated
 * test_sfn_api.snapshot.json (test_state_machine_status_filter, test_list_executions_pagination):
 * statusFilter one of the six statuses, maxResults up to 1000 (0 or absent: 100), nextToken at most
 * 3096 characters; newest first.
 */
import { AwsServiceError } from '../aws-json-server.ts';

const STATUSES = ['SUCCEEDED', 'TIMED_OUT', 'PENDING_REDRIVE', 'ABORTED', 'FAILED', 'RUNNING'];
const MAX_RESULTS = 1000;
const DEFAULT_RESULTS = 100;
const NEXT_TOKEN_MAX_LENGTH = 3096;

const invalid = (constraint: string) =>
  new AwsServiceError('ValidationException', `1 validation error detected: ${constraint}`);

export interface ListExecutionsParameters {
  readonly statusFilter?: unknown;
  readonly maxResults?: unknown;
  readonly nextToken?: unknown;
}

/**
 * maxResults up to 1000 and nextToken up to 3096 characters, as ListExecutions and
 * GetExecutionHistory define them (API reference; ListExecutions' answers recorded).
 */
export function requirePagingWithinLimits({ maxResults, nextToken }: ListExecutionsParameters): void {
  if (typeof maxResults === 'number' && maxResults > MAX_RESULTS)
    throw invalid(
      `Value '${maxResults}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to ${MAX_RESULTS}`,
    );
  if (typeof nextToken === 'string' && nextToken.length > NEXT_TOKEN_MAX_LENGTH)
    throw invalid(
      `Value '${nextToken}' at 'nextToken' failed to satisfy constraint: Member must have length less than or equal to ${NEXT_TOKEN_MAX_LENGTH}`,
    );
}

/** One page of `executions` (ordered newest first) and the token of the next, if any. */
export function executionsPage<T extends { readonly status: string }>(
  executions: readonly T[],
  input: ListExecutionsParameters,
): { page: T[]; nextToken?: string } {
  const { statusFilter, maxResults, nextToken } = input;
  if (statusFilter !== undefined && !STATUSES.includes(String(statusFilter)))
    throw invalid(
      `Value '${String(statusFilter)}' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [${STATUSES.join(', ')}]`,
    );
  requirePagingWithinLimits(input);
  const size = typeof maxResults === 'number' && maxResults > 0 ? maxResults : DEFAULT_RESULTS;
  const from = nextToken === undefined ? 0 : offsetOf(nextToken);
  const filtered = executions.filter((e) => statusFilter === undefined || e.status === statusFilter);
  const page = filtered.slice(from, from + size);
  return from + size < filtered.length ? { page, nextToken: tokenFor(from + size) } : { page };
}

const tokenFor = (offset: number) => Buffer.from(`executions:${offset}`).toString('base64url');

/** A token this endpoint did not issue: InvalidToken (API reference, ListExecutions, Errors; as GetExecutionHistory's). */
function offsetOf(token: unknown): number {
  const match =
    typeof token === 'string' ? /^executions:(\d+)$/.exec(Buffer.from(token, 'base64url').toString()) : null;
  if (!match?.[1]) throw new AwsServiceError('InvalidToken', 'Invalid Token');
  return Number(match[1]);
}
