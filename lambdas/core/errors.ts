/**
 * Typed, secret-free errors. The `name` of each class is the error name Step Functions
 * matches in Retry / Catch (Lambda reports `error.name` as the errorType), so these
 * names are part of the workflow contract: change them together with lib/workflows.
 *
 * Messages are written by this code, never copied from a vendor body or a request
 * without going through `redact`, so no key material can travel in an error.
 */

export abstract class ProvisionerError extends Error {
  abstract readonly retryable: boolean;
}

/** Transient: timeouts, 429 / lockout, 5xx without a typed body. Step Functions retries these with backoff. */
export class RetryableError extends ProvisionerError {
  override readonly name = 'RetryableError';
  readonly retryable = true;
  constructor(
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/** The product has not yet accepted a freshly issued credential (propagation); retried by the verify step. */
export class CredentialNotYetValidError extends ProvisionerError {
  override readonly name = 'CredentialNotYetValid';
  readonly retryable = true;
}

/** The product still accepts a credential that should be dead (propagating, or re-approved): retried, then failed. */
export class CredentialStillValidError extends ProvisionerError {
  override readonly name = 'CredentialStillValid';
  readonly retryable = true;
}

/** Permanent: bad profile, quota, untrusted host, missing permission. Goes straight to Catch. */
export class FatalError extends ProvisionerError {
  override readonly name: string = 'FatalError';
  readonly retryable = false;
}

/** Bad input: a request, event or target that fails its schema or an allow-list. Nothing was changed. */
export class ValidationError extends FatalError {
  override readonly name = 'ValidationError';
  constructor(
    message: string,
    readonly issues: string[] = [],
  ) {
    super(issues.length > 0 ? `${message}: ${issues.join('; ')}` : message);
  }
}

/** A user with the requested name exists on the product but was not created by this system. */
export class UnmanagedUserError extends FatalError {
  override readonly name = 'UnmanagedUserExists';
}

/** The request or target names something that does not exist (unknown target, missing secret). */
export class NotFoundError extends FatalError {
  override readonly name = 'NotFound';
}

/** The credential already exists and is active: provisioning again would replace a key consumers use. */
export class ConflictError extends FatalError {
  override readonly name = 'Conflict';
}

export const RETRYABLE_ERROR_NAMES = ['RetryableError'] as const;
/** Retried while the product catches up: a new credential not yet accepted, an old one not yet refused. */
export const NOT_YET_VALID_ERROR_NAME = 'CredentialNotYetValid';
export const STILL_VALID_ERROR_NAME = 'CredentialStillValid';

const REDACTED = '[redacted]';

/**
 * Removes every occurrence of the given secret strings (and bearer-looking tokens) from a text
 * before it is used in a message. Vendors sometimes echo what they were sent.
 */
export function redact(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join(REDACTED);
  }
  return out.replace(/(bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi, `$1${REDACTED}`);
}

/** Shortens vendor text for messages: one line, bounded. */
export function excerpt(text: string, max = 200): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max)}…` : oneLine;
}
