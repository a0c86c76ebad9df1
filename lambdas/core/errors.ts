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

/** Permanent: bad profile, quota, untrusted host, missing permission. Goes straight to Catch. */
export class FatalError extends ProvisionerError {
  static override readonly errorName: string = 'FatalError';
}

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
/** The error an operator's refusal fails a callback task with (SendTaskFailure): no class, no Lambda throws it. */
export const OPERATOR_REFUSED = 'OperatorRefused';

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
