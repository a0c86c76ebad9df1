import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  SecretsManagerClient,
  TagResourceCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalSecretsManager } from '#local/secrets-manager.ts';
import { failure } from '../failure.ts';

const T1 = '11111111-1111-4111-a111-111111111111';
const T2 = '22222222-2222-4222-a222-222222222222';
let now = new Date('2026-11-24T00:00:00Z');
let sm: Awaited<ReturnType<typeof startLocalSecretsManager>>;
let throttled: Awaited<ReturnType<typeof startLocalSecretsManager>>;
const client = (url: string) =>
  new SecretsManagerClient({
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
  });
let c: SecretsManagerClient;

async function stages(name: string) {
  return (await c.send(new DescribeSecretCommand({ SecretId: name }))).VersionIdsToStages;
}

describe('local Secrets Manager through the real SDK', () => {
  beforeAll(async () => {
    sm = await startLocalSecretsManager();
    throttled = await startLocalSecretsManager({ writeRateLimit: { perSecond: 2 }, clock: () => now });
    c = client(sm.url);
  });
  afterAll(async () => {
    await sm.close();
    await throttled.close();
  });

  it('gives the first version AWSCURRENT even when it asks for AWSPENDING', async () => {
    // Prepare
    await c.send(new CreateSecretCommand({ Name: 'provisioner/a/first', Tags: [{ Key: 'k', Value: 'v' }] }));
    // Act
    await c.send(
      new PutSecretValueCommand({
        SecretId: 'provisioner/a/first',
        SecretString: 'one',
        ClientRequestToken: T1,
        VersionStages: ['AWSPENDING'],
      }),
    );
    // Assess
    expect(await stages('provisioner/a/first')).toEqual({ [T1]: ['AWSPENDING', 'AWSCURRENT'] });
  });

  it('ClientRequestToken: same token and value is a no-op, a different value is refused', async () => {
    // Act
    const again = await c.send(
      new PutSecretValueCommand({
        SecretId: 'provisioner/a/first',
        SecretString: 'one',
        ClientRequestToken: T1,
      }),
    );
    const changed = await failure(
      c.send(
        new PutSecretValueCommand({
          SecretId: 'provisioner/a/first',
          SecretString: 'two',
          ClientRequestToken: T1,
        }),
      ),
    );
    // Assess
    expect(again.VersionId).toBe(T1);
    expect(changed.name).toBe('ResourceExistsException');
  });

  it('moving AWSCURRENT leaves AWSPREVIOUS behind; AWSCURRENT cannot just be removed', async () => {
    // Prepare
    await c.send(
      new PutSecretValueCommand({
        SecretId: 'provisioner/a/first',
        SecretString: 'two',
        ClientRequestToken: T2,
        VersionStages: ['AWSPENDING'],
      }),
    );
    // Act
    await c.send(
      new UpdateSecretVersionStageCommand({
        SecretId: 'provisioner/a/first',
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: T2,
        RemoveFromVersionId: T1,
      }),
    );
    const removeCurrent = await failure(
      c.send(
        new UpdateSecretVersionStageCommand({
          SecretId: 'provisioner/a/first',
          VersionStage: 'AWSCURRENT',
          RemoveFromVersionId: T2,
        }),
      ),
    );
    // Assess
    expect(await stages('provisioner/a/first')).toEqual({
      [T1]: ['AWSPREVIOUS'],
      [T2]: ['AWSPENDING', 'AWSCURRENT'],
    });
    expect(removeCurrent.name).toBe('InvalidParameterException');
    const current = await c.send(new GetSecretValueCommand({ SecretId: 'provisioner/a/first' }));
    expect(current.SecretString).toBe('two');
  });

  it('a deleted secret refuses reads until restored; a forced delete frees the name at once', async () => {
    // Prepare
    await c.send(new CreateSecretCommand({ Name: 'provisioner/a/gone', SecretString: 'x' }));
    // Act
    await c.send(new DeleteSecretCommand({ SecretId: 'provisioner/a/gone', RecoveryWindowInDays: 7 }));
    const read = await failure(c.send(new GetSecretValueCommand({ SecretId: 'provisioner/a/gone' })));
    const recreate = await failure(c.send(new CreateSecretCommand({ Name: 'provisioner/a/gone' })));
    await c.send(new RestoreSecretCommand({ SecretId: 'provisioner/a/gone' }));
    const restored = await c.send(new GetSecretValueCommand({ SecretId: 'provisioner/a/gone' }));
    await c.send(
      new DeleteSecretCommand({ SecretId: 'provisioner/a/gone', ForceDeleteWithoutRecovery: true }),
    );
    await c.send(new CreateSecretCommand({ Name: 'provisioner/a/gone' }));
    // Assess
    expect(read.name).toBe('InvalidRequestException');
    expect(recreate.name).toBe('InvalidRequestException');
    expect(restored.SecretString).toBe('x');
  });

  it('ListSecrets filters by tag with prefix matching and "!" negation', async () => {
    // Prepare
    await c.send(
      new TagResourceCommand({
        SecretId: 'provisioner/a/gone',
        Tags: [{ Key: 'provisioner:owner', Value: 'bob' }],
      }),
    );
    // Act
    const bob = await c.send(new ListSecretsCommand({ Filters: [{ Key: 'tag-value', Values: ['bo'] }] }));
    const notBob = await c.send(
      new ListSecretsCommand({
        Filters: [
          { Key: 'tag-value', Values: ['!bob'] },
          { Key: 'name', Values: ['provisioner/'] },
        ],
      }),
    );
    // Assess
    expect(bob.SecretList?.map((s) => s.Name)).toEqual(['provisioner/a/gone']);
    expect(notBob.SecretList?.map((s) => s.Name)).toEqual(['provisioner/a/first']);
  });

  it('refuses hostile names and wrong types without crashing', async () => {
    // Act
    const proto = await failure(c.send(new GetSecretValueCommand({ SecretId: '__proto__' })));
    const badName = await failure(c.send(new CreateSecretCommand({ Name: 'a b;c' })));
    // Assess
    expect(proto.name).toBe('ResourceNotFoundException');
    expect(badName.name).toBe('ValidationException');
  });

  it('refuses SecretBinary rather than dropping it, and creates nothing', async () => {
    // Act
    const binary = await failure(
      c.send(new CreateSecretCommand({ Name: 'binary/a', SecretBinary: new Uint8Array([1, 2]) })),
    );
    const described = await failure(c.send(new DescribeSecretCommand({ SecretId: 'binary/a' })));
    // Assess
    expect(binary.name).toBe('InvalidParameterException');
    expect(described.name).toBe('ResourceNotFoundException');
  });

  it('throttles writes over the configured rate per second', async () => {
    // Prepare
    // One attempt: the SDK would otherwise retry the throttled call with real backoff.
    const t = new SecretsManagerClient({
      endpoint: throttled.url,
      region: 'us-east-1',
      maxAttempts: 1,
      credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
    });
    await t.send(new CreateSecretCommand({ Name: 's1' }));
    await t.send(new CreateSecretCommand({ Name: 's2' }));
    // Act
    const third = await failure(t.send(new CreateSecretCommand({ Name: 's3' })));
    now = new Date(now.getTime() + 1000);
    await t.send(new CreateSecretCommand({ Name: 's3' }));
    // Assess
    expect(third.name).toBe('ThrottlingException');
    expect(throttled.store.secretCount()).toBe(3);
    expect(throttled.store.throttled).toBe(1);
  });

  it('an injected failure for one action fails only that action, as many times as asked', async () => {
    // Prepare
    const t = new SecretsManagerClient({
      endpoint: sm.url,
      region: 'us-east-1',
      maxAttempts: 1,
      credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
    });
    await t.send(new CreateSecretCommand({ Name: 'inject/a', SecretString: 'one', ClientRequestToken: T1 }));
    sm.store.injectFailure('ThrottlingException', 2, 'UpdateSecretVersionStage');
    const move = () =>
      t.send(
        new UpdateSecretVersionStageCommand({
          SecretId: 'inject/a',
          VersionStage: 'custom',
          MoveToVersionId: T1,
        }),
      );
    // Act
    const described = await t.send(new DescribeSecretCommand({ SecretId: 'inject/a' }));
    const first = await failure(move());
    const second = await failure(move());
    await move();
    // Assess
    expect(described.Name).toBe('inject/a');
    expect([first.name, second.name]).toEqual(['ThrottlingException', 'ThrottlingException']);
    expect((await stages('inject/a'))?.[T1]).toContain('custom');
  });

  it('turns the write quota on and off while running, as the bulk benchmark does', async () => {
    // Prepare
    const t = new SecretsManagerClient({
      endpoint: throttled.url,
      region: 'us-east-1',
      maxAttempts: 1,
      credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
    });
    now = new Date(now.getTime() + 1000);
    const throttledBefore = throttled.store.throttled;
    throttled.store.setWriteRateLimit(1);
    // Act
    await t.send(new CreateSecretCommand({ Name: 'quota/a' }));
    const overQuota = await failure(t.send(new CreateSecretCommand({ Name: 'quota/b' })));
    throttled.store.setWriteRateLimit(undefined);
    await t.send(new CreateSecretCommand({ Name: 'quota/b' }));
    await t.send(new CreateSecretCommand({ Name: 'quota/c' }));
    throttled.store.setWriteRateLimit(2);
    // Assess
    expect(overQuota.name).toBe('ThrottlingException');
    expect(throttled.store.throttled - throttledBefore).toBe(1);
  });
});
