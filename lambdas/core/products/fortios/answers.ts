/**
 * FortiOS answers read as FortiOS means them (wire facts: README.md beside this file): the JSON
 * envelope, or the list of per-VDOM envelopes a call over several VDOMs (`vdom=global`) gets; the
 * HTML pages that refuse a token; a JSON 403 that only says an authenticated caller lacks a
 * permission. `failureOf` is the one place such answers become typed errors.
 */
import {
  CALLER_REFUSED,
  CallerRefusedError,
  excerpt,
  FatalError,
  type ProvisionerError,
  RetryableError,
  redact,
} from '../../errors.ts';
import type { HttpResponse } from '../../http.ts';

export interface FortiOsEnvelope {
  readonly status?: unknown;
  readonly http_status?: unknown;
  readonly error?: unknown;
  readonly cli_error?: unknown;
  readonly results?: unknown;
}

export type FortiOsAnswer =
  /** Every envelope succeeded, or some did and the others said "already exists" or "not found". */
  | { readonly kind: 'success'; readonly envelopes: readonly FortiOsEnvelope[] }
  /** "Already exists" (-5), in every envelope that did not say "not found". */
  | { readonly kind: 'exists' }
  | { readonly kind: 'absent' }
  /** FortiOS's HTML 401 or 403 page: the token itself is refused. */
  | { readonly kind: 'refused'; readonly status: 401 | 403 }
  /** A JSON 403: the caller authenticated, and lacks a permission (or the VDOM) it asked for. */
  | { readonly kind: 'denied'; readonly envelope: FortiOsEnvelope }
  | { readonly kind: 'failed'; readonly status: number; readonly envelope?: FortiOsEnvelope };

/**
 * The refusal pages of FortiOS's httpsd: Apache's texts (prometheus-community/fortigate_exporter#223,
 * "401 Authorization Required" before 6.2 in PyFortiAPI/PyFortiAPI#17;
 * fortinet/fortigate-tutorial-gcp#10), not any proxy's page with the same status.
 */
const REFUSAL_PAGES = {
  401: [
    /<title>\s*401 (?:Unauthorized|Authorization Required)\s*<\/title>/i,
    /could not verify that you\s+are authorized/i,
  ],
  403: [/<title>\s*403 Forbidden\s*<\/title>/i, /You don't have permission to access/i],
} as const;

function isRefusalPage(response: HttpResponse): response is HttpResponse & { status: 401 | 403 } {
  if (response.json !== undefined || (response.status !== 401 && response.status !== 403)) return false;
  return REFUSAL_PAGES[response.status].every((pattern) => pattern.test(response.text));
}

function envelopesOf(json: unknown): FortiOsEnvelope[] | undefined {
  const isEnvelope = (value: unknown) => typeof value === 'object' && value !== null && !Array.isArray(value);
  if (Array.isArray(json)) return json.length > 0 && json.every(isEnvelope) ? json : undefined;
  return isEnvelope(json) ? [json as FortiOsEnvelope] : undefined;
}

function statusOf(envelope: FortiOsEnvelope, response: HttpResponse): number {
  return typeof envelope.http_status === 'number' ? envelope.http_status : response.status;
}

export function readAnswer(response: HttpResponse): FortiOsAnswer {
  const envelopes = envelopesOf(response.json);
  if (!envelopes) {
    if (isRefusalPage(response)) return { kind: 'refused', status: response.status };
    return response.status === 404 ? { kind: 'absent' } : { kind: 'failed', status: response.status };
  }
  const succeeded = envelopes.filter((e) => e.status === 'success');
  const exists = envelopes.filter((e) => e.status !== 'success' && e.error === -5);
  const absent = envelopes.filter((e) => e.status !== 'success' && statusOf(e, response) === 404);
  const failed = envelopes.find((e) => !succeeded.includes(e) && !exists.includes(e) && !absent.includes(e));
  if (failed) {
    const status = statusOf(failed, response);
    return status === 403
      ? { kind: 'denied', envelope: failed }
      : { kind: 'failed', status, envelope: failed };
  }
  if (succeeded.length > 0) return { kind: 'success', envelopes: succeeded };
  return exists.length > 0 ? { kind: 'exists' } : { kind: 'absent' };
}

function cliErrorText(envelope: FortiOsEnvelope | undefined): string {
  const cli = envelope?.cli_error;
  if (Array.isArray(cli)) return cli.map(String).join('; ');
  return typeof cli === 'string' ? cli : '';
}

/** -3, read from the error code or the CLI's own "Return code -3", never from a "-3" in a name. */
function isInvalidReference(envelope: FortiOsEnvelope | undefined): boolean {
  return envelope?.error === -3 || /\bReturn code -3\b/.test(cliErrorText(envelope));
}

/** The typed error an answer that did not succeed is, for the call `what`; `secrets` never reach it. */
export function failureOf(
  answer: Exclude<FortiOsAnswer, { kind: 'success' }>,
  what: string,
  secrets: readonly (string | undefined)[] = [],
): ProvisionerError {
  const envelope = 'envelope' in answer ? answer.envelope : undefined;
  const detail = excerpt(redact(cliErrorText(envelope), secrets));
  const code =
    typeof envelope?.error === 'number' ? ` (error ${envelope.error}${detail ? `: ${detail}` : ''})` : '';
  switch (answer.kind) {
    case 'refused':
      return new CallerRefusedError(`FortiOS refused ${what} (HTTP ${answer.status}): ${CALLER_REFUSED}`);
    case 'denied':
      return new FatalError(
        `FortiOS refused ${what}: missing permission (the target's admin must be super_admin for its VDOM)${code}`,
      );
    case 'exists':
      return new FatalError(`FortiOS refused ${what}: the object already exists (error -5)`);
    case 'absent':
      return new FatalError(`FortiOS answered ${what} with "not found" (HTTP 404)`);
  }
  const { status } = answer;
  if (status === 429) {
    return new RetryableError(
      `FortiOS answered ${what} with 429: rate limiting, or this address is locked out after failed key logins`,
    );
  }
  if (isInvalidReference(envelope)) {
    return new FatalError(`FortiOS refused ${what}: unknown profile or invalid reference${code}`);
  }
  if (status >= 500 && typeof envelope?.error !== 'number') {
    return new RetryableError(`FortiOS failed transiently on ${what} (HTTP ${status})`);
  }
  if (status < 400) {
    // FortiOS answers every successful call with its JSON envelope; anything else (a login page, a
    // proxy's HTML, a body cut short) is not an answer to act on.
    return new FatalError(
      `FortiOS answered ${what} with HTTP ${status} but ${envelope ? 'without "status": "success"' : 'a body that is not its JSON envelope'}`,
    );
  }
  return new FatalError(`FortiOS refused ${what} (HTTP ${status})${code}`);
}
