/**
 * The rotate workflow on the embedded default: twin users on FortiOS and FortiManager, a consumer
 * that reads AWSCURRENT and calls the product before every step never sees a refused key, and a
 * rotation failing at any step before promotion leaves the current key current and working.
 */
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROTATION_SCHEDULE_GROUP } from '#core/config.ts';
import { executionNameFor } from '#core/execution-names.ts';
import { CURRENT, credentialSecretName, PENDING } from '#core/names.ts';
import { simulatedFortiManager } from '#core/products/fortimanager/simulated.ts';
import { vendorFor } from '#core/products/registry.ts';
import type { VerifyResult } from '#core/products/vendor.ts';
import { rotationScheduleName } from '#core/schedules.ts';
import { versionWithStage } from '#core/secrets.ts';
import { causeMessage } from '#core/step-error.ts';
import { scanEnvironment } from '#local/leak-scan.ts';
import { addressReaderRequest, executionEnd, runExecution } from '#test/support/executions.ts';
import { useLocalEnvironment } from '#test/support/local-environment.ts';

const { env, logs } = useLocalEnvironment({
  targets: async (env) => {
    await env.registerTarget('fortios', 'fgt');
    await env.registerTarget('fortimanager', 'fmg');
    // Its own ADOM: one target per device and VDOM (ADOM).
    await env.store.putTarget('fmg-rw', {
      ...simulatedFortiManager.target(env.fortimanager, 'ca'),
      vdom: 'rw',
      maxRpcPermit: 'read-write',
    });
  },
});
const outputs: string[] = [];
let runs = 0;

async function run(stateMachineArn: string, input: object, name = `run-${++runs}`) {
  const described = await runExecution(env, stateMachineArn, input, name);
  outputs.push(JSON.stringify(described));
  return described;
}

async function provision(target: string, apiUser: string, extra: Record<string, unknown> = {}) {
  const request = addressReaderRequest(target, apiUser, 'lee@example.com', extra);
  const done = await run(
    env.provisionStateMachineArn,
    request,
    executionNameFor('provision', request.ticket, request),
  );
  expect(done.status, causeMessage(done.cause)).toBe('SUCCEEDED');
}

/** What a consumer does: read AWSCURRENT, call the product with it. */
async function consumerCall(target: string, apiUser: string): Promise<VerifyResult['outcome']> {
  const answer = await env.secretsClient.send(
    new GetSecretValueCommand({ SecretId: credentialSecretName(target, apiUser) }),
  );
  const value = JSON.parse(answer.SecretString ?? '{}') as { key: string };
  const vendor = vendorFor({ target: await env.store.loadTarget(target) });
  return (await vendor.verify({ key: value.key })).outcome;
}

async function currentVersion(target: string, apiUser: string) {
  const description = await env.store.describe(credentialSecretName(target, apiUser));
  return {
    current: description && versionWithStage(description, CURRENT),
    pending: description && versionWithStage(description, PENDING),
  };
}

