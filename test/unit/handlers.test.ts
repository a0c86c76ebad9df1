import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  ConflictException,
  CreateScheduleCommand,
  SchedulerClient,
  ThrottlingException,
} from '@aws-sdk/client-scheduler';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  SecretsManagerServiceException,
  TagResourceCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { TAG } from '#core/names.ts';
import { clientRequestToken } from '#core/secrets.ts';
import { lambdaContext } from '#test/support/lambda-context.ts';
import { LAB_REQUEST, mockedFortiOsVendor } from '#test/support/unit-fixtures.ts';
import { failure } from '../failure.ts';

// Unit tests: the SDK clients and the vendor adapter are mocks; the workflow suites run the real ones.
const vendor = mockedFortiOsVendor();
vi.mock('#core/products/adapters.ts', async (original) => ({
  ...(await original<typeof import('#core/products/adapters.ts')>()),
  loadVendor: async () => vendor,
}));

const { handler: validateRequest } = await import('#handlers/validate-request.ts');
const { handler: issueKeyAndStore } = await import('#handlers/issue-key-and-store.ts');
const { handler: verifyCredential } = await import('#handlers/verify-credential.ts');
const { handler: finalizeCredential } = await import('#handlers/finalize-credential.ts');
const { handler: compensateProvision } = await import('#handlers/compensate-provision.ts');

const sm = mockClient(SecretsManagerClient);
const events = mockClient(EventBridgeClient);
const scheduler = mockClient(SchedulerClient);
Object.assign(process.env, {
  ROTATION_SCHEDULE_GROUP: 'credential-provisioner',
  ROTATE_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:rotate',
  ROTATION_SCHEDULER_ROLE_ARN: 'arn:aws:iam::000000000000:role/scheduler',
  ROTATION_DEAD_LETTER_QUEUE_ARN: 'arn:aws:sqs:us-east-1:000000000000:schedules-dlq',
});
const context = lambdaContext;
/** An AWS error as the SDK raises it once its own attempts are spent (Secrets Manager: HTTP 400). */
const throttled = (name: string, httpStatusCode: number) =>
  new SecretsManagerServiceException({
    name,
    $fault: 'client',
    $metadata: { httpStatusCode },
    message: 'Rate exceeded',
  });
const ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:provisioner/fgt-lab/bot-AbCdEf';
const KEY = 'Zq9xKEY0000material0000xyz1234';
const request = { ...LAB_REQUEST, vdom: 'root' };
const state = {
  request,
  requestId: 'provision-CHG1-0123456789',
  secretName: 'provisioner/fgt-lab/bot',
  issuance: 'api',
};
const target = {
  vendor: 'fortios',
  baseUrl: 'https://fgt.example.net',
  adminCredential: { token: 'admin-token-0123456789' },
  tls: { fingerprint: 'AB'.repeat(32) },
};

