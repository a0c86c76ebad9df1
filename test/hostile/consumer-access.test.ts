/**
 * Who can read a stored key (issue 14, item 17): a credential names its consumer roles, and its
 * secret's resource policy denies GetSecretValue to everyone else but the stack's own readers
 * (lambdas/core/consumer-access.ts). Another role of the account whose IAM policy grants
 * GetSecretValue and kms:Decrypt on `*` is refused with AWS's AccessDeniedException for an
 * explicit deny in a resource-based policy (IAM User Guide, "Troubleshoot access denied error
 * messages": https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html).
 */

import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  BatchGetSecretValueCommand,
  CreateSecretCommand,
  DeleteResourcePolicyCommand,
  GetResourcePolicyCommand,
  GetSecretValueCommand,
  PutResourcePolicyCommand,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adoptAccess, changeAccess } from '#cli/access.ts';
import { eventBridgeClient, secretsManagerClient } from '#core/aws-clients.ts';
import { EventBridgePublisher } from '#core/events.ts';
import {
  ACCESS_TOKEN_STAGE,
  credentialSecretName,
  DEFAULT_STACK_NAME,
  legacyAccessTokenSecretName,
  physicalNames,
  targetSecretName,
} from '#core/names.ts';
import { simulatedFortiOs } from '#core/products/fortios/simulated.ts';
import { LOCAL_REGION } from '#local/endpoints.ts';
import { obtainInProductUi, submitAsOperator } from '#local/operator.ts';
import { failure } from '#test/failure.ts';
import { addressReaderRequest, runExecution, runProvision } from '#test/support/executions.ts';
import { useLocalEnvironment } from '#test/support/local-environment.ts';

/** Consumers of this account only: the target policy's consumerRolePrefixes. */
const OWN_ACCOUNT_ROLES = 'arn:aws:iam::000000000000:role/';

const { env } = useLocalEnvironment({
  targets: async (env) => {
    await env.registerTarget('forticnapp', 'cnapp');
    await env.operator.store.putTarget('fgt', {
      ...simulatedFortiOs.target(env.fortios, 'ca'),
      // The read-only defaults (docs/target-policy.md), with consumers of this account only.
      policy: {
        maxPermission: 'read',
        minTrustedHostPrefix: 8,
        maxTrustedAddresses: 2 ** 24,
        repair: 'report',
        adminKeyMaxAgeDays: 90,
        consumerRolePrefixes: [OWN_ACCOUNT_ROLES],
      },
    });
  },
});

/** An SDK client acting as a new role of the account with these identity policies. */
function clientOfRole(name: string, statements: object[]) {
  const arn = env.iam.defineRole(name, { Statement: statements as never });
  env.iam.issueAccessKey(name, arn, name);
  const client = secretsManagerClient({
    region: LOCAL_REGION,
    endpoint: env.secretsManager.url,
    credentials: { accessKeyId: name, secretAccessKey: 'local' },
  });
  return { arn, client };
}

/** GetSecretValue and kms:Decrypt on every resource: what a broad read-only or admin policy grants. */
const READ_EVERYTHING = [
  { Effect: 'Allow', Action: ['secretsmanager:GetSecretValue', 'kms:Decrypt'], Resource: '*' },
];

/** `provisioner access` as the operator runs it: the operator policy's grants, its events on the local bus. */
function operatorAccess() {
  const events = eventBridgeClient({
    region: LOCAL_REGION,
    endpoint: env.eventBus.url,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const deps = { store: env.operator.store, events: new EventBridgePublisher(events) };
  const lines: string[] = [];
  return {
    lines,
    run: (change: 'grant' | 'revoke', secret: string, role: string) =>
      changeAccess(deps, change, secret, role, { out: (line) => lines.push(line) }),
  };
}

/** GetSecretValue as that role: AWSCURRENT, or the version `stage` labels (a broker's token). */
const readAs = (who: { client: ReturnType<typeof secretsManagerClient> }, secretId: string, stage?: string) =>
  who.client.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: stage }));

