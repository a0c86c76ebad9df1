/**
 * The local Secrets Manager answers as AWS does. Each expectation names its recording: "LocalStack
 * <test>" is tests/aws/services/secretsmanager/test_secretsmanager.snapshot.json in
 * github:localstack/localstack (AWS-validated), "moto <test>" a test marked aws_verified in
 * github:getmoto/moto tests/test_secretsmanager/; otherwise the API reference page named.
 */
import {
  BatchGetSecretValueCommand,
  CreateSecretCommand,
  DeleteResourcePolicyCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  GetResourcePolicyCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  ListSecretVersionIdsCommand,
  PutResourcePolicyCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  SecretsManagerClient,
  TagResourceCommand,
  UpdateSecretCommand,
  UpdateSecretVersionStageCommand,
  ValidateResourcePolicyCommand,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startLocalSecretsManager } from '#local/secrets-manager.ts';
import { failure } from '../failure.ts';

const T1 = '11111111-1111-4111-a111-111111111111';
const T2 = '22222222-2222-4222-a222-222222222222';
const T3 = '33333333-3333-4333-a333-333333333333';
const T4 = '44444444-4444-4444-a444-444444444444';
const START = Date.parse('2026-11-24T10:30:00Z');
let sm: Awaited<ReturnType<typeof startLocalSecretsManager>>;
let c: SecretsManagerClient;
let prefix = 0;
/** A name of this test's own, so the tests share one endpoint without seeing each other's secrets. */
let n: (name: string) => string;

/** The AWS error as the SDK surfaces it: name, message and HTTP status. */
async function refusal(call: Promise<unknown>) {
  const error = (await failure(call)) as Error & { $metadata?: { httpStatusCode?: number } };
  return { name: error.name, message: error.message, status: error.$metadata?.httpStatusCode };
}

const listNames = async (input: ConstructorParameters<typeof ListSecretsCommand>[0] = {}) =>
  ((await c.send(new ListSecretsCommand(input))).SecretList ?? []).map((s) => s.Name);