describe('handlers', () => {
  beforeEach(() => {
    sm.reset();
    events.reset();
    scheduler.reset();
    vi.clearAllMocks();
    sm.on(GetSecretValueCommand, { SecretId: 'provisioner/targets/fgt-lab' }).resolves({
      SecretString: JSON.stringify(target),
    });
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
  });

  it('validate-request normalizes the request and names its secret', async () => {
    // Prepare
    sm.on(DescribeSecretCommand).rejects(new ResourceNotFoundException({ message: 'nope', $metadata: {} }));
    // Act
    const out = await validateRequest({ request, executionName: state.requestId }, context);
    // Assess
    expect(out).toEqual(state);
  });

  it('validate-request refuses a request without a trusted host before touching anything', async () => {
    // Act
    const error = await failure(
      validateRequest({ request: { ...request, trustedHosts: [] }, executionName: 'x' }, context),
    );
    // Assess
    expect(error.name).toBe('ValidationError');
    expect(error.message).toMatch(/trustedHosts: at least one trusted host is required/);
    expect(sm.calls()).toHaveLength(0);
  });

  it('validate-request refuses to provision over an active credential of another request', async () => {
    // Prepare
    sm.on(DescribeSecretCommand).resolves({
      ARN,
      Tags: [
        { Key: TAG.status, Value: 'active' },
        { Key: TAG.createdBy, Value: 'provision-OTHER-1' },
      ],
    });
    // Act / Assess
    await expect(validateRequest({ request, executionName: state.requestId }, context)).rejects.toMatchObject(
      {
        name: 'Conflict',
      },
    );
  });

  it.each([
    ['as AWSCURRENT, as Secrets Manager makes any first version', {}, 'AWSCURRENT'],
    ['as AWSPENDING beside the secret’s existing versions', { earlier: ['AWSCURRENT'] }, 'AWSPENDING'],
  ])(
    'issue-key-and-store issues once and stores the key under the derived token, %s',
    async (_, versions, stage) => {
      // Prepare
      sm.on(CreateSecretCommand).resolves({ ARN });
      sm.on(DescribeSecretCommand).resolves({
        ARN,
        Tags: [
          { Key: TAG.target, Value: 'fgt-lab' },
          { Key: TAG.vendor, Value: 'fortios' },
        ],
        VersionIdsToStages: versions,
      });
      sm.on(PutSecretValueCommand).callsFake((input: { ClientRequestToken: string }) => ({
        ARN,
        VersionId: input.ClientRequestToken,
      }));
      vendor.issueKey.mockResolvedValue({ key: KEY });
      const token = clientRequestToken(state.requestId, 'issue-key-and-store');
      // Act
      const out = await issueKeyAndStore(state, context);
      // Assess
      expect(out).toEqual({ secretArn: ARN, versionId: token });
      expect(JSON.stringify(out)).not.toContain(KEY);
      expect(vendor.issueKey).toHaveBeenCalledTimes(1);
      const put = sm.commandCalls(PutSecretValueCommand)[0]?.args[0].input;
      expect(put?.VersionStages).toEqual([stage]);
      expect(JSON.parse(put?.SecretString ?? '{}')).toMatchObject({
        key: KEY,
        apiUser: 'bot',
        vendor: 'fortios',
      });
    },
  );

  it('issue-key-and-store issues nothing when an earlier attempt already stored the version', async () => {
    // Prepare
    const token = clientRequestToken(state.requestId, 'issue-key-and-store');
    sm.on(CreateSecretCommand).resolves({ ARN });
    sm.on(DescribeSecretCommand).resolves({
      ARN,
      Tags: [
        { Key: TAG.target, Value: 'fgt-lab' },
        { Key: TAG.vendor, Value: 'fortios' },
      ],
      VersionIdsToStages: { [token]: ['AWSCURRENT', 'AWSPENDING'] },
    });
    // Act
    const out = await issueKeyAndStore(state, context);
    // Assess
    expect(out.versionId).toBe(token);
    expect(vendor.issueKey).not.toHaveBeenCalled();
    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });

  it('verify-credential asks for a retry while the product does not accept the key yet', async () => {
    // Prepare
    sm.on(DescribeSecretCommand).resolves({ ARN, VersionIdsToStages: { v1: ['AWSPENDING'] } });
    sm.on(GetSecretValueCommand, { SecretId: ARN }).resolves({
      SecretString: JSON.stringify({ vendor: 'fortios', target: 'fgt-lab', apiUser: 'bot', key: KEY }),
    });
    vendor.verify.mockResolvedValue({ outcome: 'rejected' });
    // Act
    const error = await failure(
      verifyCredential({ ...state, credential: { secretArn: ARN, versionId: 'v1' } }, context),
    );
    // Assess
    expect(vendor.verify).toHaveBeenCalledWith({ key: KEY });
    expect(error.name).toBe('CredentialNotYetValid');
    expect(error.message).not.toContain(KEY);
  });

  it('verify-credential refuses a credential handed back that is not a version of this request’s secret', async () => {
    // Prepare
    sm.on(DescribeSecretCommand).resolves({ ARN, VersionIdsToStages: { v1: ['AWSPENDING'] } });
    const elsewhere = ARN.replace('fgt-lab/bot', 'fgt-lab/other');
    // Act
    const error = await failure(
      verifyCredential({ ...state, credential: { secretArn: elsewhere, versionId: 'v1' } }, context),
    );
    // Assess
    expect(error.name).toBe('FatalError');
    expect(error.message).toMatch(/not a version of provisioner\/fgt-lab\/bot/);
    expect(sm.commandCalls(GetSecretValueCommand, { SecretId: elsewhere })).toHaveLength(0);
    expect(vendor.verify).not.toHaveBeenCalled();
  });

  it('finalize-credential promotes and announces the credential without its key; no status tag where the stages say active', async () => {
    // Prepare
    const tags = [{ Key: TAG.status, Value: 'provisioning' }];
    sm.on(DescribeSecretCommand)
      .resolvesOnce({ ARN, Tags: tags, VersionIdsToStages: { v1: ['AWSCURRENT', 'AWSPENDING'] } })
      .resolves({ ARN, Tags: tags, VersionIdsToStages: { v1: ['AWSCURRENT'] } });
    sm.on(UpdateSecretVersionStageCommand).resolves({});
    sm.on(TagResourceCommand).resolves({});
    scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn:aws:scheduler:::schedule/x' });
    // Act
    const out = await finalizeCredential(
      { ...state, credential: { secretArn: ARN, versionId: 'v1' } },
      context,
    );
    // Assess
    expect(out).toMatchObject({ status: 'active', secretArn: ARN, versionId: 'v1', apiUser: 'bot' });
    expect(sm.commandCalls(TagResourceCommand)).toHaveLength(0);
    const entry = events.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0];
    expect(entry?.DetailType).toBe('credential.provisioned');
    const schedule = scheduler.commandCalls(CreateScheduleCommand)[0]?.args[0].input;
    expect(schedule).toMatchObject({
      GroupName: 'credential-provisioner',
      ScheduleExpression: 'rate(30 days)',
      Target: { Input: JSON.stringify({ target: 'fgt-lab', apiUser: 'bot' }) },
    });
    expect(JSON.parse(entry?.Detail ?? '{}')).toMatchObject({ owner: 'alice@example.com', secretArn: ARN });
  });

  it('compensate-provision removes the user and the secret this request created, and reports the failure', async () => {
    // Prepare
    vendor.findManagedUser.mockResolvedValue({ name: 'bot', requestId: state.requestId });
    vendor.revoke.mockResolvedValue({ removed: true });
    sm.on(DescribeSecretCommand).resolves({ ARN, Tags: [{ Key: TAG.createdBy, Value: state.requestId }] });
    sm.on(DeleteSecretCommand).resolves({});
    const error = {
      Error: 'FatalError',
      Cause: JSON.stringify({ errorType: 'FatalError', errorMessage: 'boom' }),
    };
    // Act
    const out = await compensateProvision({ ...state, error }, context);
    // Assess
    expect(out).toEqual({ userRemoved: true, secret: 'deleted' });
    expect(sm.commandCalls(DeleteSecretCommand)[0]?.args[0].input.ForceDeleteWithoutRecovery).toBe(true);
    const detail = JSON.parse(
      events.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0]?.Detail ?? '{}',
    );
    expect(detail).toMatchObject({ error: 'FatalError', reason: 'boom' });
  });

  it('compensate-provision reports a lapsed operator task as a timeout, though AWS gives it no cause', async () => {
    // Prepare: a caught States.Timeout has an empty Cause (recorded: LocalStack's
    // test_task_service_lambda.snapshot.json, test_invoke_timeout); a heartbeat lapse is the same error.
    vendor.findManagedUser.mockResolvedValue(undefined);
    sm.on(DescribeSecretCommand).rejects(new ResourceNotFoundException({ message: 'nope', $metadata: {} }));
    // Act
    await compensateProvision({ ...state, error: { Error: 'States.Timeout', Cause: '' } }, context);
    // Assess
    const detail = JSON.parse(
      events.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0]?.Detail ?? '{}',
    );
    expect(detail).toMatchObject({ error: 'States.Timeout', reason: expect.stringMatching(/^timed out: /) });
  });

  it('compensate-provision leaves a user created by another request alone', async () => {
    // Prepare
    vendor.findManagedUser.mockResolvedValue({ name: 'bot', requestId: 'provision-OTHER-1' });
    sm.on(DescribeSecretCommand).rejects(new ResourceNotFoundException({ message: 'nope', $metadata: {} }));
    // Act
    const out = await compensateProvision({ ...state, error: { Error: 'States.Timeout' } }, context);
    // Assess
    expect(out).toEqual({ userRemoved: false, secret: 'untouched' });
    expect(vendor.revoke).not.toHaveBeenCalled();
  });

  it('compensate-provision throttled on UpdateSecretVersionStage fails as RetryableError, which the workflow retries', async () => {
    // Prepare: an earlier request's secret holds this request's AWSPENDING version.
    const versionId = clientRequestToken(state.requestId, 'issue-key-and-store');
    vendor.findManagedUser.mockResolvedValue({ name: 'bot', requestId: state.requestId });
    vendor.revoke.mockResolvedValue({ removed: true });
    sm.on(DescribeSecretCommand).resolves({
      ARN,
      Tags: [{ Key: TAG.createdBy, Value: 'provision-EARLIER-1' }],
      VersionIdsToStages: { old: ['AWSCURRENT'], [versionId]: ['AWSPENDING'] },
    });
    sm.on(UpdateSecretVersionStageCommand).rejects(throttled('ThrottlingException', 400));
    // Act
    const error = await failure(compensateProvision({ ...state, error: { Error: 'FatalError' } }, context));
    // Assess
    expect(error.name).toBe('RetryableError');
    expect(error.message).toMatch(/Secrets Manager UpdateSecretVersionStage .*\(ThrottlingException\)/);
  });

  it('finalize-credential: a schedule already there is done, a throttled Scheduler or EventBridge is retryable', async () => {
    // Prepare
    sm.on(DescribeSecretCommand).resolves({ ARN, VersionIdsToStages: { v1: ['AWSCURRENT'] } });
    sm.on(TagResourceCommand).resolves({});
    const finalizeState = { ...state, credential: { secretArn: ARN, versionId: 'v1' } };
    scheduler
      .on(CreateScheduleCommand)
      .rejectsOnce(new ConflictException({ message: 'exists', Message: 'exists', $metadata: {} }))
      .rejectsOnce(new ThrottlingException({ message: 'slow down', Message: 'slow down', $metadata: {} }))
      .resolves({});
    events
      .on(PutEventsCommand)
      .resolvesOnce({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] })
      .rejects(throttled('ThrottlingException', 400));
    // Act
    const done = await finalizeCredential(finalizeState, context);
    const schedulerThrottled = await failure(finalizeCredential(finalizeState, context));
    const eventsThrottled = await failure(finalizeCredential(finalizeState, context));
    // Assess
    expect(done).toMatchObject({ status: 'active' });
    expect(schedulerThrottled.name).toBe('RetryableError');
    expect(schedulerThrottled.message).toMatch(
      /^EventBridge Scheduler CreateSchedule .*\(ThrottlingException\)$/,
    );
    expect(eventsThrottled.name).toBe('RetryableError');
    expect(eventsThrottled.message).toMatch(/^EventBridge PutEvents .*\(ThrottlingException\)$/);
  });
});