let intruder: ReturnType<typeof clientOfRole>;
let consumer: ReturnType<typeof clientOfRole>;

describe('consumer read access', () => {
  beforeAll(() => {
    intruder = clientOfRole('reporting-job', READ_EVERYTHING);
    consumer = clientOfRole('address-sync', READ_EVERYTHING);
  });
  afterAll(() => {
    intruder.client.destroy();
    consumer.client.destroy();
  });

  it('another role of the account with GetSecretValue and kms:Decrypt on * is refused; the listed consumer reads', async () => {
    // Prepare
    const request = {
      ...addressReaderRequest('fgt', 'sync-bot', 'ana@example.com'),
      consumers: [consumer.arn],
    };
    const run = await runProvision(env, request);
    expect(run.cause ?? run.status).toBe('SUCCEEDED');
    const secretId = credentialSecretName('fgt', 'sync-bot');
    // Act
    const refused = (await failure(
      intruder.client.send(new GetSecretValueCommand({ SecretId: secretId })),
    )) as Error;
    const read = await consumer.client.send(new GetSecretValueCommand({ SecretId: secretId }));
    // Assess
    const { ARN } = await env.secretsClient.send(new GetResourcePolicyCommand({ SecretId: secretId }));
    expect(refused.name).toBe('AccessDeniedException');
    expect(refused.message).toBe(
      `User: arn:aws:sts::000000000000:assumed-role/reporting-job/reporting-job is not authorized to perform: secretsmanager:GetSecretValue on resource: ${ARN} with an explicit deny in a resource-based policy`,
    );
    expect(JSON.parse(String(read.SecretString))).toMatchObject({ apiUser: 'sync-bot' });
  });

  it('BatchGetSecretValue checks each secret’s resource policy: the refused credential is an Errors entry, the readable secret a value', async () => {
    // Prepare: sync-bot (the first test's credential) denies the intruder; a plain secret does not.
    const batchReader = clientOfRole('batch-reader', [
      {
        Effect: 'Allow',
        Action: ['secretsmanager:BatchGetSecretValue', 'secretsmanager:GetSecretValue', 'kms:Decrypt'],
        Resource: '*',
      },
    ]);
    const plain = await env.secretsClient.send(
      new CreateSecretCommand({ Name: 'reporting/plain-config', SecretString: '{"region":"eu"}' }),
    );
    const credential = await env.store.describe(credentialSecretName('fgt', 'sync-bot'));
    // Act
    const batch = await batchReader.client.send(
      new BatchGetSecretValueCommand({ SecretIdList: [plain.ARN ?? '', credential?.arn ?? ''] }),
    );
    batchReader.client.destroy();
    // Assess: per secret, as GetSecretValue would answer it; the denied one in Errors with
    // AccessDeniedException (BatchGetSecretValue API reference, "Errors" and the permissions it needs:
    // https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_BatchGetSecretValue.html).
    expect(batch.SecretValues?.map((v) => v.ARN)).toEqual([plain.ARN]);
    expect(batch.Errors).toEqual([
      {
        SecretId: credential?.arn,
        ErrorCode: 'AccessDeniedException',
        Message: `User: arn:aws:sts::000000000000:assumed-role/batch-reader/batch-reader is not authorized to perform: secretsmanager:GetSecretValue on resource: ${credential?.arn} with an explicit deny in a resource-based policy`,
      },
    ]);
  });

  it("a request naming a consumer outside the target policy's consumerRolePrefixes is refused at validation", async () => {
    // Prepare
    const request = {
      ...addressReaderRequest('fgt', 'far-bot', 'ana@example.com'),
      consumers: ['arn:aws:iam::999999999999:role/sync'],
    };
    // Act
    const run = await runProvision(env, request);
    // Assess
    expect([run.status, run.error]).toEqual(['FAILED', 'ValidationError']);
    expect(env.fortios.state.users.has('far-bot')).toBe(false);
  });

  it('a credential without consumers is read by the stack alone', async () => {
    // Prepare
    const run = await runProvision(env, addressReaderRequest('fgt', 'lone-bot', 'ana@example.com'));
    expect(run.status).toBe('SUCCEEDED');
    // Act
    const secretId = credentialSecretName('fgt', 'lone-bot');
    const refused = (await failure(
      consumer.client.send(new GetSecretValueCommand({ SecretId: secretId })),
    )) as Error;
    // Assess
    expect(refused.name).toBe('AccessDeniedException');
  });

  it("a broker's access token is read by its stage in the credential's secret, by the credential's consumers only, and follows `access revoke`", async () => {
    // Prepare
    const request = {
      target: 'cnapp',
      apiUser: 'report-bot',
      owner: 'ana@example.com',
      ticket: 'T-report-bot',
      serviceUser: 'svc-report',
      consumers: [consumer.arn],
    };
    const run = await runExecution(env, env.provisionStateMachineArn, request, undefined, (task) =>
      submitAsOperator(env, task.taskId, obtainInProductUi(env, task, 'svc-report')),
    );
    expect(run.status).toBe('SUCCEEDED');
    const secretId = credentialSecretName('cnapp', 'report-bot');
    // Act
    const refused = (await failure(readAs(intruder, secretId, ACCESS_TOKEN_STAGE))) as Error;
    const read = await readAs(consumer, secretId, ACCESS_TOKEN_STAGE);
    // Assess
    expect(refused.name).toBe('AccessDeniedException');
    expect(read.VersionStages).toEqual([ACCESS_TOKEN_STAGE]);
    const token = JSON.parse(String(read.SecretString)) as Record<string, unknown>;
    expect(Object.keys(token).sort()).toEqual(['accessToken', 'expiresAt', 'mintedAt']);
    expect(env.forticnapp.tokenWorks(String(token.accessToken))).toBe(true);
    // No second secret to read or to guard.
    expect(await env.store.describe(legacyAccessTokenSecretName(secretId))).toBeUndefined();
    await operatorAccess().run('revoke', secretId, consumer.arn);
    expect(((await failure(readAs(consumer, secretId, ACCESS_TOKEN_STAGE))) as Error).name).toBe(
      'AccessDeniedException',
    );
  });

  it('a rotation keeps the policy: the consumer reads the new key, the other role is still refused', async () => {
    // Prepare
    const request = {
      ...addressReaderRequest('fgt', 'turn-bot', 'ana@example.com'),
      consumers: [consumer.arn],
    };
    expect((await runProvision(env, request)).status).toBe('SUCCEEDED');
    const secretId = credentialSecretName('fgt', 'turn-bot');
    const first = JSON.parse(String((await readAs(consumer, secretId)).SecretString)) as { key: string };
    // Act
    const rotation = await runExecution(env, env.rotateStateMachineArn, {
      target: 'fgt',
      apiUser: 'turn-bot',
    });
    // Assess
    expect(rotation.status).toBe('SUCCEEDED');
    const after = JSON.parse(String((await readAs(consumer, secretId)).SecretString)) as { key: string };
    expect(after.key).not.toBe(first.key);
    expect(((await failure(readAs(intruder, secretId))) as Error).name).toBe('AccessDeniedException');
  });

  it('after `access revoke` the consumer is refused; `access grant` lets another role read; each change is announced', async () => {
    // Prepare
    const request = {
      ...addressReaderRequest('fgt', 'grant-bot', 'ana@example.com'),
      consumers: [consumer.arn],
    };
    expect((await runProvision(env, request)).status).toBe('SUCCEEDED');
    const secretId = credentialSecretName('fgt', 'grant-bot');
    const access = operatorAccess();
    // Act
    await access.run('revoke', secretId, consumer.arn);
    const afterRevoke = (await failure(readAs(consumer, secretId))) as Error;
    await access.run('grant', secretId, intruder.arn);
    const granted = await readAs(intruder, secretId);
    const again = await access.run('grant', secretId, intruder.arn);
    // Assess
    expect(afterRevoke.name).toBe('AccessDeniedException');
    expect(JSON.parse(String(granted.SecretString))).toMatchObject({ apiUser: 'grant-bot' });
    expect(again).toBe(0);
    expect(access.lines.at(-1)).toContain('already reads');
    const announced = env.eventBus.events
      .filter((e) => e.DetailType === 'credential.access-changed')
      .map((e) => JSON.parse(e.Detail) as { secretName: string; change: string; consumers: string[] })
      .filter((d) => d.secretName === secretId);
    expect(announced.map((d) => [d.change, d.consumers])).toEqual([
      ['revoke', []],
      ['grant', [intruder.arn]],
    ]);
  });

  it('`access adopt` puts the policy on a credential provisioned before consumer access, leaves the others, and changes nothing the second time', async () => {
    // Prepare: a credential whose policy is gone (as before consumer access), one with a policy of its own.
    const bare = { ...addressReaderRequest('fgt', 'legacy-bot', 'ana@example.com'), consumers: [] };
    const foreign = { ...addressReaderRequest('fgt', 'foreign-bot', 'ana@example.com'), consumers: [] };
    for (const request of [bare, foreign])
      expect((await runProvision(env, request)).status).toBe('SUCCEEDED');
    const legacy = credentialSecretName('fgt', 'legacy-bot');
    const ownPolicy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Deny', Principal: '*', Action: 'secretsmanager:DeleteSecret', Resource: '*' }],
    });
    await env.secretsClient.send(new DeleteResourcePolicyCommand({ SecretId: legacy }));
    await env.secretsClient.send(
      new PutResourcePolicyCommand({
        SecretId: credentialSecretName('fgt', 'foreign-bot'),
        ResourcePolicy: ownPolicy,
      }),
    );
    const readBefore = await readAs(intruder, legacy);
    const refusedBefore = await failure(operatorAccess().run('grant', legacy, consumer.arn));
    const lines: string[] = [];
    const adopt = () =>
      adoptAccess(
        { store: env.operator.store, rolePath: physicalNames(DEFAULT_STACK_NAME).rolePath },
        { target: 'fgt', readers: ['arn:aws:iam::000000000000:role/local-administrator'] },
        { out: (line) => lines.push(line) },
      );
    // Act
    await adopt();
    const first = lines.splice(0);
    const refusedAfter = (await failure(readAs(intruder, legacy))) as Error;
    await adopt();
    const second = lines.splice(0);
    const granted = await operatorAccess().run('grant', legacy, consumer.arn);
    // Assess
    expect(JSON.parse(String(readBefore.SecretString))).toMatchObject({ apiUser: 'legacy-bot' });
    expect(refusedBefore.message).toContain('`provisioner access adopt` sets one');
    expect(first).toContain(
      `${legacy}: consumer policy set (readers: arn:aws:iam::000000000000:role/credential-provisioner/*, arn:aws:iam::000000000000:role/local-administrator; consumers: none)`,
    );
    expect(first).toContain(
      `${credentialSecretName('fgt', 'foreign-bot')}: has a resource policy of its own: left as it is`,
    );
    expect(first.at(-1)).toMatch(/^adopted 1 credential;/);
    expect(refusedAfter.name).toBe('AccessDeniedException');
    expect(second.at(-1)).toMatch(/^adopted 0 credentials;/);
    expect(second).toContain(`${legacy}: has its consumer policy already`);
    expect(granted).toBe(0);
    const foreignNow = await env.secretsClient.send(
      new GetResourcePolicyCommand({ SecretId: credentialSecretName('fgt', 'foreign-bot') }),
    );
    expect(foreignNow.ResourcePolicy).toBe(ownPolicy);
  });

  it('`access` refuses an unknown secret, a secret that is no credential of this provisioner and a role that is no role ARN, changing nothing', async () => {
    // Prepare
    const request = {
      ...addressReaderRequest('fgt', 'kept-bot', 'ana@example.com'),
      consumers: [consumer.arn],
    };
    expect((await runProvision(env, request)).status).toBe('SUCCEEDED');
    const secretId = credentialSecretName('fgt', 'kept-bot');
    await env.secretsClient.send(new CreateSecretCommand({ Name: 'billing/db', SecretString: 'x' }));
    const before = await env.secretsClient.send(new GetResourcePolicyCommand({ SecretId: secretId }));
    const access = operatorAccess();
    // Act
    const unknown = (await failure(
      access.run('grant', credentialSecretName('fgt', 'nobody'), intruder.arn),
    )) as Error;
    const foreign = (await failure(access.run('grant', 'billing/db', intruder.arn))) as Error;
    const target = (await failure(access.run('grant', targetSecretName('fgt'), intruder.arn))) as Error;
    const wildcard = (await failure(
      access.run('grant', secretId, 'arn:aws:iam::000000000000:role/*'),
    )) as Error;
    const elsewhere = (await failure(
      access.run('grant', secretId, 'arn:aws:iam::999999999999:role/sync'),
    )) as Error;
    // Assess
    expect([unknown.name, unknown.message]).toEqual([
      'NotFound',
      `no credential secret ${credentialSecretName('fgt', 'nobody')}`,
    ]);
    expect(foreign.message).toBe('billing/db is not a credential of this provisioner (under provisioner/)');
    expect(target.name).toBe('ValidationError');
    expect(wildcard.name).toBe('ValidationError');
    expect(wildcard.message).toContain('--role');
    expect(elsewhere.message).toBe(
      `arn:aws:iam::999999999999:role/sync may not read ${secretId}: consumers: arn:aws:iam::999999999999:role/sync is not under the target policy's consumerRolePrefixes (${OWN_ACCOUNT_ROLES})`,
    );
    const after = await env.secretsClient.send(new GetResourcePolicyCommand({ SecretId: secretId }));
    expect(after.ResourcePolicy).toBe(before.ResourcePolicy);
  });
});

