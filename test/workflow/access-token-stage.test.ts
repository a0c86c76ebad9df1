/**
 * A token broker's bearer token (FortiFlex, FortiCNAPP) as a version of the credential's own secret
 * under the staging label PROVISIONER_ACCESS_TOKEN (issue 18): PutSecretValue with VersionStages
 * moves only that label, so AWSCURRENT, AWSPENDING and AWSPREVIOUS stay on the credential's versions
 * (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_PutSecretValue.html), and the
 * version that held the label is left without one, deprecated
 * (https://docs.aws.amazon.com/secretsmanager/latest/userguide/whats-in-a-secret.html#term_version).
 */
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { ROTATION_SCHEDULE_GROUP } from '#core/config.ts';
import {
  ACCESS_TOKEN_STAGE,
  CURRENT,
  credentialSecretName,
  legacyAccessTokenSecretName,
  PREVIOUS,
  TAG,
} from '#core/names.ts';
import { rotationScheduleName } from '#core/schedules.ts';
import { credentialStatus, versionWithStage } from '#core/secrets.ts';
import { causeMessage } from '#core/step-error.ts';
import { playOperator } from '#local/operator.ts';
import { failure } from '#test/failure.ts';
import { executionEnd, runExecution } from '#test/support/executions.ts';
import { useLocalEnvironment } from '#test/support/local-environment.ts';
import { measure, PRODUCT_CASES, registerBenchTargets } from '../../bench/operations.ts';

const { env } = useLocalEnvironment({ targets: registerBenchTargets });

const flex = PRODUCT_CASES.find((c) => c.product === 'fortiflex');
if (!flex) throw new Error('no FortiFlex case');

async function provisioned(apiUser: string): Promise<string> {
  await measure(env, flex as NonNullable<typeof flex>, 'provision', apiUser);
  return credentialSecretName(flex?.target ?? '', apiUser);
}

async function refresh(secretName: string) {
  const started = (await env.scheduler.fire(ROTATION_SCHEDULE_GROUP, rotationScheduleName(secretName))) as {
    executionArn: string;
  };
  const done = await executionEnd(env, started.executionArn);
  expect(done.status, causeMessage(done.cause)).toBe('SUCCEEDED');
}

async function read(secretName: string, stage: string) {
  const answer = await env.secretsClient.send(
    new GetSecretValueCommand({ SecretId: secretName, VersionStage: stage }),
  );
  return {
    versionId: answer.VersionId,
    value: JSON.parse(answer.SecretString ?? '{}') as Record<string, string>,
  };
}

/** Every version, deprecated ones included, with its labels. */
async function versions(secretName: string): Promise<Record<string, string[]>> {
  const answer = await env.secretsClient.send(
    new ListSecretVersionIdsCommand({ SecretId: secretName, IncludeDeprecated: true }),
  );
  return Object.fromEntries((answer.Versions ?? []).map((v) => [v.VersionId ?? '', v.VersionStages ?? []]));
}

