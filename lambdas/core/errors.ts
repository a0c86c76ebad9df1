/**
 * Every typed, secret-free error of the domain. Each class states its error name once, as its
 * static `errorName`, and every instance carries it as `name`: the name Step Functions matches in
 * Retry / Catch (Lambda reports `error.name` as the errorType), so these names are part of the
 * workflow contract. lib/workflows reads them through the constants below, never as literals.
 *
 * Messages are written by this code, never copied from a vendor body or a request without going
 * through `redact`, so no key material can travel in an error.
 */

export abstract class ProvisionerError extends Error {
  /** The error name Step Functions matches (and the instances' `name`); each class states its own. */
  declare static readonly errorName: string;

  constructor(message: string) {
    super(message);
    this.name = (new.target as typeof ProvisionerError).errorName;
  }
}

/** Transient: timeouts, 429 / lockout, 5xx without a typed body. Step Functions retries these with backoff. */
export class RetryableError extends ProvisionerError {
  static override readonly errorName = 'RetryableError';
}

/** The product has not yet accepted a freshly issued credential (propagation); retried by the verify step. */
export class CredentialNotYetValidError extends ProvisionerError {
  static override readonly errorName = 'CredentialNotYetValid';
}

/** The product still accepts a credential that should be dead (propagating, or re-approved): retried, then failed. */
export class CredentialStillValidError extends ProvisionerError {
  static override readonly errorName = 'CredentialStillValid';
}

/**
 * The product answered inconclusively about a credential that should be dead (a permission error of
 * an authenticated caller, an ambiguous status): no proof of refusal. Retried like a still-valid
 * one, then reported as "revocation unproven".
 */
export class RevocationUnprovenError extends ProvisionerError {
  static override readonly errorName = 'RevocationUnproven';
}

/** Permanent: bad profile, quota, untrusted host, missing permission. Goes straight to Catch. */
export class FatalError extends ProvisionerError {
  static override readonly errorName: string = 'FatalError';
}

/**
 * The product refused the caller itself: its admin token, or the address it calls from outside that
 * admin's trusted hosts (FortiOS and FortiManager answer both alike). Fatal, never retried: no
 * retry cures it, and every attempt counts toward FortiOS's lockout of the address.
 */
export class CallerRefusedError extends FatalError {
  static override readonly errorName = 'CallerRefused';
}

/** What such a refusal means, in the words every product's adapter uses. */
export const CALLER_REFUSED =
  "the provisioner's address is not a trusted host of the target's admin, or its admin token is wrong (both get the same answer)";

/** Bad input: a request, event or target that fails its schema or an allow-list. Nothing was changed. */
export class ValidationError extends FatalError {
  static override readonly errorName = 'ValidationError';
  constructor(
    message: string,
    readonly issues: string[] = [],
  ) {
    super(issues.length > 0 ? `${message}: ${issues.join('; ')}` : message);
  }
}

/** A user with the requested name exists on the product but was not created by this system. */
export class UnmanagedUserError extends FatalError {
  static override readonly errorName = 'UnmanagedUserExists';
}

/** The request or target names something that does not exist (unknown target, missing secret). */
export class NotFoundError extends FatalError {
  static override readonly errorName = 'NotFound';
}

/** The credential already exists and is active: provisioning again would replace a key consumers use. */
export class ConflictError extends FatalError {
  static override readonly errorName = 'Conflict';
}

/** Some credentials of the owner could not be revoked: the execution fails with the report. */
export class RevocationIncompleteError extends FatalError {
  static override readonly errorName = 'RevocationIncomplete';
}

/** The task no longer waits (answered, refused, timed out): Step Functions' TaskDoesNotExist / TaskTimedOut. */
export class TaskGoneError extends FatalError {
  static override readonly errorName = 'TaskGone';
}

/** A refused ticket webhook, with the HTTP status the endpoint answers; its message is safe to return to the caller. */
export class IntakeError extends ProvisionerError {
  static override readonly errorName = 'IntakeError';
  constructor(
    readonly status: 400 | 401 | 413 | 415 | 422,
    message: string,
  ) {
    super(message);
  }
}