describe('local Secrets Manager: AWS answers', () => {
  beforeAll(async () => {
    sm = await startLocalSecretsManager({ clock: () => new Date(START) });
    c = new SecretsManagerClient({
      endpoint: sm.url,
      region: 'us-east-1',
      maxAttempts: 1,
      credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
    });
  });
  afterAll(async () => {
    c.destroy();
    await sm.close();
  });
  beforeEach(() => {
    prefix += 1;
    const own = `t${prefix}`;
    n = (name) => `${own}/${name}`;
    sm.store.setListingLag(0);
  });

  it('ARNs end in a hyphen and six random alphanumerics; a secret is found by name, ARN and partial ARN (LocalStack test_create_and_update_secret)', async () => {
    // Prepare
    const created = await c.send(
      new CreateSecretCommand({ Name: n('Valid/_+=.@-Name-a1b2'), SecretString: 's' }),
    );
    const arn = created.ARN ?? '';
    // Act
    const byName = await c.send(new GetSecretValueCommand({ SecretId: n('Valid/_+=.@-Name-a1b2') }));
    const byArn = await c.send(new GetSecretValueCommand({ SecretId: arn }));
    const byPartialArn = await c.send(new GetSecretValueCommand({ SecretId: arn.slice(0, -7) }));
    // Assess
    expect(arn).toMatch(
      new RegExp(
        `^arn:aws:secretsmanager:us-east-1:\\d{12}:secret:${n('Valid/_\\+=\\.@-Name-a1b2')}-[A-Za-z0-9]{6}$`,
      ),
    );
    expect([byName.ARN, byArn.ARN, byPartialArn.ARN]).toEqual([arn, arn, arn]);
  });

  it('a partial ARN whose name ends like a suffix is read as a full ARN and finds nothing (LocalStack test_create_and_update_secret[Invalid/_+=.@-Name-a1b2c3-False])', async () => {
    // Prepare
    const created = await c.send(new CreateSecretCommand({ Name: n('app/db-abcdef'), SecretString: 's' }));
    // Act
    const partial = await refusal(
      c.send(new GetSecretValueCommand({ SecretId: (created.ARN ?? '').slice(0, -7) })),
    );
    const byName = await c.send(new GetSecretValueCommand({ SecretId: n('app/db-abcdef') }));
    // Assess
    expect(partial).toEqual({
      name: 'ResourceNotFoundException',
      message: "Secrets Manager can't find the specified secret.",
      status: 400,
    });
    expect(byName.ARN).toBe(created.ARN);
  });

  it('refuses an invalid name on every operation in AWS words (LocalStack test_invalid_secret_name)', async () => {
    // Act
    const answers = await Promise.all([
      refusal(c.send(new CreateSecretCommand({ Name: 'Inv Name', SecretString: 'x' }))),
      refusal(c.send(new DescribeSecretCommand({ SecretId: 'Inv*Name?' }))),
      refusal(c.send(new GetSecretValueCommand({ SecretId: ' Inv Name' }))),
      refusal(c.send(new DeleteSecretCommand({ SecretId: 'Inv Name', ForceDeleteWithoutRecovery: true }))),
    ]);
    // Assess
    for (const answer of answers) {
      expect(answer).toEqual({
        name: 'ValidationException',
        message:
          'Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!',
        status: 400,
      });
    }
  });

  it('refuses a secret that exists, one scheduled for deletion, and operations on a deleted one (LocalStack test_secret_exists_snapshots, test_exp_raised_on_creation_of_secret_scheduled_for_deletion, test_tag_untag_resource_on_deleted_secret)', async () => {
    // Prepare
    await c.send(new CreateSecretCommand({ Name: n('a'), SecretString: 'x' }));
    const exists = await refusal(c.send(new CreateSecretCommand({ Name: n('a'), SecretString: 'y' })));
    await c.send(new DeleteSecretCommand({ SecretId: n('a'), RecoveryWindowInDays: 7 }));
    // Act
    const recreate = await refusal(c.send(new CreateSecretCommand({ Name: n('a'), SecretString: 'y' })));
    const tag = await refusal(
      c.send(new TagResourceCommand({ SecretId: n('a'), Tags: [{ Key: 'k', Value: 'v' }] })),
    );
    // Assess
    expect(exists).toEqual({
      name: 'ResourceExistsException',
      message: `The operation failed because the secret ${n('a')} already exists.`,
      status: 400,
    });
    expect(recreate).toEqual({
      name: 'InvalidRequestException',
      message:
        "You can't create this secret because a secret with this name is already scheduled for deletion.",
      status: 400,
    });
    expect(tag).toEqual({
      name: 'InvalidRequestException',
      message: "You can't perform this operation on the secret because it was marked for deletion.",
      status: 400,
    });
  });

  it('GetSecretValue names the missing label or version (LocalStack test_secret_version_not_found, test_get_secret_value_errors)', async () => {
    // Prepare
    await c.send(new CreateSecretCommand({ Name: n('v'), SecretString: 'x', ClientRequestToken: T1 }));
    // Act
    const stage = await refusal(
      c.send(new GetSecretValueCommand({ SecretId: n('v'), VersionStage: 'AWSPENDING' })),
    );
    const version = await refusal(c.send(new GetSecretValueCommand({ SecretId: n('v'), VersionId: T2 })));
    const mismatch = await refusal(
      c.send(new GetSecretValueCommand({ SecretId: n('v'), VersionId: T1, VersionStage: 'AWSPREVIOUS' })),
    );
    const missing = await refusal(c.send(new GetSecretValueCommand({ SecretId: n('none') })));
    // Assess
    expect(stage.message).toBe(
      "Secrets Manager can't find the specified secret value for staging label: AWSPENDING",
    );
    expect(version.message).toBe(
      `Secrets Manager can't find the specified secret value for VersionId: ${T2}`,
    );
    expect([stage.name, version.name]).toEqual(['ResourceNotFoundException', 'ResourceNotFoundException']);
    expect(mismatch).toEqual({
      name: 'InvalidRequestException',
      message: 'You provided a VersionStage that is not associated to the provided VersionId.',
      status: 400,
    });
    expect(missing.message).toBe("Secrets Manager can't find the specified secret.");
  });

  it('CreateSecret, PutSecretValue and UpdateSecret repeat a request with the same token and value; another value is refused (moto test_create_duplicate_secret_with_same_token, test_create_different_secret_with_same_token, test_put_different_secret_value_with_same_token, test_update_same_secret_value_with_same_token)', async () => {
    // Prepare
    const first = await c.send(
      new CreateSecretCommand({ Name: n('i'), SecretString: 'Hello', ClientRequestToken: T1 }),
    );
    // Act
    const again = await c.send(
      new CreateSecretCommand({ Name: n('i'), SecretString: 'Hello', ClientRequestToken: T1 }),
    );
    const other = await refusal(
      c.send(new CreateSecretCommand({ Name: n('i'), SecretString: 'Hi', ClientRequestToken: T1 })),
    );
    const put = await refusal(
      c.send(new PutSecretValueCommand({ SecretId: n('i'), SecretString: 'Hi', ClientRequestToken: T1 })),
    );
    const update = await c.send(
      new UpdateSecretCommand({ SecretId: n('i'), SecretString: 'Hello', ClientRequestToken: T1 }),
    );
    const updateOther = await refusal(
      c.send(new UpdateSecretCommand({ SecretId: n('i'), SecretString: 'Hi', ClientRequestToken: T1 })),
    );
    // Assess
    expect({ ARN: again.ARN, Name: again.Name, VersionId: again.VersionId }).toEqual({
      ARN: first.ARN,
      Name: first.Name,
      VersionId: T1,
    });
    const inUse = {
      name: 'ResourceExistsException',
      message: `You can't use ClientRequestToken ${T1} because that value is already in use for a version of secret ${first.ARN}.`,
      status: 400,
    };
    expect([other, put, updateOther]).toEqual([inUse, inUse, inUse]);
    expect(update.VersionId).toBe(T1);
  });

  it('a value without a ClientRequestToken is refused (LocalStack test_no_client_request_token)', async () => {
    // Act: the SDK always fills the token, so the request goes in raw, as LocalStack's test sends it.
    const answers = await Promise.all(
      [
        ['CreateSecret', { Name: n('raw'), SecretString: 'x' }],
        ['PutSecretValue', { SecretId: n('raw'), SecretString: 'x' }],
        ['UpdateSecret', { SecretId: n('raw'), SecretString: 'x' }],
      ].map(async ([operation, body]) => {
        const response = await fetch(sm.url, {
          method: 'POST',
          headers: {
            'x-amz-target': `secretsmanager.${operation}`,
            'content-type': 'application/x-amz-json-1.1',
          },
          body: JSON.stringify(body),
        });
        return { status: response.status, body: await response.json() };
      }),
    );
    // Assess
    for (const answer of answers) {
      expect(answer).toEqual({
        status: 400,
        body: {
          __type: 'InvalidRequestException',
          message: 'You must provide a ClientRequestToken value. We recommend a UUID-type value.',
        },
      });
    }
  });

  it('UpdateSecret changes the description, and a value makes a new AWSCURRENT version (LocalStack test_update_secret_description)', async () => {
    // Prepare
    await c.send(new CreateSecretCommand({ Name: n('u'), SecretString: 'one', ClientRequestToken: T1 }));
    // Act
    const described = await c.send(
      new UpdateSecretCommand({ SecretId: n('u'), Description: 'MyDescription' }),
    );
    const valued = await c.send(
      new UpdateSecretCommand({ SecretId: n('u'), SecretString: 'two', ClientRequestToken: T2 }),
    );
    const after = await c.send(new DescribeSecretCommand({ SecretId: n('u') }));
    // Assess
    expect(described.VersionId).toBeUndefined();
    expect(valued.VersionId).toBe(T2);
    expect(after.Description).toBe('MyDescription');
    expect(after.VersionIdsToStages).toEqual({ [T1]: ['AWSPREVIOUS'], [T2]: ['AWSCURRENT'] });
  });

  it('ListSecretVersionIds lists labelled versions; IncludeDeprecated adds the unlabelled ones without stages (LocalStack test_deprecated_secret_version_stage)', async () => {
    // Prepare
    await c.send(new CreateSecretCommand({ Name: n('d'), SecretString: '1', ClientRequestToken: T1 }));
    await c.send(new PutSecretValueCommand({ SecretId: n('d'), SecretString: '2', ClientRequestToken: T2 }));
    await c.send(new PutSecretValueCommand({ SecretId: n('d'), SecretString: '3', ClientRequestToken: T3 }));
    // Act
    const labelled = await c.send(new ListSecretVersionIdsCommand({ SecretId: n('d') }));
    const all = await c.send(new ListSecretVersionIdsCommand({ SecretId: n('d'), IncludeDeprecated: true }));
    const missing = await refusal(c.send(new ListSecretVersionIdsCommand({ SecretId: n('none') })));
    // Assess
    const shape = (v: { VersionId?: string; VersionStages?: string[]; KmsKeyIds?: string[] }) => ({
      VersionId: v.VersionId,
      VersionStages: v.VersionStages,
      KmsKeyIds: v.KmsKeyIds,
    });
    expect(labelled.Versions?.map(shape)).toEqual([
      { VersionId: T2, VersionStages: ['AWSPREVIOUS'], KmsKeyIds: ['DefaultEncryptionKey'] },
      { VersionId: T3, VersionStages: ['AWSCURRENT'], KmsKeyIds: ['DefaultEncryptionKey'] },
    ]);
    expect(all.Versions?.map(shape)[0]).toEqual({
      VersionId: T1,
      VersionStages: undefined,
      KmsKeyIds: ['DefaultEncryptionKey'],
    });
    expect(missing.message).toBe("Secrets Manager can't find the specified secret.");
  });

  it('UpdateSecretVersionStage refuses to move a label held elsewhere without RemoveFromVersionId (moto test_update_secret_version_stage_dont_specify_current_stage)', async () => {
    // Prepare
    await c.send(new CreateSecretCommand({ Name: n('s'), SecretString: '1', ClientRequestToken: T1 }));
    await c.send(
      new PutSecretValueCommand({
        SecretId: n('s'),
        SecretString: '2',
        ClientRequestToken: T2,
        VersionStages: ['AWSPENDING'],
      }),
    );
    // Act
    const answer = await refusal(
      c.send(
        new UpdateSecretVersionStageCommand({
          SecretId: n('s'),
          VersionStage: 'AWSCURRENT',
          MoveToVersionId: T2,
        }),
      ),
    );
    // Assess
    expect(answer).toEqual({
      name: 'InvalidParameterException',
      message: `The parameter RemoveFromVersionId can't be empty. Staging label AWSCURRENT is currently attached to version ${T1}, so you must explicitly reference that version in RemoveFromVersionId.`,
      status: 400,
    });
  });

  it('DescribeSecret shows LastAccessedDate as the day of the last read and DeletedDate once scheduled (LocalStack test_create_and_update_secret, test_force_delete_deleted_secret)', async () => {
    // Prepare
    await c.send(new CreateSecretCommand({ Name: n('r'), SecretString: 'x' }));
    const unread = await c.send(new DescribeSecretCommand({ SecretId: n('r') }));
    await c.send(new GetSecretValueCommand({ SecretId: n('r') }));
    // Act
    const read = await c.send(new DescribeSecretCommand({ SecretId: n('r') }));
    await c.send(new DeleteSecretCommand({ SecretId: n('r') }));
    const deleted = await c.send(new DescribeSecretCommand({ SecretId: n('r') }));
    const forced = await c.send(
      new DeleteSecretCommand({ SecretId: n('r'), ForceDeleteWithoutRecovery: true }),
    );
    // Assess
    expect(unread.LastAccessedDate).toBeUndefined();
    expect(read.LastAccessedDate?.toISOString()).toBe('2026-11-24T00:00:00.000Z');
    expect(deleted.DeletedDate?.toISOString()).toBe('2026-11-24T10:30:00.000Z');
    expect(forced.Name).toBe(n('r'));
  });

  it('a forced delete of a secret that does not exist succeeds; an unforced one is refused (moto test_delete_secret_force_no_such_secret, test_delete_secret_that_does_not_exist)', async () => {
    // Act
    const forced = await c.send(
      new DeleteSecretCommand({ SecretId: n('never'), ForceDeleteWithoutRecovery: true }),
    );
    const unforced = await refusal(c.send(new DeleteSecretCommand({ SecretId: n('never') })));
    // Assess
    expect(forced.Name).toBe(n('never'));
    expect(forced.DeletionDate).toBeInstanceOf(Date);
    expect(unforced.name).toBe('ResourceNotFoundException');
  });

  it('BatchGetSecretValue reads a list of ids and reports each one it cannot read (BatchGetSecretValue API reference)', async () => {
    // Prepare
    await c.send(new CreateSecretCommand({ Name: n('b1'), SecretString: 'one' }));
    await c.send(new CreateSecretCommand({ Name: n('b2'), SecretString: 'two' }));
    // Act
    const batch = await c.send(new BatchGetSecretValueCommand({ SecretIdList: [n('b1'), n('b2'), n('b3')] }));
    const byFilter = await c.send(
      new BatchGetSecretValueCommand({ Filters: [{ Key: 'name', Values: [n('b')] }] }),
    );
    // Assess
    expect(batch.SecretValues?.map((v) => [v.Name, v.SecretString])).toEqual([
      [n('b1'), 'one'],
      [n('b2'), 'two'],
    ]);
    expect(batch.Errors).toEqual([
      {
        SecretId: n('b3'),
        ErrorCode: 'ResourceNotFoundException',
        Message: "Secrets Manager can't find the specified secret.",
      },
    ]);
    expect(byFilter.SecretValues?.map((v) => v.Name)).toEqual([n('b1'), n('b2')]);
  });

  it('GetRandomPassword: 32 characters of every type by default, and the exclusions asked for (GetRandomPassword API reference)', async () => {
    // Act
    const standard = (await c.send(new GetRandomPasswordCommand({}))).RandomPassword ?? '';
    const digits = (
      await c.send(
        new GetRandomPasswordCommand({
          PasswordLength: 12,
          ExcludeLowercase: true,
          ExcludeUppercase: true,
          ExcludePunctuation: true,
          ExcludeCharacters: '0',
        }),
      )
    ).RandomPassword;
    // Assess
    expect(standard).toHaveLength(32);
    for (const type of [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/]) expect(standard).toMatch(type);
    expect(digits).toMatch(/^[1-9]{12}$/);
  });

  it('ListSecrets filters as AWS matches them: prefixes, words, case, negation, several values ORed, several filters ANDed (Filter API reference; moto test_with_all_filter, test_with_filter_with_value_with_multiple_words, test_with_duplicate_filter_keys)', async () => {
    // Prepare
    await c.send(
      new CreateSecretCommand({
        Name: n('foo'),
        Description: 'one two',
        Tags: [{ Key: 'right', Value: 'right' }],
      }),
    );
    await c.send(
      new CreateSecretCommand({
        Name: n('bar'),
        Description: 'one and two',
        Tags: [{ Key: 'right', Value: 'wrong' }],
      }),
    );
    await c.send(
      new CreateSecretCommand({
        Name: n('baz'),
        Description: 'DescTwo',
        Tags: [{ Key: 'wrong', Value: 'right' }],
      }),
    );
    const own = n('');
    const within = { Key: 'name' as const, Values: [own] };
    // Act
    const found = {
      namePrefix: await listNames({ Filters: [{ Key: 'name', Values: [n('ba')] }] }),
      nameCase: await listNames({ Filters: [{ Key: 'name', Values: [n('BA')] }] }),
      descriptionWords: await listNames({ Filters: [within, { Key: 'description', Values: ['O T'] }] }),
      descriptionCamel: await listNames({ Filters: [within, { Key: 'description', Values: ['two'] }] }),
      allMidWord: await listNames({ Filters: [within, { Key: 'all', Values: ['ne'] }] }),
      allTags: await listNames({ Filters: [within, { Key: 'all', Values: ['WRONG'] }] }),
      tagsAnded: await listNames({
        Filters: [within, { Key: 'tag-key', Values: ['right'] }, { Key: 'tag-value', Values: ['right'] }],
      }),
      valuesOred: await listNames({ Filters: [{ Key: 'name', Values: [n('foo'), n('baz')] }] }),
      negated: await listNames({ Filters: [within, { Key: 'tag-value', Values: ['!wr'] }] }),
      primaryRegion: await listNames({ Filters: [within, { Key: 'primary-region', Values: ['us'] }] }),
    };
    // Assess
    expect(found).toEqual({
      namePrefix: [n('bar'), n('baz')],
      nameCase: [],
      descriptionWords: [n('foo'), n('bar')],
      descriptionCamel: [n('foo'), n('bar'), n('baz')],
      allMidWord: [],
      allTags: [n('bar'), n('baz')],
      tagsAnded: [n('foo')],
      valuesOred: [n('foo'), n('baz')],
      negated: [n('foo'), n('baz')],
      primaryRegion: [],
    });
  });

  it('ListSecrets refuses an unknown filter key and a bad NextToken; pages with MaxResults; IncludePlannedDeletion shows deleted secrets (ListSecrets and Filter API references; moto test_with_include_planned_deleted_secrets)', async () => {
    // Prepare
    for (const name of ['p1', 'p2', 'p3']) await c.send(new CreateSecretCommand({ Name: n(name) }));
    await c.send(new DeleteSecretCommand({ SecretId: n('p2') }));
    const own = [{ Key: 'name' as const, Values: [n('')] }];
    // Act
    const first = await c.send(
      new ListSecretsCommand({ Filters: own, MaxResults: 1, IncludePlannedDeletion: true }),
    );
    const rest = await c.send(
      new ListSecretsCommand({ Filters: own, NextToken: first.NextToken, IncludePlannedDeletion: true }),
    );
    const live = await listNames({ Filters: own });
    const badKey = await refusal(
      c.send(new ListSecretsCommand({ Filters: [{ Key: 'invalid' as 'name', Values: ['x'] }] })),
    );
    const badToken = await refusal(c.send(new ListSecretsCommand({ NextToken: 'not-a-token' })));
    // Assess
    expect(first.SecretList?.map((s) => s.Name)).toEqual([n('p1')]);
    expect(rest.SecretList?.map((s) => s.Name)).toEqual([n('p2'), n('p3')]);
    expect(rest.SecretList?.[0]?.DeletedDate).toBeInstanceOf(Date);
    expect(live).toEqual([n('p1'), n('p3')]);
    expect(badKey).toEqual({
      name: 'ValidationException',
      message:
        "1 validation error detected: Value 'invalid' at 'filters.1.member.key' failed to satisfy constraint: Member must satisfy enum value set: [description, name, tag-key, tag-value, primary-region, owning-service, all]",
      status: 400,
    });
    expect(badToken).toEqual({
      name: 'InvalidNextTokenException',
      message: 'The NextToken value is invalid.',
      status: 400,
    });
  });

  it('with a listing lag, ListSecrets shows new, retagged and deleted secrets as they were lag ago; DescribeSecret shows the present (ListSecrets API reference: eventually consistent)', async () => {
    // Prepare
    await c.send(new CreateSecretCommand({ Name: n('old'), Tags: [{ Key: 'owner', Value: 'ann' }] }));
    await c.send(new CreateSecretCommand({ Name: n('gone') }));
    sm.store.setListingLag(300_000);
    await c.send(new CreateSecretCommand({ Name: n('new') }));
    await c.send(new TagResourceCommand({ SecretId: n('old'), Tags: [{ Key: 'owner', Value: 'bob' }] }));
    await c.send(new DeleteSecretCommand({ SecretId: n('gone'), ForceDeleteWithoutRecovery: true }));
    const own = [{ Key: 'name' as const, Values: [n('')] }];
    const owners = async () =>
      ((await c.send(new ListSecretsCommand({ Filters: own }))).SecretList ?? []).map((s) => [
        s.Name,
        s.Tags?.find((t) => t.Key === 'owner')?.Value,
      ]);
    // Act
    const atOnce = await owners();
    const described = await c.send(new DescribeSecretCommand({ SecretId: n('new') }));
    sm.store.advanceClock(299_999);
    const justBefore = await owners();
    sm.store.advanceClock(1);
    const settled = await owners();
    // Assess
    expect(atOnce).toEqual([
      [n('old'), 'ann'],
      [n('gone'), undefined],
    ]);
    expect(described.Name).toBe(n('new'));
    expect(justBefore).toEqual(atOnce);
    expect(settled).toEqual([
      [n('old'), 'bob'],
      [n('new'), undefined],
    ]);
  });

  it('LocalStack test_secret_not_found: GetSecretValue and ListSecretVersionIds of no secret', async () => {
    // Act
    const read = await refusal(c.send(new GetSecretValueCommand({ SecretId: n('none') })));
    const versions = await refusal(c.send(new ListSecretVersionIdsCommand({ SecretId: n('none') })));
    // Assess
    const notFound = {
      name: 'ResourceNotFoundException',
      message: "Secrets Manager can't find the specified secret.",
      status: 400,
    };
    expect(read).toEqual(notFound);
    expect(versions).toEqual(notFound);
  });

  it('LocalStack test_create_secret_version_from_empty_secret: no VersionId until a value; the first one is AWSCURRENT', async () => {
    // Act
    const created = await c.send(new CreateSecretCommand({ Name: n('empty') }));
    const described = await c.send(new DescribeSecretCommand({ SecretId: n('empty') }));
    const put = await c.send(
      new PutSecretValueCommand({ SecretId: n('empty'), SecretString: 'v', ClientRequestToken: T1 }),
    );
    // Assess
    expect(created.VersionId).toBeUndefined();
    expect(described.VersionIdsToStages).toBeUndefined();
    expect(described.LastAccessedDate).toBeUndefined();
    expect(described.CreatedDate).toBeDefined();
    expect(described.LastChangedDate).toBeDefined();
    expect(put).toMatchObject({ Name: n('empty'), VersionId: T1, VersionStages: ['AWSCURRENT'] });
  });

  it('LocalStack test_update_secret_version_stages_return_type and test_secret_restore: what each answer holds', async () => {
    // Prepare
    const created = await c.send(
      new CreateSecretCommand({ Name: n('staged'), SecretString: 'a', ClientRequestToken: T1 }),
    );
    // Act
    const put = await c.send(
      new PutSecretValueCommand({
        SecretId: n('staged'),
        SecretString: 'b',
        ClientRequestToken: T2,
        VersionStages: ['AWSPENDING'],
      }),
    );
    const moved = await c.send(
      new UpdateSecretVersionStageCommand({
        SecretId: n('staged'),
        VersionStage: 'AWSPENDING',
        RemoveFromVersionId: T2,
      }),
    );
    const deleted = await c.send(new DeleteSecretCommand({ SecretId: n('staged') }));
    const restored = await c.send(new RestoreSecretCommand({ SecretId: n('staged') }));
    // Assess
    const { $metadata: _p, ...putFields } = put;
    const { $metadata: _m, ...movedFields } = moved;
    const { $metadata: _d, ...deletedFields } = deleted;
    const { $metadata: _r, ...restoredFields } = restored;
    expect(putFields).toEqual({
      ARN: created.ARN,
      Name: n('staged'),
      VersionId: T2,
      VersionStages: ['AWSPENDING'],
    });
    expect(movedFields).toEqual({ ARN: created.ARN, Name: n('staged') });
    expect(Object.keys(deletedFields).sort()).toEqual(['ARN', 'DeletionDate', 'Name']);
    expect(restoredFields).toEqual({ ARN: created.ARN, Name: n('staged') });
  });

  it('LocalStack test_put_secret_value_with_version_stages: custom labels answered sorted, AWSCURRENT stays', async () => {
    // Prepare
    await c.send(new CreateSecretCommand({ Name: n('labels'), SecretString: 'v0', ClientRequestToken: T1 }));
    // Act
    const put = await c.send(
      new PutSecretValueCommand({
        SecretId: n('labels'),
        SecretString: 'v1',
        ClientRequestToken: T2,
        VersionStages: ['SAMPLESTAGE1', 'SAMPLESTAGE0'],
      }),
    );
    const current = await c.send(new GetSecretValueCommand({ SecretId: n('labels') }));
    // Assess
    expect(put.VersionStages).toEqual(['SAMPLESTAGE0', 'SAMPLESTAGE1']);
    expect(current).toMatchObject({ SecretString: 'v0', VersionId: T1, VersionStages: ['AWSCURRENT'] });
  });

  it('a custom label moved by PutSecretValue leaves AWSCURRENT and AWSPREVIOUS where they were and the version it left unlabelled (PutSecretValue API reference, VersionStages)', async () => {
    // Prepare: a rotated secret whose custom label is on a third version
    const put = (SecretString: string, ClientRequestToken: string, VersionStages?: string[]) =>
      c.send(
        new PutSecretValueCommand({ SecretId: n('own'), SecretString, ClientRequestToken, VersionStages }),
      );
    await c.send(new CreateSecretCommand({ Name: n('own'), SecretString: 'key-1', ClientRequestToken: T1 }));
    await put('key-2', T2);
    await put('token-1', T3, ['OWN_LABEL']);
    // Act
    const moved = await put('token-2', T4, ['OWN_LABEL']);
    // Assess
    const { VersionIdsToStages } = await c.send(new DescribeSecretCommand({ SecretId: n('own') }));
    expect(moved.VersionStages).toEqual(['OWN_LABEL']);
    expect(VersionIdsToStages).toEqual({ [T1]: ['AWSPREVIOUS'], [T2]: ['AWSCURRENT'], [T4]: ['OWN_LABEL'] });
  });

  it('past 100 versions, the oldest unlabelled versions created more than 24 hours ago are removed, never a younger or a labelled one (PutSecretValue API reference)', async () => {
    // Prepare: AWSCURRENT and a custom label moved 99 times, then a day later 3 more moves
    const put = (i: number) =>
      c.send(
        new PutSecretValueCommand({
          SecretId: n('many'),
          SecretString: `token-${i}`,
          ClientRequestToken: `${String(i).padStart(8, '0')}-0000-4000-a000-000000000000`,
          VersionStages: ['OWN_LABEL'],
        }),
      );
    await c.send(new CreateSecretCommand({ Name: n('many'), SecretString: 'key', ClientRequestToken: T1 }));
    for (let i = 1; i <= 99; i += 1) await put(i);
    const all = async () =>
      (
        await c.send(new ListSecretVersionIdsCommand({ SecretId: n('many'), IncludeDeprecated: true }))
      ).Versions?.map((v) => v.VersionId);
    const young = await all();
    // Act
    sm.store.advanceClock(24 * 3_600_000 + 1);
    for (let i = 100; i <= 102; i += 1) await put(i);
    // Assess: 103 versions made, 100 kept; the first three moves (the oldest deprecated) removed
    const kept = await all();
    expect(young).toHaveLength(100);
    expect(kept).toHaveLength(100);
    expect(kept?.[0]).toBe(T1);
    expect(kept).not.toContain(young?.[1]);
    expect(kept).not.toContain(young?.[3]);
    expect(kept).toContain(young?.[4]);
    expect((await c.send(new GetSecretValueCommand({ SecretId: n('many') }))).SecretString).toBe('key');
  });

  it('PutResourcePolicy, GetResourcePolicy and DeleteResourcePolicy answer ARN and Name; a secret without a policy answers no ResourcePolicy (LocalStack test_resource_policy; moto test_get_initial_policy, test_delete_resource_policy)', async () => {
    // Prepare
    const { ARN } = await c.send(new CreateSecretCommand({ Name: n('p'), SecretString: 'x' }));
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: '*', Action: 'secretsmanager:GetSecretValue', Resource: '*' },
      ],
    });
    // Act
    const before = await c.send(new GetResourcePolicyCommand({ SecretId: n('p') }));
    const put = await c.send(new PutResourcePolicyCommand({ SecretId: n('p'), ResourcePolicy: policy }));
    const read = await c.send(new GetResourcePolicyCommand({ SecretId: ARN }));
    const deleted = await c.send(new DeleteResourcePolicyCommand({ SecretId: n('p') }));
    const after = await c.send(new GetResourcePolicyCommand({ SecretId: n('p') }));
    // Assess
    expect([before.ARN, before.Name, before.ResourcePolicy]).toEqual([ARN, n('p'), undefined]);
    expect([put.ARN, put.Name]).toEqual([ARN, n('p')]);
    expect(JSON.parse(String(read.ResourcePolicy))).toEqual(JSON.parse(policy));
    expect([deleted.ARN, deleted.Name, after.ResourcePolicy]).toEqual([ARN, n('p'), undefined]);
  });

  it('PutResourcePolicy with BlockPublicPolicy refuses a grant to everyone, refuses a malformed policy and an unknown secret, and keeps the policy it had (PutResourcePolicy API reference; moto test_policies_for_unknown_secrets)', async () => {
    // Prepare
    await c.send(new CreateSecretCommand({ Name: n('p'), SecretString: 'x' }));
    const statement = { Principal: '*', Action: 'secretsmanager:GetSecretValue', Resource: '*' };
    const onlyRole = JSON.stringify({
      Statement: [
        {
          ...statement,
          Effect: 'Deny',
          Condition: { ArnNotEquals: { 'aws:PrincipalArn': 'arn:aws:iam::000000000000:role/reader' } },
        },
      ],
    });
    await c.send(
      new PutResourcePolicyCommand({ SecretId: n('p'), ResourcePolicy: onlyRole, BlockPublicPolicy: true }),
    );
    const everyone = JSON.stringify({ Statement: [{ ...statement, Effect: 'Allow' }] });
    // Act
    const open = await refusal(
      c.send(
        new PutResourcePolicyCommand({ SecretId: n('p'), ResourcePolicy: everyone, BlockPublicPolicy: true }),
      ),
    );
    const malformed = await refusal(
      c.send(new PutResourcePolicyCommand({ SecretId: n('p'), ResourcePolicy: '{"Statement": []}' })),
    );
    const unknown = await refusal(
      c.send(new PutResourcePolicyCommand({ SecretId: n('none'), ResourcePolicy: onlyRole })),
    );
    const validation = await c.send(new ValidateResourcePolicyCommand({ ResourcePolicy: everyone }));
    // Assess
    expect(open).toEqual({
      name: 'PublicPolicyException',
      message:
        'The BlockPublicPolicy parameter is set to true, and the resource policy did not prevent broad access to the secret.',
      status: 400,
    });
    expect(malformed).toMatchObject({ name: 'MalformedPolicyDocumentException', status: 400 });
    expect(unknown).toMatchObject({ name: 'ResourceNotFoundException', status: 400 });
    expect(validation.PolicyValidationPassed).toBe(false);
    const kept = await c.send(new GetResourcePolicyCommand({ SecretId: n('p') }));
    expect(kept.ResourcePolicy).toBe(onlyRole);
  });
});
