/**
 * Executions are named from the request (`<action>-<ticket>-<short hash>`), so the same request
 * started twice maps to one execution and Step Functions refuses the duplicate. The readable ticket
 * part is sanitized and cut to fit, so the hash covers the raw ticket too: tickets that read alike
 * (`hr.7`, `hr:7`) name two executions.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';

/**
 * The names this system gives executions and accepts as request ids: at most 80 of [A-Za-z0-9_-],
 * a subset of what Step Functions accepts (no whitespace, wildcards or control characters).
 */
export const EXECUTION_NAME_PATTERN = /^[A-Za-z0-9_-]{1,80}$/;

export const ExecutionName = z
  .string()
  .regex(EXECUTION_NAME_PATTERN, 'must be a Step Functions execution name');

/** Canonical JSON: keys sorted at every level, so field order does not change the name. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * A valid execution name (<= 80 of [A-Za-z0-9_-]) for an action on a ticket (or event id) with a
 * given request; the hash is of the raw ticket and the canonical request.
 */
export function executionNameFor(
  action: 'provision' | 'revoke' | 'rotate' | 'reconcile' | 'admin-rotate' | 'admin-schedules',
  ticket: string,
  request: unknown,
): string {
  const hash = createHash('sha256').update(canonicalJson({ ticket, request })).digest('hex').slice(0, 10);
  const safeTicket = ticket.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 80 - action.length - hash.length - 2);
  return `${action}-${safeTicket}-${hash}`;
}

/**
 * The execution that continues a revocation after the secret `after`: named from its predecessor and
 * the cursor, so a retried report starts it once (a repeated name is answered with its execution).
 */
export function continuationNameFor(requestId: string, after: string): string {
  const hash = createHash('sha256').update(canonicalJson({ requestId, after })).digest('hex').slice(0, 10);
  return `${requestId.slice(0, 80 - hash.length - 6)}-more-${hash}`;
}