/** What the workflows retry with backoff (lib/workflows/workflow-base.ts RETRYABLE). */
export const RETRYABLE_ERROR_NAMES = [RetryableError.errorName] as const;
/** Retried while the product catches up: a new credential not yet accepted, an old one not yet refused. */
export const NOT_YET_VALID_ERROR_NAME = CredentialNotYetValidError.errorName;
export const STILL_VALID_ERROR_NAME = CredentialStillValidError.errorName;
export const UNPROVEN_ERROR_NAME = RevocationUnprovenError.errorName;
/** The error an operator's refusal fails a callback task with (SendTaskFailure): no class, no Lambda throws it. */
export const OPERATOR_REFUSED = 'OperatorRefused';

/**
 * Error names of AWS SDK for JavaScript v3 failures that are worth another attempt. The lists follow
 * the SDK's own classification (@smithy/service-error-classification, used by its standard retry
 * strategy) and the "Errors" / "Common errors" sections of the API references of the services
 * called here, without the SDK's `LimitExceededException`: in Secrets Manager and EventBridge that
 * is a quota, not a rate, and no retry cures it.
 */
const THROTTLING_ERROR_NAMES: ReadonlySet<string> = new Set([
  'ThrottlingException',
  'TooManyRequestsException',
  'Throttling',
  'RequestLimitExceeded',
]);
const SERVICE_FAULT_ERROR_NAMES: ReadonlySet<string> = new Set([
  'InternalServiceError',
  'InternalServerException',
  'InternalException',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
]);
const TIMEOUT_ERROR_NAMES: ReadonlySet<string> = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);
/** Node.js socket errors the SDK's HTTP handler passes through as `code`. */
const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

interface SdkFailure {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly $retryable?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown };
  readonly cause?: unknown;
}

function isTransientAwsFailure(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const failure = error as SdkFailure;
  const name = typeof failure.name === 'string' ? failure.name : '';
  if (name === 'AbortError') return false;
  const status = failure.$metadata?.httpStatusCode;
  return (
    THROTTLING_ERROR_NAMES.has(name) ||
    SERVICE_FAULT_ERROR_NAMES.has(name) ||
    TIMEOUT_ERROR_NAMES.has(name) ||
    (typeof failure.code === 'string' && NETWORK_ERROR_CODES.has(failure.code)) ||
    // Set by the SDK on errors its service model marks retryable.
    (failure.$retryable !== undefined && failure.$retryable !== null) ||
    status === 429 ||
    (typeof status === 'number' && status >= 500 && status <= 599) ||
    (depth < 3 && isTransientAwsFailure(failure.cause, depth + 1))
  );
}

/** The SDK error's name (and socket code), reduced to identifier characters and bounded. */
function failureLabel(error: unknown): string {
  const failure = (typeof error === 'object' && error !== null ? error : {}) as SdkFailure;
  const clean = (value: unknown) =>
    typeof value === 'string' ? value.replace(/[^A-Za-z0-9_.:-]/g, '').slice(0, 64) : '';
  const name = clean(failure.name);
  const code = clean(failure.code);
  return [name, code && code !== name ? code : ''].filter(Boolean).join(' ') || 'unknown error';
}

/**
 * The one mapping from a failed AWS SDK call to the domain's errors: throttling, service faults
 * (5xx), timeouts and network errors are a RetryableError, `ResourceNotFoundException` a
 * NotFoundError, anything else a FatalError. The message names the service, the action, the
 * resource when given, and the SDK error's name; never the SDK's message, which could echo a
 * request. An error already typed by this module passes through unchanged. Callers handle their
 * real special cases (ResourceExistsException, ConflictException, ...) before calling this.
 */
export function awsFailure(
  service: string,
  action: string,
  error: unknown,
  resource?: string,
): ProvisionerError {
  if (error instanceof ProvisionerError) return error;
  const what = `${service} ${action}${resource ? ` of ${excerpt(resource, 200)}` : ''}`;
  const label = failureLabel(error);
  if (isTransientAwsFailure(error)) return new RetryableError(`${what} failed transiently (${label})`);
  if ((error as SdkFailure | undefined)?.name === 'ResourceNotFoundException')
    return new NotFoundError(`${what} failed: nothing found (${label})`);
  return new FatalError(`${what} failed (${label})`);
}

const REDACTED = '[redacted]';
/** Parts of a secret shorter than this are not looked for (they would match ordinary text). */
const MIN_PART = 8;
/** A half of a long secret is at least this long, so a copy of its half is found. */
const MAX_PART = 12;
/** A word of 20+ letters and digits mixing both: how keys and tokens look (FortiOS keys are 30). */
const KEY_SHAPED =
  /(?<![A-Za-z0-9])(?=[A-Za-z0-9]*[0-9])(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]{20,}(?![A-Za-z0-9])/g;