describe('rotate workflow (twin users, local runtime)', () => {
  beforeAll(async () => {
    await provision('fgt', 'rot-bot');
    await provision('fmg', 'rot-bot');
  });

  it.each(['fgt', 'fmg'])(
    'on %s, swaps to the twin and back while a consumer never sees a refused key',
    async (target) => {
      // Prepare
      const seen: string[] = [];
      env.lambdaFaults.beforeEach = async () => {
        seen.push(await consumerCall(target, 'rot-bot'));
      };
      const users = () =>
        target === 'fgt' ? env.fortios.state.users : (env.fortimanager.state.users as Map<string, unknown>);
      const before = await env.secretsClient.send(
        new GetSecretValueCommand({ SecretId: credentialSecretName(target, 'rot-bot') }),
      );
      // Act
      const first = await run(env.rotateStateMachineArn, { target, apiUser: 'rot-bot' });
      const onTwin = users().has('rot-bot.b') && !users().has('rot-bot');
      const second = await run(env.rotateStateMachineArn, { target, apiUser: 'rot-bot' });
      // Assess
      expect(first.status, causeMessage(first.cause)).toBe('SUCCEEDED');
      expect(JSON.parse(first.output ?? '{}')).toMatchObject({ apiUser: 'rot-bot.b', status: 'rotated' });
      expect(onTwin).toBe(true);
      expect(second.status, causeMessage(second.cause)).toBe('SUCCEEDED');
      expect(users().has('rot-bot') && !users().has('rot-bot.b')).toBe(true);
      expect(seen.length).toBeGreaterThan(10);
      expect(seen.filter((outcome) => outcome !== 'accepted')).toEqual([]);
      const oldKey = (JSON.parse(before.SecretString ?? '{}') as { key: string }).key;
      const vendor = vendorFor({ target: await env.store.loadTarget(target) });
      expect((await vendor.verify({ key: oldKey })).outcome).toBe('rejected');
      expect(await consumerCall(target, 'rot-bot')).toBe('accepted');
    },
  );

  it.each(['ensure-twin-user', 'issue-twin-key', 'verify-pending-key', 'promote-pending-key'])(
    'a rotation failing at %s leaves the current key current and working',
    async (handlerId) => {
      // Prepare
      const before = await currentVersion('fgt', 'rot-bot');
      env.lambdaFaults.inject(handlerId, 'before', { errorName: 'FatalError' });
      // Act
      const execution = await run(env.rotateStateMachineArn, { target: 'fgt', apiUser: 'rot-bot' });
      // Assess
      expect(execution.status).toBe('FAILED');
      expect(execution.error).toBe('FatalError');
      expect(await currentVersion('fgt', 'rot-bot')).toEqual({ current: before.current, pending: undefined });
      expect(await consumerCall('fgt', 'rot-bot')).toBe('accepted');
      expect(env.fortios.state.users.has('rot-bot.b')).toBe(false);
      const failed = env.eventBus.events.findLast((e) => e.DetailType === 'credential.rotation-failed');
      expect(JSON.parse(failed?.Detail ?? '{}').reason).toMatch(/^the current key is untouched/);
    },
  );

  it('a rotation failing after promotion leaves the new key current and working, and says so', async () => {
    // Prepare
    env.lambdaFaults.inject('retire-previous-key', 'before', { errorName: 'FatalError' });
    // Act
    const execution = await run(env.rotateStateMachineArn, { target: 'fgt', apiUser: 'rot-bot' });
    // Assess
    expect(execution.status).toBe('FAILED');
    expect(await consumerCall('fgt', 'rot-bot')).toBe('accepted');
    const failed = env.eventBus.events.findLast((e) => e.DetailType === 'credential.rotation-failed');
    expect(JSON.parse(failed?.Detail ?? '{}').reason).toMatch(
      /^the new key is current; the previous key may still work/,
    );
  });

  it('each provisioned credential has its rotation schedule; when it fires, the credential rotates', async () => {
    // Prepare
    const name = rotationScheduleName(credentialSecretName('fmg', 'rot-bot'));
    const schedule = env.scheduler.schedules.get(`${ROTATION_SCHEDULE_GROUP}/${name}`);
    const before = await currentVersion('fmg', 'rot-bot');
    // Act
    const started = (await env.scheduler.fire(ROTATION_SCHEDULE_GROUP, name)) as { executionArn: string };
    const done = await executionEnd(env, started.executionArn);
    // Assess
    expect(schedule).toMatchObject({
      ScheduleExpression: 'rate(30 days)',
      Target: {
        Arn: env.rotateStateMachineArn,
        Input: JSON.stringify({ target: 'fmg', apiUser: 'rot-bot' }),
      },
    });
    expect(done.status, causeMessage(done.cause)).toBe('SUCCEEDED');
    expect((await currentVersion('fmg', 'rot-bot')).current).not.toBe(before.current);
    expect(await consumerCall('fmg', 'rot-bot')).toBe('accepted');
  });

  it('gives the FortiManager twin the JSON-RPC access of the user it replaces', async () => {
    // Prepare
    await provision('fmg-rw', 'rw-bot', { rpcPermit: 'read-write' });
    // Act
    const execution = await run(env.rotateStateMachineArn, { target: 'fmg-rw', apiUser: 'rw-bot' });
    // Assess
    expect(execution.status, causeMessage(execution.cause)).toBe('SUCCEEDED');
    expect(env.fortimanager.state.users.get('rw-bot.b')?.['rpc-permit']).toBe('read-write');
  });

  it('refuses what it cannot rotate: an unknown credential, a name that is not an API user name', async () => {
    // Act
    const unknown = await run(env.rotateStateMachineArn, { target: 'fgt', apiUser: 'nobody' });
    const hostile = await run(env.rotateStateMachineArn, { target: 'fgt', apiUser: 'a;reboot' });
    // Assess
    expect(unknown.error).toBe('Conflict');
    expect(causeMessage(unknown.cause)).toMatch(/is not an active credential/);
    expect(hostile.error).toBe('ValidationError');
    expect(causeMessage(hostile.cause)).toMatch(/apiUser/);
  });

  it('leaks no key into histories, outputs, events or logs', async () => {
    // Act
    const found = scanEnvironment(env, {
      outputs,
      logs: logs.lines,
    });
    // Assess
    expect(found).toEqual([]);
  });
});