/**
 * Who can start a revocation: directory deactivations arrive on the stack's own bus, whose resource
 * policy denies PutEvents to every principal but the configured putters (lib/triggers/directory-bus.ts;
 * the embedded default's simulated directory, the administrator). EventBridge refuses a denied
 * PutEvents as a whole with AccessDeniedException (PutEvents API reference, Errors).
 */
describe('directory bus', () => {
  const DIRECTORY_BUS = physicalNames(DEFAULT_STACK_NAME).directoryBus;
  const deactivation = (owner: string, bus?: string) => ({
    Source: 'provisioner.directory',
    DetailType: 'User Deactivated',
    Detail: JSON.stringify({ eventId: `forged-${owner}`, userId: owner }),
    ...(bus ? { EventBusName: bus } : {}),
  });

  it('a role of the account with events:PutEvents on * cannot put a deactivation on the directory bus, and one on the default bus revokes nothing', async () => {
    // Prepare
    const arn = env.iam.defineRole('payroll-app', {
      Statement: [{ Effect: 'Allow', Action: 'events:PutEvents', Resource: '*' }],
    });
    env.iam.issueAccessKey('payroll-app', arn, 'payroll-app');
    const bus = eventBridgeClient({
      region: LOCAL_REGION,
      endpoint: env.eventBus.url,
      credentials: { accessKeyId: 'payroll-app', secretAccessKey: 'local' },
    });
    const delivered = env.eventBus.deliveries.length;
    // Act
    const refused = (await failure(
      bus.send(new PutEventsCommand({ Entries: [deactivation('ana@example.com', DIRECTORY_BUS)] })),
    )) as Error;
    const elsewhere = await bus.send(new PutEventsCommand({ Entries: [deactivation('ana@example.com')] }));
    bus.destroy();
    // Assess
    expect(refused.name).toBe('AccessDeniedException');
    expect(refused.message).toBe(
      `User: arn:aws:sts::000000000000:assumed-role/payroll-app/payroll-app is not authorized to perform: events:PutEvents on resource: arn:aws:events:${LOCAL_REGION}:000000000000:event-bus/${DIRECTORY_BUS} with an explicit deny in a resource-based policy`,
    );
    expect(elsewhere.FailedEntryCount).toBe(0);
    expect(env.eventBus.deliveries.length).toBe(delivered);
  });
});