describe('the brokered access token under its staging label', () => {
  it('a refresh moves only the token label: AWSCURRENT stays on the credential, the earlier token version is deprecated, the status stays active', async () => {
    // Prepare
    const secretName = await provisioned('stage-refresh');
    const credential = await read(secretName, CURRENT);
    const before = await read(secretName, ACCESS_TOKEN_STAGE);
    // Act
    await refresh(secretName);
    // Assess
    const after = await read(secretName, ACCESS_TOKEN_STAGE);
    expect(after.value.accessToken).not.toBe(before.value.accessToken);
    expect(env.fortiflex.tokenWorks(after.value.accessToken ?? '')).toBe(true);
    expect(await read(secretName, CURRENT)).toEqual(credential);
    expect(await versions(secretName)).toEqual({
      [credential.versionId ?? '']: [CURRENT],
      [before.versionId ?? '']: [],
      [after.versionId ?? '']: [ACCESS_TOKEN_STAGE],
    });
    expect(credentialStatus(await env.store.describe(secretName))).toBe('active');
  });

  it("a rotation's new credential gets a token of its own minted with it; the old credential is AWSPREVIOUS and no version carries two roles", async () => {
    // Prepare
    const secretName = await provisioned('stage-rotate');
    const old = await read(secretName, CURRENT);
    // Act
    await measure(env, flex, 'rotate', 'stage-rotate');
    // Assess
    const current = await read(secretName, CURRENT);
    const token = await read(secretName, ACCESS_TOKEN_STAGE);
    expect(current.value.password).not.toBe(old.value.password);
    expect(env.fortiflex.tokenWorks(token.value.accessToken ?? '')).toBe(true);
    const described = await env.store.describe(secretName);
    expect(described && versionWithStage(described, PREVIOUS)).toBe(old.versionId);
    expect(described?.versions[token.versionId ?? '']).toEqual([ACCESS_TOKEN_STAGE]);
    expect(credentialStatus(described)).toBe('active');
  });

  it('a refresh whose answer is lost after it committed is retried: the retry’s token takes the label, the first one’s version is left unlabelled, the credential untouched', async () => {
    // Prepare
    const secretName = await provisioned('stage-lost');
    const credential = await read(secretName, CURRENT);
    const before = await versions(secretName);
    env.lambdaFaults.inject('refresh-access-token', 'after', { times: 1 });
    // Act
    await refresh(secretName);
    // Assess: two refreshes' versions beside the credential, only the last labelled
    const token = await read(secretName, ACCESS_TOKEN_STAGE);
    const after = await versions(secretName);
    const added = Object.keys(after).filter((id) => !(id in before));
    expect(added).toHaveLength(2);
    expect(added.map((id) => after[id])).toEqual([[], [ACCESS_TOKEN_STAGE]]);
    expect(added[1]).toBe(token.versionId);
    expect(env.fortiflex.tokenWorks(token.value.accessToken ?? '')).toBe(true);
    expect(await read(secretName, CURRENT)).toEqual(credential);
  });

  it('the same token kept twice is one version (the ClientRequestToken comes from the value)', async () => {
    // Prepare
    const secretName = await provisioned('stage-twice');
    const value = {
      accessToken: 'a'.repeat(40),
      expiresAt: '2030-01-01T00:00:00.000Z',
      mintedAt: '2029-12-31T23:00:00.000Z',
    };
    // Act
    await env.store.putAccessToken(secretName, value);
    const first = await versions(secretName);
    await env.store.putAccessToken(secretName, value);
    // Assess
    expect(await versions(secretName)).toEqual(first);
    expect((await read(secretName, ACCESS_TOKEN_STAGE)).value).toEqual(value);
  });

  it('a token is never a secret’s first version (it would be AWSCURRENT): refused, nothing written', async () => {
    // Prepare
    const secretName = credentialSecretName(flex.target, 'stage-empty');
    await env.secretsClient.send(new CreateSecretCommand({ Name: secretName }));
    const value = {
      accessToken: 'b'.repeat(40),
      expiresAt: '2030-01-01T00:00:00.000Z',
      mintedAt: '2029-12-31T23:00:00.000Z',
    };
    // Act
    const refused = (await failure(env.store.putAccessToken(secretName, value))) as Error;
    // Assess
    expect(refused.message).toBe(
      `${secretName} holds no current credential: an access token is kept only beside one`,
    );
    expect(await versions(secretName)).toEqual({});
  });

  it('migration: a token secret of an earlier release is read until the next refresh, which puts the token under its label and schedules that secret’s deletion with the recovery window', async () => {
    // Prepare: the token as an earlier release kept it, beside the credential
    const secretName = await provisioned('stage-legacy');
    const minted = await read(secretName, ACCESS_TOKEN_STAGE);
    await env.secretsClient.send(
      new UpdateSecretVersionStageCommand({
        SecretId: secretName,
        VersionStage: ACCESS_TOKEN_STAGE,
        RemoveFromVersionId: minted.versionId,
      }),
    );
    const legacyName = legacyAccessTokenSecretName(secretName);
    await env.secretsClient.send(
      new CreateSecretCommand({
        Name: legacyName,
        SecretString: JSON.stringify(minted.value),
        Tags: [{ Key: TAG.kind, Value: 'access-token' }],
      }),
    );
    expect(await env.store.readAccessToken(secretName)).toEqual(minted.value);
    // Act
    await refresh(secretName);
    // Assess
    const moved = await read(secretName, ACCESS_TOKEN_STAGE);
    expect(env.fortiflex.tokenWorks(moved.value.accessToken ?? '')).toBe(true);
    expect(await env.store.readAccessToken(secretName)).toEqual(moved.value);
    const legacy = await env.store.describe(legacyName);
    // Scheduled, not forced: restorable for the recovery window.
    expect(legacy?.deletedDate).toBeInstanceOf(Date);
  });

  it('a provision compensated after its token was kept deletes the secret it created: the token’s version is no earlier credential', async () => {
    // Prepare: FinalizeCredential fails after AcceptOperatorAnswer stored the credential and its token
    const request = {
      ...flex.request,
      target: flex.target,
      apiUser: 'stage-compensated',
      owner: 'c@example.com',
      ticket: 'T-stage-c',
    };
    const secretName = credentialSecretName(flex.target, 'stage-compensated');
    env.lambdaFaults.inject('finalize-credential', 'before', { errorName: 'FatalError' });
    // Act
    const done = await runExecution(env, env.provisionStateMachineArn, request, undefined, (task) =>
      playOperator(env, task),
    );
    env.lambdaFaults.clear();
    // Assess
    expect(done.status).toBe('FAILED');
    expect(await env.store.describe(secretName)).toBeUndefined();
  });

  it('a revocation deletes the one secret: the token is no longer readable', async () => {
    // Prepare
    const secretName = await provisioned('stage-revoke');
    // Act
    await measure(env, flex, 'revoke', 'stage-revoke');
    // Assess
    const refused = (await failure(read(secretName, ACCESS_TOKEN_STAGE))) as Error;
    expect(refused.name).toBe('InvalidRequestException');
  });
});