/** The forms a copy of a secret takes: as is, base64 (standard and URL-safe), hex, URL-encoded. */
export function encodedForms(secret: string): string[] {
  const bytes = Buffer.from(secret);
  const forms = [
    secret,
    bytes.toString('base64'),
    bytes.toString('base64url'),
    bytes.toString('hex'),
    encodeURIComponent(secret),
  ];
  return [...new Set(forms.map((f) => f.replace(/=+$/, '')))];
}

/** How long a piece of a form must be to count as a copy of it: half the secret, between 8 and 12. */
function partLength(secret: string, form: string): number {
  return Math.min(form.length, Math.max(MIN_PART, Math.min(MAX_PART, Math.ceil(secret.length / 2))));
}

/**
 * A finder of where copies of the secrets sit in a text, as [start, end) spans: any form of a
 * secret (as is, base64, hex, URL-encoded), whole or a piece of at least half its length (at most
 * 12 characters), ignoring case, so a prefix echoed in lower case, a half or a line-split copy is
 * found. Secrets of 4 to 7 characters are found only whole, shorter ones not at all. Built once
 * for many texts.
 */
export function materialFinder(
  secrets: readonly (string | undefined)[],
): (text: string) => [number, number][] {
  const whole: string[] = [];
  // Every form's 8-character grams point back at the form; a hit is extended to the longest common run.
  const grams = new Map<string, { form: string; offset: number; need: number }[]>();
  for (const secret of secrets) {
    // Under 4 characters a secret would redact ordinary text.
    if (!secret || secret.length < 4) continue;
    if (secret.length < MIN_PART) {
      whole.push(secret.toLowerCase());
      continue;
    }
    for (const original of encodedForms(secret)) {
      const form = original.toLowerCase();
      const need = partLength(secret, form);
      for (let offset = 0; offset + MIN_PART <= form.length; offset += 1) {
        const gram = form.slice(offset, offset + MIN_PART);
        const known = grams.get(gram);
        if (known) known.push({ form, offset, need });
        else grams.set(gram, [{ form, offset, need }]);
      }
    }
  }
  return (text) => {
    const lower = text.toLowerCase();
    const spans: [number, number][] = [];
    for (const secret of whole) {
      for (let at = lower.indexOf(secret); at >= 0; at = lower.indexOf(secret, at + 1))
        spans.push([at, at + secret.length]);
    }
    if (grams.size === 0) return spans;
    for (let i = 0; i + MIN_PART <= lower.length; i += 1) {
      const candidates = grams.get(lower.slice(i, i + MIN_PART));
      if (!candidates) continue;
      for (const { form, offset, need } of candidates) {
        let back = 0;
        while (offset - back > 0 && i - back > 0 && form[offset - back - 1] === lower[i - back - 1])
          back += 1;
        let ahead = MIN_PART;
        while (
          offset + ahead < form.length &&
          i + ahead < lower.length &&
          form[offset + ahead] === lower[i + ahead]
        )
          ahead += 1;
        if (back + ahead >= need) spans.push([i - back, i + ahead]);
      }
    }
    return spans;
  };
}

/**
 * The one redaction of vendor text before it reaches an error or a log: every copy of the given
 * secrets `materialFinder` finds, bearer tokens, and key-shaped words (a key the adapter could not
 * parse out of an answer is still not quoted). Vendors sometimes echo what they were sent.
 */
export function redact(text: string, secrets: readonly (string | undefined)[] = []): string {
  const spans = materialFinder(secrets)(text).sort(([a], [b]) => a - b);
  const pieces: string[] = [];
  let at = 0;
  // Overlapping or touching spans become one [redacted].
  for (const [start, end] of spans) {
    if (start > at) pieces.push(text.slice(at, start), REDACTED);
    else if (end > at && pieces.at(-1) !== REDACTED) pieces.push(REDACTED);
    at = Math.max(at, end);
  }
  pieces.push(text.slice(at));
  return pieces
    .join('')
    .replace(/(bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi, `$1${REDACTED}`)
    .replace(KEY_SHAPED, REDACTED);
}

/** Shortens vendor text for messages: one line, bounded. */
export function excerpt(text: string, max = 200): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max)}…` : oneLine;
}
