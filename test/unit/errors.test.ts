/**
 * The domain's errors: redaction and excerpts (what a vendor echoes never reaches a message), one
 * name per class (the workflow contract Step Functions matches), and the one mapping from failed
 * AWS SDK calls to them. Where an AWS error name comes from is noted beside
 * its expectation:
 * - [SDK] the AWS SDK for JavaScript v3's error classification, which its standard retry strategy
 *   uses (@smithy/core, submodules/retry/service-error-classification/constants.js: THROTTLING_ERROR_CODES,
 *   TRANSIENT_ERROR_CODES, TRANSIENT_ERROR_STATUS_CODES, NODEJS_TIMEOUT_ERROR_CODES, NODEJS_NETWORK_ERROR_CODES);
 * - [SM] the AWS Secrets Manager API Reference, "Common Errors"
 *   (https://docs.aws.amazon.com/secretsmanager/latest/apireference/CommonErrors.html) and each
 *   action's "Errors" section, also modeled as the classes @aws-sdk/client-secrets-manager exports;
 * - [Scheduler] / [EventBridge] the EventBridge Scheduler and EventBridge API References' "Errors"
 *   sections (CreateSchedule, DeleteSchedule, PutEvents), modeled as the classes their SDK clients export.
 */
import { InternalException } from '@aws-sdk/client-eventbridge';
import { InternalServerException, ThrottlingException } from '@aws-sdk/client-scheduler';
import {
  InternalServiceError,
  LimitExceededException,
  ResourceNotFoundException,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import * as errors from '#core/errors.ts';
import {
  awsFailure,
  ConflictError,
  excerpt,
  FatalError,
  NOT_YET_VALID_ERROR_NAME,
  NotFoundError,
  ProvisionerError,
  RETRYABLE_ERROR_NAMES,
  RetryableError,
  redact,
  STILL_VALID_ERROR_NAME,
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
  it.each([
    // ARM's `status` has been seen to hold the token's first 20 characters, lower-cased.
    ['its first 20 characters, lower-cased', KEY.slice(0, 20).toLowerCase()],
    ['in upper case', KEY.toUpperCase()],
    ['its second half', KEY.slice(15)],
    ['split over two lines', `${KEY.slice(0, 13)}\n${KEY.slice(13)}`],
    ['base64-encoded', Buffer.from(KEY).toString('base64')],
    ['base64url-encoded', Buffer.from(`${KEY}??>>`).toString('base64url')],
    ['hex-encoded', Buffer.from(KEY).toString('hex')],
    ['URL-encoded', encodeURIComponent(`${KEY}/+=`)],
  ])('redacts a secret it was told about when the vendor echoes %s', (_, echoed) => {
    // Act
    const out = redact(`{"status":"${echoed}","message":"refused"}`, [KEY, `${KEY}/+=`, `${KEY}??>>`]);
    // Assess
    expect(out).toMatch(/^\{"status":"(\[redacted\]\s*)+","message":"refused"\}$/);
  });

  it('redacts a key-shaped word it was not told about (a key line it could not parse)', () => {
    // Prepare: FortiManager's generate-key output when the key line is not the expected one.
    const output = `Generating...\nNew API key is: ${KEY}\nDone on FMG-VM64 v7.4.5 build2588`;
    // Act
    const out = redact(output);
    // Assess
    expect(out).toBe('Generating...\nNew API key is: [redacted]\nDone on FMG-VM64 v7.4.5 build2588');
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

/** An SDK service error as the client raises it, for error names no exported class models. */
function sdkError(name: string, httpStatusCode: number, message = 'the service says no') {
  return new SecretsManagerServiceException({
    name,
    $fault: httpStatusCode >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode },
    message,
  });
}

/** A Node.js socket failure as the SDK's HTTP handler passes it on. */
function socketError(code: string) {
  return Object.assign(new Error(`socket failure ${code}`), { code });
}

const errorClasses = Object.values(errors).filter(
  (value): value is typeof ProvisionerError =>
    typeof value === 'function' && value.prototype instanceof ProvisionerError,
);

describe('error names', () => {
  it('gives every error class its own name, carried by its instances as Step Functions sees it', () => {
    // Prepare
    const names = errorClasses.map((errorClass) => errorClass.errorName);
    // Act
    const instances = errorClasses.map((errorClass) =>
      Reflect.construct(
        errorClass,
        Object.is(errorClass, errors.IntakeError) ? [400, 'refused'] : ['failed'],
      ),
    );
    // Assess
    expect(errorClasses.length).toBeGreaterThanOrEqual(11);
    expect(errorClasses.every((errorClass) => Object.hasOwn(errorClass, 'errorName'))).toBe(true);
    expect(new Set(names).size).toBe(names.length);
    expect(instances.map((error) => error.name)).toEqual(names);
  });

  it('keeps the names of the workflow contract, the ones lib/workflows retries on', () => {
    // Act
    const contract = {
      retryable: RETRYABLE_ERROR_NAMES,
      notYetValid: NOT_YET_VALID_ERROR_NAME,
      stillValid: STILL_VALID_ERROR_NAME,
    };
    // Assess: renaming one is a change of the state machines' Retry / Catch.
    expect(contract).toEqual({
      retryable: ['RetryableError'],
      notYetValid: 'CredentialNotYetValid',
      stillValid: 'CredentialStillValid',
    });
    expect(new ValidationError('bad request', ['a: wrong']).name).toBe('ValidationError');
    expect(new ValidationError('bad request', ['a: wrong']).message).toBe('bad request: a: wrong');
    expect(new ConflictError('taken')).toBeInstanceOf(FatalError);
  });
});

describe('ValidationError', () => {
  it('lists its issues after the message, and keeps them', () => {
    // Act
    const invalid = new errors.ValidationError('invalid request', ['apiUser: must be', 'owner: required']);
    const bare = new errors.ValidationError('invalid request');
    // Assess
    expect(invalid.message).toBe('invalid request: apiUser: must be; owner: required');
    expect(invalid.issues).toEqual(['apiUser: must be', 'owner: required']);
    expect(bare.message).toBe('invalid request');
    expect(invalid).toBeInstanceOf(errors.FatalError);
  });
});

describe('awsFailure: one mapping of failed AWS SDK calls', () => {
  it.each([
    // [SM] Common Errors: ThrottlingException, HTTP 400 (a rate quota, e.g. 50 writes per second).
    ['ThrottlingException (Secrets Manager, HTTP 400)', sdkError('ThrottlingException', 400)],
    // [Scheduler] CreateSchedule / DeleteSchedule Errors: ThrottlingException, HTTP 429.
    [
      'ThrottlingException (Scheduler, HTTP 429)',
      new ThrottlingException({ message: 'slow down', Message: 'slow down', $metadata: {} }),
    ],
    // [SDK] THROTTLING_ERROR_CODES.
    ['TooManyRequestsException', sdkError('TooManyRequestsException', 400)],
    ['Throttling', sdkError('Throttling', 400)],
    ['RequestLimitExceeded', sdkError('RequestLimitExceeded', 400)],
    // [SDK] isThrottlingError: any HTTP 429.
    ['an HTTP 429 without a known name', sdkError('SomethingNew', 429)],
    // [SM] Common Errors and every action's Errors: InternalServiceError (its documented status has
    // been 400 and 500 in different versions of the page, so the name decides, not the status).
    ['InternalServiceError (Secrets Manager)', new InternalServiceError({ message: 'oops', $metadata: {} })],
    // [Scheduler] Errors: InternalServerException, HTTP 500.
    [
      'InternalServerException (Scheduler)',
      new InternalServerException({ message: 'oops', Message: 'oops', $metadata: {} }),
    ],
    // [EventBridge] PutEvents Errors: InternalException, HTTP 500.
    ['InternalException (EventBridge)', new InternalException({ message: 'oops', $metadata: {} })],
    // [SM] Common Errors: InternalFailure (500), ServiceUnavailable (503).
    ['InternalFailure', sdkError('InternalFailure', 500)],
    ['ServiceUnavailable', sdkError('ServiceUnavailable', 503)],
    // [SDK] TRANSIENT_ERROR_STATUS_CODES (500, 502, 503, 504): any 5xx.
    ['an HTTP 502 without a known name', sdkError('BadGateway', 502)],
    // [SDK] TRANSIENT_ERROR_CODES: the SDK's own request timeout.
    ['TimeoutError', Object.assign(new Error('request timed out'), { name: 'TimeoutError' })],
    // [SDK] NODEJS_TIMEOUT_ERROR_CODES / NODEJS_NETWORK_ERROR_CODES.
    ['ECONNRESET', socketError('ECONNRESET')],
    ['ECONNREFUSED', socketError('ECONNREFUSED')],
    ['ETIMEDOUT', socketError('ETIMEDOUT')],
    ['EPIPE', socketError('EPIPE')],
    ['EAI_AGAIN', socketError('EAI_AGAIN')],
    // [SDK] isRetryableByTrait: the service model marks the error retryable.
    ['an error the model marks $retryable', Object.assign(sdkError('Busy', 400), { $retryable: {} })],
    // [SDK] isTransientError follows `cause`.
    [
      'a socket failure as the cause',
      Object.assign(new Error('fetch failed'), { cause: socketError('ECONNRESET') }),
    ],
  ])('%s is a RetryableError, the name Step Functions retries', (_, error) => {
    // Act
    const mapped = awsFailure('Secrets Manager', 'UpdateSecretVersionStage', error);
    // Assess
    expect(mapped).toBeInstanceOf(RetryableError);
    expect(mapped.name).toBe('RetryableError');
    expect(mapped.message).toMatch(/^Secrets Manager UpdateSecretVersionStage failed transiently \(\S+/);
  });

  it('maps ResourceNotFoundException to NotFoundError', () => {
    // Prepare: [SM] DescribeSecret / GetSecretValue Errors: ResourceNotFoundException, HTTP 400.
    const error = new ResourceNotFoundException({ message: "can't find the secret", $metadata: {} });
    // Act
    const mapped = awsFailure('Secrets Manager', 'GetSecretValue', error, 'provisioner/fgt/bot');
    // Assess
    expect(mapped).toBeInstanceOf(NotFoundError);
    expect(mapped.name).toBe('NotFound');
    expect(mapped.message).toBe(
      'Secrets Manager GetSecretValue of provisioner/fgt/bot failed: nothing found (ResourceNotFoundException)',
    );
  });

  it.each([
    // [SM] Common Errors: AccessDeniedException, HTTP 400: a missing permission, no retry cures it.
    ['AccessDeniedException', sdkError('AccessDeniedException', 400)],
    // [Scheduler] Errors: ValidationException, HTTP 400.
    ['ValidationException', sdkError('ValidationException', 400)],
    // [SM] LimitExceededException: a Secrets Manager quota (versions, secrets), not a rate, although
    // [SDK] counts the name among its throttling codes.
    ['LimitExceededException', new LimitExceededException({ message: 'quota', $metadata: {} })],
    // [SDK] isTransientError: an aborted request is not transient.
    ['AbortError', Object.assign(new Error('aborted'), { name: 'AbortError', code: 'ECONNRESET' })],
    ['a plain Error', new Error('what')],
    ['a thrown string', 'a string'],
    ['undefined', undefined],
  ])('%s is a FatalError', (_, error) => {
    // Act
    const mapped = awsFailure('EventBridge', 'PutEvents', error);
    // Assess
    expect(mapped).toBeInstanceOf(FatalError);
    expect(mapped).not.toBeInstanceOf(NotFoundError);
    expect(mapped.name).toBe('FatalError');
    expect(mapped.message).toMatch(/^EventBridge PutEvents failed \(.+\)$/);
  });

  it('names service, action, resource and SDK error, never the SDK message, and stays bounded', () => {
    // Prepare: a message echoing what was sent, and a name no service would send.
    const echoing = sdkError('InvalidParameterException', 400, 'bad value SECRET-KEY-0123456789');
    const hostile = sdkError(`Weird name\n${'x'.repeat(500)}`, 400);
    // Act
    const mapped = awsFailure('Secrets Manager', 'PutSecretValue', echoing, 'provisioner/fgt/bot');
    const bounded = awsFailure('Secrets Manager', 'PutSecretValue', hostile);
    // Assess
    expect(mapped.message).toBe(
      'Secrets Manager PutSecretValue of provisioner/fgt/bot failed (InvalidParameterException)',
    );
    expect(mapped.message).not.toContain('SECRET-KEY');
    expect(bounded.message).not.toContain('\n');
    expect(bounded.message.length).toBeLessThan(120);
  });

  it('names the socket code of a network failure', () => {
    // Act
    const mapped = awsFailure('EventBridge Scheduler', 'CreateSchedule', socketError('ECONNRESET'));
    // Assess
    expect(mapped.message).toBe('EventBridge Scheduler CreateSchedule failed transiently (Error ECONNRESET)');
  });

  it('passes an error this domain already typed through unchanged', () => {
    // Prepare
    const typed = new NotFoundError('unknown target "x"');
    // Act
    const mapped = awsFailure('Secrets Manager', 'GetSecretValue', typed);
    // Assess
    expect(mapped).toBe(typed);
  });
});
