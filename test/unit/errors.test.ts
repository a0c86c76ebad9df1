/** Redaction and excerpts (lambdas/core/errors.ts): what a vendor echoes never reaches an error message. */
import { describe, expect, it } from 'vitest';
import {
  ConflictError,
  CredentialNotYetValidError,
  CredentialStillValidError,
  excerpt,
  FatalError,
  NotFoundError,
  ProvisionerError,
  RetryableError,
  redact,
  UnmanagedUserError,
  ValidationError,
} from '#core/errors.ts';

const KEY = 'Zq9xKEY0000material0000xyz1234';

describe('redact', () => {
  it('replaces every occurrence of each secret', () => {
    // Prepare
    const text = `{"error":"bad key ${KEY}","echo":"${KEY}","admin":"admin-token-0123"}`;
    // Act
    const out = redact(text, [KEY, 'admin-token-0123']);
    // Assess
    expect(out).toBe('{"error":"bad key [redacted]","echo":"[redacted]","admin":"[redacted]"}');
  });

  it('leaves secrets shorter than 4 characters and missing secrets alone (they would redact too much)', () => {
    // Act
    const out = redact('id abc of 123', ['abc', undefined, '']);
    // Assess
    expect(out).toBe('id abc of 123');
  });

  it('redacts a bearer token it was not told about, keeping the scheme word', () => {
    // Act
    const out = redact('401: Authorization: Bearer eyJhbGciOi.J9x_y-z~+/= refused; BEARER short');
    // Assess
    expect(out).toBe('401: Authorization: Bearer [redacted] refused; BEARER short');
  });

  it('treats a secret as text, not as a pattern', () => {
    // Act
    const out = redact('token a.b*c+d and aXbbcd', ['a.b*c+d']);
    // Assess
    expect(out).toBe('token [redacted] and aXbbcd');
  });
});

describe('excerpt', () => {
  it('folds whitespace into one line and trims it', () => {
    // Act
    const out = excerpt('  <html>\n\t<body>  Service\r\nUnavailable </body>\n');
    // Assess
    expect(out).toBe('<html> <body> Service Unavailable </body>');
  });

  it('bounds the text at 200 characters by default, marking the cut', () => {
    // Prepare
    const text = 'x'.repeat(250);
    // Act
    const out = excerpt(text);
    // Assess
    expect(out).toBe(`${'x'.repeat(200)}…`);
  });

  it('keeps text of exactly the limit whole, and honours another limit', () => {
    // Act
    const whole = excerpt('abcde', 5);
    const cut = excerpt('abcdef', 5);
    // Assess
    expect(whole).toBe('abcde');
    expect(cut).toBe('abcde…');
  });
});

describe('error classes', () => {
  it.each([
    [new RetryableError('r', 30), 'RetryableError', true],
    [new CredentialNotYetValidError('n'), 'CredentialNotYetValid', true],
    [new CredentialStillValidError('s'), 'CredentialStillValid', true],
    [new FatalError('f'), 'FatalError', false],
    [new ValidationError('v'), 'ValidationError', false],
    [new UnmanagedUserError('u'), 'UnmanagedUserExists', false],
    [new NotFoundError('n'), 'NotFound', false],
    [new ConflictError('c'), 'Conflict', false],
  ])('%s carries the name Step Functions matches, and whether it is retried', (error, name, retryable) => {
    // Assess
    expect(error).toBeInstanceOf(ProvisionerError);
    expect(error.name).toBe(name);
    expect(error.retryable).toBe(retryable);
  });

  it('a ValidationError lists its issues after the message; a RetryableError keeps its delay', () => {
    // Act
    const invalid = new ValidationError('invalid request', ['apiUser: must be', 'owner: required']);
    const bare = new ValidationError('invalid request');
    const throttled = new RetryableError('throttled', 30);
    // Assess
    expect(invalid.message).toBe('invalid request: apiUser: must be; owner: required');
    expect(invalid.issues).toEqual(['apiUser: must be', 'owner: required']);
    expect(bare.message).toBe('invalid request');
    expect(throttled.retryAfterSeconds).toBe(30);
    expect(new UnmanagedUserError('u')).toBeInstanceOf(FatalError);
  });
});
