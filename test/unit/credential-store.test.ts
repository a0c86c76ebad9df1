import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerClient,
  SecretsManagerServiceException,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { FatalError, NotFoundError, RetryableError, ValidationError } from '#core/errors.ts';
import { credentialSecretName, TAG, targetSecretName } from '#core/names.ts';
import { CredentialStore, clientRequestToken, credentialStatus } from '#core/secrets.ts';
import { failure } from '../failure.ts';

const sm = mockClient(SecretsManagerClient);
const store = new CredentialStore(
  new SecretsManagerClient({ region: 'us-east-1' }),
  'alias/credential-provisioner',
);
const ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:provisioner/fgt-lab/bot-AbCdEf';
const target = {
  vendor: 'fortios',
  baseUrl: 'https://fgt.example.net',
  adminCredential: { token: 'admin-token-0123456789' },
  tls: { fingerprint: 'AB'.repeat(32) },
};

describe('credential store', () => {
  beforeEach(() => sm.reset());

  it('names secrets under provisioner/ and derives stable, UUID-shaped request tokens', () => {
    // Act
    const token = clientRequestToken('provision-CHG1-abc', 'issue-key-and-store');
    // Assess
    expect(credentialSecretName('fgt-lab', 'bot')).toBe('provisioner/fgt-lab/bot');
    expect(targetSecretName('fgt-lab')).toBe('provisioner/targets/fgt-lab');
    expect(token).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(clientRequestToken('provision-CHG1-abc', 'issue-key-and-store')).toBe(token);
    expect(clientRequestToken('provision-CHG2-abc', 'issue-key-and-store')).not.toBe(token);
  });

  it('loads and validates a target definition', async () => {
    // Prepare
    sm.on(GetSecretValueCommand, { SecretId: 'provisioner/targets/fgt-lab' }).resolves({
      SecretString: JSON.stringify(target),
    });
    // Act
    const loaded = await store.loadTarget('fgt-lab');
    // Assess
    expect(loaded.baseUrl).toBe('https://fgt.example.net');
  });

  it('reports an unknown target clearly and a malformed one without echoing its token', async () => {
    // Prepare
    sm.on(GetSecretValueCommand, { SecretId: 'provisioner/targets/nope' }).rejects(
      new ResourceNotFoundException({ message: 'not found', $metadata: {} }),
    );
    sm.on(GetSecretValueCommand, { SecretId: 'provisioner/targets/bad' }).resolves({
      SecretString: JSON.stringify({ ...target, baseUrl: 'http://plain.example.net' }),
    });
    // Act / Assess
    await expect(store.loadTarget('nope')).rejects.toThrow(NotFoundError);
    await expect(store.loadTarget('nope')).rejects.toThrow(/unknown target "nope"/);
    const error = await failure(store.loadTarget('bad'));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toMatch(/baseUrl: must be an https:\/\/ URL/);
    expect(error.message).not.toContain('admin-token-0123456789');
  });

  it('creates a credential secret once, tagged and KMS-encrypted, and adopts it when it exists', async () => {
    // Prepare
    sm.on(CreateSecretCommand)
      .resolvesOnce({ ARN })
      .rejects(new ResourceExistsException({ message: 'exists', $metadata: {} }));
    sm.on(DescribeSecretCommand).resolves({
      ARN,
      Name: 'provisioner/fgt-lab/bot',
      Tags: [{ Key: TAG.owner, Value: 'alice' }],
      VersionIdsToStages: {},
    });
    const tags = { [TAG.owner]: 'alice', [TAG.target]: 'fgt-lab' };
    // Act
    const first = await store.ensureCredentialSecret('provisioner/fgt-lab/bot', tags);
    const second = await store.ensureCredentialSecret('provisioner/fgt-lab/bot', tags);
    // Assess
    expect(first.arn).toBe(ARN);
    expect(second.arn).toBe(ARN);
    const create = sm.commandCalls(CreateSecretCommand)[0]?.args[0].input;
    expect(create?.KmsKeyId).toBe('alias/credential-provisioner');
    expect(create?.SecretString).toBeUndefined();
    expect(create?.Tags).toContainEqual({ Key: TAG.owner, Value: 'alice' });
  });

  it('stores a new key as AWSPENDING under the idempotency token', async () => {
    // Prepare
    sm.on(PutSecretValueCommand).resolves({ ARN, VersionId: 'v-1' });
    // Act
    const versionId = await store.storePending(
      ARN,
      { vendor: 'fortios', target: 'fgt-lab', apiUser: 'bot', key: 'k', issuedAt: '2026-01-01T00:00:00Z' },
      'v-1',
    );
    // Assess
    expect(versionId).toBe('v-1');
    expect(sm.commandCalls(PutSecretValueCommand)[0]?.args[0].input).toMatchObject({
      ClientRequestToken: 'v-1',
      VersionStages: ['AWSPENDING'],
    });
  });

  it('promotes a pending version: AWSCURRENT moves from the old version, AWSPENDING is cleared', async () => {
    // Prepare
    sm.on(DescribeSecretCommand).resolves({
      ARN,
      VersionIdsToStages: { old: ['AWSCURRENT'], new: ['AWSPENDING'] },
    });
    sm.on(UpdateSecretVersionStageCommand).resolves({});
    // Act
    await store.promote(ARN, 'new');
    // Assess
    const calls = sm.commandCalls(UpdateSecretVersionStageCommand).map((c) => c.args[0].input);
    expect(calls).toEqual([
      { SecretId: ARN, VersionStage: 'AWSCURRENT', MoveToVersionId: 'new', RemoveFromVersionId: 'old' },
      { SecretId: ARN, VersionStage: 'AWSPENDING', RemoveFromVersionId: 'new' },
    ]);
  });

  it('promotes nothing twice: a repeated promotion makes no write', async () => {
    // Prepare
    sm.on(DescribeSecretCommand).resolves({ ARN, VersionIdsToStages: { new: ['AWSCURRENT'] } });
    // Act
    await store.promote(ARN, 'new');
    // Assess
    expect(sm.commandCalls(UpdateSecretVersionStageCommand)).toHaveLength(0);
  });

  it('classifies throttling as retryable and other failures as fatal', async () => {
    // Prepare
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    const denied = Object.assign(new Error('denied'), { name: 'AccessDeniedException' });
    sm.on(PutSecretValueCommand).rejectsOnce(throttled).rejectsOnce(denied);
    const value = { vendor: 'fortios', target: 't', apiUser: 'u', key: 'SECRET-KEY', issuedAt: 'x' } as const;
    // Act
    const first = await failure(store.storePending(ARN, value, 't1'));
    const second = await failure(store.storePending(ARN, value, 't1'));
    // Assess
    expect(first).toBeInstanceOf(RetryableError);
    expect(second).toBeInstanceOf(FatalError);
    expect(`${first.message}${second.message}`).not.toContain('SECRET-KEY');
  });

  it.each([
    ['removeStage', () => store.removeStage(ARN, 'AWSPENDING', 'v-new')],
    ['moveStage', () => store.moveStage(ARN, 'AWSCURRENT', 'v-old', 'v-new')],
  ])(
    'a throttled UpdateSecretVersionStage in %s rejects as RetryableError, the name Step Functions retries',
    async (_, act) => {
      // Prepare: Secrets Manager's common ThrottlingException (HTTP 400), as the SDK raises it
      // once its own attempts are spent.
      sm.on(UpdateSecretVersionStageCommand).rejects(
        new SecretsManagerServiceException({
          name: 'ThrottlingException',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
          message: 'Rate exceeded',
        }),
      );
      // Act
      const error = await failure(act());
      // Assess
      expect(error).toBeInstanceOf(RetryableError);
      expect(error.name).toBe('RetryableError');
      expect(error.message).toMatch(/Secrets Manager UpdateSecretVersionStage .*ThrottlingException/);
    },
  );

  it('lists an owner’s credentials by tag, that owner only, whatever case a tag was written in', async () => {
    // Prepare: `Alice` was written before owner ids were canonical (lower case)
    sm.on(ListSecretsCommand).resolves({
      SecretList: [
        { ARN, Name: 'provisioner/fgt-lab/bot', Tags: [{ Key: TAG.owner, Value: 'alice' }] },
        { ARN: `${ARN}2`, Name: 'provisioner/fgt-lab/bot2', Tags: [{ Key: TAG.owner, Value: 'alice2' }] },
        { ARN: `${ARN}3`, Name: 'provisioner/fgt-lab/bot3', Tags: [{ Key: TAG.owner, Value: 'Alice' }] },
      ],
    });
    // Act
    const found = await store.listByOwner('alice');
    // Assess
    expect(found.map((s) => s.name)).toEqual(['provisioner/fgt-lab/bot', 'provisioner/fgt-lab/bot3']);
    // ListSecrets' tag-value filter is case-sensitive: the owner is compared in code, not filtered on.
    expect(sm.commandCalls(ListSecretsCommand)[0]?.args[0].input.Filters).toEqual([
      { Key: 'tag-key', Values: [TAG.owner] },
      { Key: 'name', Values: ['provisioner/'] },
    ]);
  });

  it('derives a credential’s status from its stages and deletion, and reads earlier releases’ tags as written', () => {
    const status = (tag: string | undefined, versions: Record<string, string[]>, deleted = false) =>
      credentialStatus({
        tags: tag ? { [TAG.status]: tag } : {},
        versions,
        ...(deleted ? { deletedDate: new Date(0) } : {}),
      });
    expect([
      status('provisioning', {}),
      // A handed-in credential: its first version is current and pending until verified.
      status('provisioning', { v1: ['AWSCURRENT', 'AWSPENDING'] }),
      status('provisioning', { v1: ['AWSCURRENT'] }),
      // Rotating: the pending version is another one.
      status('provisioning', { v1: ['AWSCURRENT'], v2: ['AWSPENDING'] }),
      status('reprovisioning', { v0: ['AWSCURRENT'] }),
      status('revoking', { v1: ['AWSCURRENT'] }),
      status('revoking', { v1: ['AWSCURRENT'] }, true),
      status('active', {}),
      status('revoked', { v1: ['AWSCURRENT'] }),
      status(undefined, { v1: ['AWSCURRENT'] }),
    ]).toEqual([
      'provisioning',
      'provisioning',
      'active',
      'active',
      'provisioning',
      'revoking',
      'revoked',
      'active',
      'revoked',
      undefined,
    ]);
    expect(credentialStatus(undefined)).toBeUndefined();
  });
});
