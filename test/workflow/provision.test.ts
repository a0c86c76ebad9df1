/**
 * The provision workflow on the embedded default: the synthesized state machine on the local
 * Step Functions endpoint, the real handlers, the local Secrets Manager and the FortiOS simulator,
 * all reached through the real AWS SDK clients over HTTP.
 */
import { CreateSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { GetExecutionHistoryCommand } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { SECRETS_CLIENT_MAX_ATTEMPTS } from '#core/aws-clients.ts';
import { executionNameFor } from '#core/execution-names.ts';
import { credentialSecretName, PENDING, TAG } from '#core/names.ts';
import { simulatedFortiManager } from '#core/products/fortimanager/simulated.ts';
import { MAX_REQUEST_BYTES } from '#core/schemas.ts';
import { credentialStatus, versionWithStage } from '#core/secrets.ts';
import { causeMessage } from '#core/step-error.ts';
import { collectIssuedMaterial, scanForMaterial } from '#local/leak-scan.ts';
import { runExecution } from '#test/support/executions.ts';
import { useLocalEnvironment } from '#test/support/local-environment.ts';

const { env, logs } = useLocalEnvironment({
  targets: async (env) => {
    await env.registerTarget('fortios', 'fgt-lab');
    await env.registerTarget('fortimanager', 'fmg-lab');
    // Its own ADOM: one target per device and VDOM (ADOM).
    await env.store.putTarget('fmg-rw', {
      ...simulatedFortiManager.target(env.fortimanager, 'ca'),
      vdom: 'rw',
      maxRpcPermit: 'read-write',
    });
    await env.store.putTarget('fmg-branch', {
      ...simulatedFortiManager.target(env.fortimanager, 'ca'),
      vdom: 'branch',
    });
  },
});
const outputs: string[] = [];
let badRequests = 0;

function requestFor(apiUser: string, overrides: Record<string, unknown> = {}) {
  return {
    target: 'fgt-lab',
    apiUser,
    owner: 'alice@example.com',
    ticket: `CHG-${apiUser}`,
    accessProfile: { name: 'addr-readonly', permissions: { 'fwgrp.address': 'read' } },
    trustedHosts: ['10.20.100.99/32', '127.0.0.1/32'],
    vdom: 'root',
    ...overrides,
  };
}

async function provision(input: unknown, name = executionNameFor('provision', 'test', input)) {
  const described = await runExecution(env, env.provisionStateMachineArn, input, name);
  outputs.push(JSON.stringify(described));
  return described;
}

async function currentKey(apiUser: string): Promise<string | undefined> {
  const answer = await env.secretsClient
    .send(new GetSecretValueCommand({ SecretId: credentialSecretName('fgt-lab', apiUser) }))
    .catch(() => undefined);
  return answer?.SecretString ? (JSON.parse(answer.SecretString) as { key: string }).key : undefined;
}

/** A FortiOS credential secret an earlier request left behind, tagged as given (target and vendor added). */
async function createEarlierSecret(apiUser: string, tags: Record<string, string>): Promise<void> {
  await env.secretsClient.send(
    new CreateSecretCommand({
      Name: credentialSecretName('fgt-lab', apiUser),
      SecretString: JSON.stringify({ vendor: 'fortios', target: 'fgt-lab', apiUser, key: 'dead-key' }),
      Tags: Object.entries({ [TAG.target]: 'fgt-lab', [TAG.vendor]: 'fortios', ...tags }).map(
        ([Key, Value]) => ({ Key, Value }),
      ),
    }),
  );
}

/** The tags of a credential an earlier request of bob left behind in `status`. */
const bobsEarlierTags = (status: string) => ({
  [TAG.owner]: 'bob.reuse@example.com',
  [TAG.ticket]: 'CHG-BOB',
  [TAG.status]: status,
  [TAG.createdBy]: 'provision-a-request-of-bob',
  [TAG.serviceUser]: 'bob-service',
});

describe('provision workflow (FortiOS, local runtime)', () => {
  it('provisions an API user whose stored key works against the product', async () => {
    // Prepare
    const before = env.fortios.state.requestsLog.length;
    // Act
    const execution = await provision(requestFor('automation-addr-ro'));
    // Assess
    expect(execution.status).toBe('SUCCEEDED');
    // The fewest calls: create-if-absent writes first, reading only on "already exists".
    expect(env.fortios.state.requestsLog.slice(before).map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /api/v2/cmdb/system/accprofile',
      'POST /api/v2/cmdb/system/api-user',
      'POST /api/v2/monitor/system/api-user/generate-key',
      'GET /api/v2/monitor/system/status',
    ]);
    const output = JSON.parse(execution.output ?? '{}');
    expect(output).toMatchObject({ target: 'fgt-lab', apiUser: 'automation-addr-ro', status: 'active' });
    const user = env.fortios.state.users.get('automation-addr-ro');
    expect(user).toBeDefined();
    const key = await currentKey('automation-addr-ro');
    expect(key).toBeDefined();
    const description = await env.store.describe(credentialSecretName('fgt-lab', 'automation-addr-ro'));
    expect(credentialStatus(description)).toBe('active');
    expect(description?.versions[output.versionId]).toEqual(['AWSCURRENT']);
    expect(env.eventBus.events.map((e) => e.DetailType)).toContain('credential.provisioned');
  });

  it('provisions a FortiManager API admin: JSON-RPC user, key generated over SSH, verified', async () => {
    // Act
    const execution = await provision(
      requestFor('fmg-automation', { target: 'fmg-lab', ticket: 'CHG-FMG-1' }),
    );
    // Assess
    expect(execution.status).toBe('SUCCEEDED');
    const user = env.fortimanager.state.users.get('fmg-automation');
    expect(user?.trusthosts).toEqual(['10.20.100.99 255.255.255.255', '127.0.0.1 255.255.255.255']);
    const stored = await env.secretsClient.send(
      new GetSecretValueCommand({ SecretId: credentialSecretName('fmg-lab', 'fmg-automation') }),
    );
    expect(JSON.parse(stored.SecretString ?? '{}').key).toBe(user?.key);
  });

  it('a provision whose Lambda invokes are throttled twice at ValidateRequest and CreateApiUser retries them and succeeds', async () => {
    // Prepare: Lambda refuses two invokes of each for lack of concurrency; the functions never run.
    env.lambdaFaults.throttle('validate-request', 2);
    env.lambdaFaults.throttle('create-api-user', 2);
    const invoked: string[] = [];
    env.lambdaFaults.beforeEach = async (handlerId) => {
      invoked.push(handlerId);
    };
    const before = env.fortios.state.requestsLog.length;
    // Act
    const execution = await provision(requestFor('throttled-invokes'));
    // Assess
    expect(execution.status, causeMessage(execution.cause)).toBe('SUCCEEDED');
    expect(invoked.filter((id) => id === 'validate-request')).toHaveLength(3);
    expect(invoked.filter((id) => id === 'create-api-user')).toHaveLength(3);
    // The throttled attempts never reached the product: one create, as in an unthrottled provision
    // (the profile, made by an earlier test, is also read to be adopted).
    const calls = env.fortios.state.requestsLog.slice(before).map((r) => `${r.method} ${r.path}`);
    expect(calls.filter((call) => !call.includes('/accprofile'))).toEqual([
      'POST /api/v2/cmdb/system/api-user',
      'POST /api/v2/monitor/system/api-user/generate-key',
      'GET /api/v2/monitor/system/status',
    ]);
  });

  it('a FortiManager provision within the target’s maxRpcPermit gives the API user read-write JSON-RPC access', async () => {
    // Act
    const execution = await provision(
      requestFor('fmg-writer', {
        target: 'fmg-rw',
        ticket: 'CHG-FMG-RW',
        rpcPermit: 'read-write',
        vdom: 'rw',
      }),
    );
    // Assess
    expect(execution.status, causeMessage(execution.cause)).toBe('SUCCEEDED');
    expect(env.fortimanager.state.users.get('fmg-writer')?.['rpc-permit']).toBe('read-write');
    const stored = await env.secretsClient.send(
      new GetSecretValueCommand({ SecretId: credentialSecretName('fmg-rw', 'fmg-writer') }),
    );
    expect(JSON.parse(stored.SecretString ?? '{}').userSpec).toMatchObject({ rpcPermit: 'read-write' });
  });

  it('a request that names no VDOM gets its target’s: a FortiManager API user in the target’s ADOM', async () => {
    // Prepare
    const { vdom: _, ...request } = requestFor('fmg-branch-bot', {
      target: 'fmg-branch',
      ticket: 'CHG-FMG-BR',
    });
    // Act
    const execution = await provision(request);
    // Assess
    expect(execution.status, causeMessage(execution.cause)).toBe('SUCCEEDED');
    expect(env.fortimanager.state.users.has('fmg-branch-bot')).toBe(true);
    const stored = await env.secretsClient.send(
      new GetSecretValueCommand({ SecretId: credentialSecretName('fmg-branch', 'fmg-branch-bot') }),
    );
    // The user was created with the stored spec (the simulator does not keep ADOMs), so it says which.
    expect(JSON.parse(stored.SecretString ?? '{}').userSpec).toMatchObject({ vdom: 'branch' });
  });

  it('a FortiManager provision that fails after the key was stored leaves no user and no secret', async () => {
    // Prepare
    env.lambdaFaults.inject('verify-credential', 'before', { errorName: 'FatalError' });
    // Act
    const execution = await provision(requestFor('fmg-failing', { target: 'fmg-lab', ticket: 'CHG-FMG-2' }));
    // Assess
    expect(execution.status).toBe('FAILED');
    expect(env.fortimanager.state.users.has('fmg-failing')).toBe(false);
    expect(await env.store.describe(credentialSecretName('fmg-lab', 'fmg-failing'))).toBeUndefined();
  });

  it.each([
    ['IssueKeyAndStore', 'issue-key-and-store'],
    ['VerifyCredential', 'verify-credential'],
    ['FinalizeCredential', 'finalize-credential'],
  ])(
    'a failure at %s after its work committed leaves no API user and no current version',
    async (_, handlerId) => {
      // Prepare
      const apiUser = `fail-${handlerId}`.slice(0, 35);
      env.lambdaFaults.inject(handlerId, 'after', { errorName: 'FatalError' });
      // Act
      const execution = await provision(requestFor(apiUser));
      // Assess
      expect(execution.status).toBe('FAILED');
      expect(execution.error).toBe('FatalError');
      expect(env.fortios.state.users.has(apiUser)).toBe(false);
      expect(await currentKey(apiUser)).toBeUndefined();
      expect(env.eventBus.events.some((e) => e.DetailType === 'credential.provision-failed')).toBe(true);
    },
  );

  it('a vendor that keeps failing after the user exists is compensated: user removed, nothing current', async () => {
    // Prepare
    env.fortios.faults.inject({ pathPrefix: '/api/v2/monitor/system/api-user/generate-key', kind: '5xx' });
    // Act
    const execution = await provision(requestFor('vendor-down'));
    // Assess
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('RetryableError');
    expect(env.fortios.state.users.has('vendor-down')).toBe(false);
    expect(await currentKey('vendor-down')).toBeUndefined();
  });

  it('a compensation throttled by Secrets Manager past the SDK retries is retried by the workflow and completes', async () => {
    // Prepare: an earlier request's secret (revoked, not yet deleted) is reused, so the compensation
    // discards this request's AWSPENDING version (UpdateSecretVersionStage) instead of deleting it.
    const apiUser = 'throttled-compensation';
    const secretName = credentialSecretName('fgt-lab', apiUser);
    await createEarlierSecret(apiUser, {
      [TAG.owner]: 'alice@example.com',
      [TAG.status]: 'revoked',
      [TAG.createdBy]: 'provision-an-earlier-request',
    });
    env.lambdaFaults.inject('verify-credential', 'before', { errorName: 'FatalError', times: 1 });
    // Every attempt of one CompensateProvision invocation's SDK call is throttled: that invocation fails.
    const stageCalls = () => env.secretsManager.store.calls.get('UpdateSecretVersionStage') ?? 0;
    const callsBefore = stageCalls();
    env.secretsManager.store.injectFailure(
      'ThrottlingException',
      SECRETS_CLIENT_MAX_ATTEMPTS,
      'UpdateSecretVersionStage',
    );
    // Act
    const execution = await provision(requestFor(apiUser));
    // Assess
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('FatalError');
    expect(stageCalls() - callsBefore).toBe(SECRETS_CLIENT_MAX_ATTEMPTS + 1);
    const secret = await env.store.describe(secretName);
    expect(secret && versionWithStage(secret, PENDING)).toBeUndefined();
    // Reused, then given back: it holds only revoked keys again, and says so.
    expect(credentialStatus(secret)).toBe('revoked');
    expect(env.fortios.state.users.has(apiUser)).toBe(false);
    expect(
      env.eventBus.events.some(
        (e) => e.DetailType === 'credential.provision-failed' && e.Detail?.includes(apiUser),
      ),
    ).toBe(true);
  });

  it('a secret left revoking by an unfinished revocation is refused for another owner, nothing created', async () => {
    // Prepare: bob's revocation stopped after tagging the secret revoking; his key may still be live.
    const apiUser = 'left-revoking';
    const secretName = credentialSecretName('fgt-lab', apiUser);
    await createEarlierSecret(apiUser, bobsEarlierTags('revoking'));
    const before = env.fortios.state.requestsLog.length;
    // Act
    const execution = await provision(requestFor(apiUser, { owner: 'alice.reuse@example.com' }));
    // Assess
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('Conflict');
    expect(causeMessage(execution.cause)).toMatch(/status revoking.*run the revocation again/);
    expect(env.fortios.state.requestsLog.slice(before)).toEqual([]);
    const secret = await env.store.describe(secretName);
    expect(secret?.tags[TAG.owner]).toBe('bob.reuse@example.com');
    expect(credentialStatus(secret)).toBe('revoking');
  });

  it('a revoked secret reused by a new request carries the new request’s tags, so its owner’s deactivation finds it', async () => {
    // Prepare: bob's credential was revoked; its secret is not deleted yet.
    const apiUser = 'reused-revoked';
    const secretName = credentialSecretName('fgt-lab', apiUser);
    await createEarlierSecret(apiUser, bobsEarlierTags('revoked'));
    const request = requestFor(apiUser, { owner: 'alice.reuse@example.com', ticket: 'CHG-REUSE-ALICE' });
    const requestId = executionNameFor('provision', request.ticket, request);
    // Act
    const execution = await provision(request, requestId);
    const revocation = await runExecution(
      env,
      env.revokeStateMachineArn,
      { owner: 'alice.reuse@example.com' },
      'revoke-alice-reuse',
    );
    // Assess
    expect(execution.status, causeMessage(execution.cause)).toBe('SUCCEEDED');
    const tags = (await env.store.describe(secretName))?.tags ?? {};
    expect(tags).toMatchObject({
      [TAG.owner]: 'alice.reuse@example.com',
      [TAG.ticket]: 'CHG-REUSE-ALICE',
      [TAG.createdBy]: requestId,
    });
    expect(tags[TAG.serviceUser]).toBeUndefined();
    expect(revocation.status, causeMessage(revocation.cause)).toBe('SUCCEEDED');
    expect(JSON.parse(revocation.output ?? '{}').revoked).toHaveLength(1);
    expect(env.fortios.state.users.has(apiUser)).toBe(false);
  });

  it('a revoked secret another request took over after this one’s validation is not retagged', async () => {
    // Prepare: a rival request tags bob's revoked secret as its own between ValidateRequest and IssueKeyAndStore.
    const apiUser = 'reused-rival';
    const secretName = credentialSecretName('fgt-lab', apiUser);
    await createEarlierSecret(apiUser, bobsEarlierTags('revoked'));
    const rival = {
      [TAG.owner]: 'carol.reuse@example.com',
      // As a rival's takeover tags it: the AWSCURRENT left is bob's revoked key.
      [TAG.status]: 'reprovisioning',
      [TAG.createdBy]: 'provision-rival',
    };
    env.lambdaFaults.beforeEach = async (handlerId) => {
      if (handlerId !== 'issue-key-and-store') return;
      const secret = await env.store.describe(secretName);
      if (secret) await env.store.tag(secret.arn, rival);
    };
    // Act
    const execution = await provision(requestFor(apiUser, { owner: 'alice.reuse@example.com' }));
    // Assess
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('Conflict');
    expect(causeMessage(execution.cause)).toMatch(/status provisioning/);
    expect((await env.store.describe(secretName))?.tags).toMatchObject(rival);
    expect(env.fortios.state.users.has(apiUser)).toBe(false);
  });

  it('a key the product never accepts fails verification and is compensated', async () => {
    // Prepare: the trusted host excludes the caller, so the product rejects the new key.
    const request = requestFor('never-accepted', { trustedHosts: ['10.20.100.99/32'] });
    // Act
    const execution = await provision(request);
    // Assess
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('CredentialNotYetValid');
    expect(env.fortios.state.users.has('never-accepted')).toBe(false);
  });

  it('a request started twice gives one user, one key and one secret', async () => {
    // Prepare
    const request = requestFor('twice');
    const name = executionNameFor('provision', request.ticket, request);
    const issuedBefore = env.fortios.state.requestsLog.filter((r) => r.path.endsWith('/generate-key')).length;
    // Act
    const first = await provision(request, name);
    const second = await provision(request, name).catch((e: unknown) => e as Error);
    // Assess
    expect(first.status).toBe('SUCCEEDED');
    expect((second as Error).name).toBe('ExecutionAlreadyExists');
    const issuedAfter = env.fortios.state.requestsLog.filter((r) => r.path.endsWith('/generate-key')).length;
    expect(issuedAfter - issuedBefore).toBe(1);
    const description = await env.store.describe(credentialSecretName('fgt-lab', 'twice'));
    expect(Object.keys(description?.versions ?? {})).toHaveLength(1);
  });

  it('the same request under another execution name is refused while its credential is active', async () => {
    // Prepare: the request's credential is active, provisioned under the request's own execution name.
    const request = requestFor('conflicting');
    await provision(request);
    // Act
    const execution = await provision(request, 'provision-other-name');
    // Assess
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('Conflict');
    expect(causeMessage(execution.cause)).toMatch(
      /already has a credential .*status active.*rotate it instead/,
    );
  });

  it('a lost answer after the API user was created is retried without a second user', async () => {
    // Prepare
    env.fortios.faults.inject({
      method: 'POST',
      pathPrefix: '/api/v2/cmdb/system/api-user',
      kind: 'drop-after-commit',
      times: 1,
    });
    // Act
    const execution = await provision(requestFor('lost-answer'));
    // Assess
    expect(execution.status).toBe('SUCCEEDED');
    expect(env.fortios.state.users.has('lost-answer')).toBe(true);
  });

  it.each([
    [
      'no trusted host',
      requestFor('bad-1', { trustedHosts: [] }),
      'ValidationError',
      /at least one trusted host/,
    ],
    [
      'any-host trusted host',
      requestFor('bad-2', { trustedHosts: ['0.0.0.0/0'] }),
      'ValidationError',
      /any address/,
    ],
    ['an unknown target', requestFor('bad-3', { target: 'nowhere' }), 'NotFound', /unknown target "nowhere"/],
    ['a path in the name', requestFor('../../system/admin'), 'ValidationError', /apiUser: must be/],
    ['shell characters in the name', requestFor('bot;reboot'), 'ValidationError', /apiUser: must be/],
    ['an unknown field', { ...requestFor('bad-6'), admin: true }, 'ValidationError', /Unrecognized key/],
    [
      'JSON-RPC access for a product without it',
      requestFor('bad-8', { rpcPermit: 'read' }),
      'ValidationError',
      /rpcPermit: fortios does not use it; remove it/,
    ],
    [
      'JSON-RPC access beyond the target’s maxRpcPermit',
      requestFor('bad-9', { target: 'fmg-lab', rpcPermit: 'read-write' }),
      'ValidationError',
      /rpcPermit read-write is beyond the target's maxRpcPermit \(read\)/,
    ],
    [
      'a VDOM outside its target’s',
      requestFor('bad-10', { vdom: 'dmz' }),
      'ValidationError',
      /vdom dmz: the target's VDOM is root; name root or omit vdom/,
    ],
    [
      'an ADOM outside its target’s',
      requestFor('bad-11', { target: 'fmg-lab', vdom: 'other-adom' }),
      'ValidationError',
      /vdom other-adom: the target names no VDOM, so only root/,
    ],
    [
      'a body over the size limit',
      requestFor('bad-7', { padding: 'x'.repeat(MAX_REQUEST_BYTES) }),
      'ValidationError',
      /over the 16384-byte limit/,
    ],
  ])(
    'a request with %s fails fast with a clear message and creates nothing',
    async (_, request, error, message) => {
      // Prepare
      const secretsBefore = env.secretsManager.store.secretCount();
      const usersBefore = env.fortios.state.users.size;
      // Act
      badRequests += 1;
      const execution = await provision(request, `bad-request-${badRequests}`);
      // Assess
      expect(execution.status).toBe('FAILED');
      expect(execution.error).toBe(error);
      expect(causeMessage(execution.cause)).toMatch(message);
      expect(env.secretsManager.store.secretCount()).toBe(secretsBefore);
      expect(env.fortios.state.users.size).toBe(usersBefore);
      const history = await env.sfnClient.send(
        new GetExecutionHistoryCommand({ executionArn: execution.executionArn }),
      );
      expect(history.events?.filter((e) => e.type === 'TaskStateEntered')).toHaveLength(1);
    },
  );

  it('leaks no issued key into histories, outputs, events or logs', async () => {
    // Prepare: at least one provision ran, whether or not the tests before this one did.
    await provision(requestFor('leak-scan'));
    const material = collectIssuedMaterial(env);
    expect(material.secrets.length).toBeGreaterThan(0);
    const histories = env.stepFunctions.service.allHistories().map((h) => JSON.stringify(h));
    // Act
    const found = scanForMaterial(material, {
      histories,
      outputs,
      events: env.eventBus.events.map((e) => JSON.stringify(e)),
      logs: logs.lines,
    });
    // Assess
    expect(logs.lines.length).toBeGreaterThan(0);
    expect(found).toEqual([]);
  });
});
