/**
 * The admin-rotate workflow on the embedded default (issue 17, item 1): a FortiOS target's admin
 * token moves to the twin admin user and back, the old admin is gone and its token refused, a new
 * token the product does not accept is never promoted, a repeated start does no work twice, and no
 * admin token reaches a history, an output, an event or a log.
 */

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scheduleAdminRotations, targetRotate } from '#cli/admin-rotation.ts';
import { targetAdd } from '#cli/commands.ts';
import { ROTATION_SCHEDULE_GROUP } from '#core/config.ts';
import { CURRENT, PENDING, targetSecretName } from '#core/names.ts';
import type { FortiManagerTarget } from '#core/products/fortimanager/target.ts';
import type { FortiOsTarget } from '#core/products/fortios/target.ts';
import { vendorFor } from '#core/products/registry.ts';
import type { ApiVendor } from '#core/products/vendor.ts';
import { rotationScheduleName } from '#core/schedules.ts';
import { versionWithStage } from '#core/secrets.ts';
import { causeMessage } from '#core/step-error.ts';
import { adminTwinOf } from '#core/workflows/admin-rotate.ts';
import { scanEnvironment } from '#local/leak-scan.ts';
import {
  addressReaderRequest,
  executionEnd,
  runExecution,
  runProvision,
  startExecution,
} from '#test/support/executions.ts';
import { useLocalEnvironment } from '#test/support/local-environment.ts';
import { failure } from '../failure.ts';

const { env, logs } = useLocalEnvironment({
  targets: async (env) => {
    await env.registerTarget('fortios', 'fgt');
    await env.registerTarget('fortimanager', 'fmg');
    await env.registerTarget('fortiflex', 'flex');
  },
});
const outputs: string[] = [];
let runs = 0;

async function rotateAdmin(target = 'fgt', name = `admin-rotate-${++runs}`, credential?: 'ssh') {
  const input = credential ? { target, credential } : { target };
  const described = await runExecution(env, env.adminRotateStateMachineArn, input, name);
  outputs.push(JSON.stringify(described));
  return described;
}

async function fortiManagerTarget(): Promise<FortiManagerTarget> {
  return (await env.store.loadTarget('fmg')) as FortiManagerTarget;
}

/** Whether a FortiManager target definition's SSH login logs in now. */
async function logsIn(target: FortiManagerTarget) {
  return (await (vendorFor({ target }) as ApiVendor).loginTwins?.verifyLogin())?.outcome;
}

async function fortiOsTarget(): Promise<FortiOsTarget> {
  return (await env.store.loadTarget('fgt')) as FortiOsTarget;
}

/** Whether a FortiOS target definition's admin token administers the device now. */
async function administers(target: FortiOsTarget) {
  return (await (vendorFor({ target }) as ApiVendor).adminTwins?.verifyAdmin())?.outcome;
}

async function stages() {
  const secret = await env.store.describe(targetSecretName('fgt'));
  return secret && { current: versionWithStage(secret, CURRENT), pending: versionWithStage(secret, PENDING) };
}

const keyGenerations = () =>
  env.fortios.state.requestsLog.filter((r) => r.path === '/api/v2/monitor/system/api-user/generate-key')
    .length;

describe('admin-rotate workflow (FortiOS admin twins, local runtime)', () => {
  it('moves the admin token to the twin admin and back: the new token administers, the old admin is gone and its token refused', async () => {
    // Prepare
    const before = await fortiOsTarget();
    // Act
    const first = await rotateAdmin();
    const afterFirst = await fortiOsTarget();
    const second = await rotateAdmin();
    const afterSecond = await fortiOsTarget();
    // Assess
    expect(first.status, causeMessage(first.cause)).toBe('SUCCEEDED');
    expect(second.status, causeMessage(second.cause)).toBe('SUCCEEDED');
    expect(before.adminCredential.user).toBe('provisioner-admin');
    expect(afterFirst.adminCredential.user).toBe('provisioner-admin.b');
    expect(afterSecond.adminCredential.user).toBe('provisioner-admin');
    expect(new Set([before, afterFirst, afterSecond].map((t) => t.adminCredential.token)).size).toBe(3);
    expect(await administers(afterSecond)).toBe('accepted');
    expect(await administers(afterFirst)).toBe('rejected');
    expect(await administers(before)).toBe('rejected');
    expect(env.fortios.state.users.has('provisioner-admin.b')).toBe(false);
    expect((await stages())?.pending).toBeUndefined();
    expect(JSON.parse(second.output ?? '{}')).toMatchObject({
      target: 'fgt',
      adminUser: 'provisioner-admin',
    });
    // The provisioner keeps working with the admin token it now holds.
    const provisioned = await runProvision(
      env,
      addressReaderRequest('fgt', 'after-admin-bot', 'ann@example.com'),
    );
    expect(provisioned.status, causeMessage(provisioned.cause)).toBe('SUCCEEDED');
  });

  it('schedules the next admin rotation at half the policy’s maximum age, and the schedule firing rotates the token', async () => {
    // Prepare: the rotations above created the target's schedule
    const name = rotationScheduleName(targetSecretName('fgt'));
    const schedule = env.scheduler.schedules.get(`${ROTATION_SCHEDULE_GROUP}/${name}`);
    const before = await fortiOsTarget();
    // Act
    const started = (await env.scheduler.fire(ROTATION_SCHEDULE_GROUP, name)) as { executionArn: string };
    const ended = await executionEnd(env, started.executionArn);
    outputs.push(JSON.stringify(ended));
    // Assess
    expect(schedule).toMatchObject({
      ScheduleExpression: 'rate(45 days)',
      Target: {
        Arn: env.adminRotateStateMachineArn,
        Input: JSON.stringify({ target: 'fgt', credential: 'api-token' }),
      },
    });
    expect(ended.status, causeMessage(ended.cause)).toBe('SUCCEEDED');
    expect((await fortiOsTarget()).adminCredential.user).toBe(adminTwinOf(before.adminCredential.user ?? ''));
  });

  it('never promotes a new admin token the product does not accept: the current one stays current and working', async () => {
    // Prepare: someone regenerates the twin's key behind the rotation's back before each check
    const before = await fortiOsTarget();
    const versions = await stages();
    const idle = adminTwinOf(before.adminCredential.user ?? '');
    env.lambdaFaults.beforeEach = async (handlerId) => {
      const twin = env.fortios.state.users.get(idle);
      if (handlerId === 'verify-admin-key' && twin) twin.key = 'regenerated-behind-its-back-000';
    };
    // Act
    const failed = await rotateAdmin();
    // Assess
    expect(failed.status).toBe('FAILED');
    expect(causeMessage(failed.cause)).toMatch(/does not accept the new admin credential/);
    expect(await stages()).toEqual(versions);
    expect(await fortiOsTarget()).toEqual(before);
    expect(await administers(before)).toBe('accepted');
    expect(env.fortios.state.users.has(idle)).toBe(false);
    const failure = env.eventBus.events
      .filter((e) => e.DetailType === 'credential.admin-rotation-failed')
      .at(-1);
    expect(JSON.parse(failure?.Detail ?? '{}').reason).toMatch(/current admin credential is untouched/);
  });

  it('does no work twice: a repeated start is the same execution, and a second rotation while one is in flight changes nothing', async () => {
    // Prepare
    const generated = keyGenerations();
    let second: Awaited<ReturnType<typeof rotateAdmin>> | undefined;
    env.lambdaFaults.beforeEach = async (handlerId) => {
      if (handlerId !== 'verify-admin-key' || second) return;
      second = await rotateAdmin();
    };
    // Act
    const name = `admin-rotate-repeat-${++runs}`;
    const arn = await startExecution(env, env.adminRotateStateMachineArn, { target: 'fgt' }, name);
    const repeated = await startExecution(env, env.adminRotateStateMachineArn, { target: 'fgt' }, name);
    const first = await executionEnd(env, arn);
    outputs.push(JSON.stringify(first));
    // Assess
    expect(repeated).toBe(arn);
    expect(first.status, causeMessage(first.cause)).toBe('SUCCEEDED');
    expect(second?.status).toBe('FAILED');
    expect(second?.error).toBe('Conflict');
    expect(causeMessage(second?.cause)).toMatch(/another admin rotation is in flight/);
    expect(keyGenerations() - generated).toBe(1);
    expect(await administers(await fortiOsTarget())).toBe('accepted');
  });

  it('moves FortiManager’s admin token to its twin API admin: the new token administers, the old admin is gone and its token refused', async () => {
    // Prepare
    const before = await fortiManagerTarget();
    // Act
    const rotated = await rotateAdmin('fmg');
    const after = await fortiManagerTarget();
    // Assess
    expect(rotated.status, causeMessage(rotated.cause)).toBe('SUCCEEDED');
    expect(before.adminCredential.user).toBe('provisioner-admin');
    expect(after.adminCredential).toMatchObject({
      user: 'provisioner-admin.b',
      issuedAt: expect.any(String),
    });
    expect(after.adminCredential.token).not.toBe(before.adminCredential.token);
    expect(await administers(after as never)).toBe('accepted');
    expect(await administers(before as never)).toBe('rejected');
    expect(env.fortimanager.state.users.has('provisioner-admin')).toBe(false);
    // The provisioner keeps working with the admin token it now holds (keys generated over SSH).
    const provisioned = await runProvision(
      env,
      addressReaderRequest('fmg', 'after-fmg-admin', 'ann@example.com'),
    );
    expect(provisioned.status, causeMessage(provisioned.cause)).toBe('SUCCEEDED');
  });

  it('moves FortiManager’s SSH login to its twin admin: the new password logs in before the old admin is deleted, whose login is then refused', async () => {
    // Prepare: the new login is checked before the old admin goes
    const before = await fortiManagerTarget();
    const oldAdminAtCheck: boolean[] = [];
    env.lambdaFaults.beforeEach = async (handlerId) => {
      if (handlerId === 'verify-admin-key') oldAdminAtCheck.push(env.fortimanager.state.users.has('admin'));
    };
    // Act
    const rotated = await rotateAdmin('fmg', undefined, 'ssh');
    const after = await fortiManagerTarget();
    // Assess
    expect(rotated.status, causeMessage(rotated.cause)).toBe('SUCCEEDED');
    expect(before.ssh.username).toBe('admin');
    expect(after.ssh).toMatchObject({ username: 'admin.b', issuedAt: expect.any(String) });
    expect(after.ssh.password).not.toBe(before.ssh.password);
    expect(after.adminCredential).toEqual(before.adminCredential);
    expect(oldAdminAtCheck).toEqual([true]);
    expect(await logsIn(after)).toBe('accepted');
    expect(await logsIn(before)).toBe('rejected');
    expect(env.fortimanager.state.users.has('admin')).toBe(false);
    const provisioned = await runProvision(
      env,
      addressReaderRequest('fmg', 'after-fmg-ssh', 'ann@example.com'),
    );
    expect(provisioned.status, causeMessage(provisioned.cause)).toBe('SUCCEEDED');
  });

  it('never promotes a new SSH password the manager does not take: the current login stays current and working, the twin is removed', async () => {
    // Prepare: someone sets the twin's password behind the rotation's back before each login check
    const before = await fortiManagerTarget();
    const idle = adminTwinOf(before.ssh.username);
    env.lambdaFaults.beforeEach = async (handlerId) => {
      const twin = env.fortimanager.state.users.get(idle);
      if (handlerId === 'verify-admin-key' && twin) twin.password = 'changed-behind-its-back-000';
    };
    // Act
    const failed = await rotateAdmin('fmg', undefined, 'ssh');
    // Assess
    expect(failed.status).toBe('FAILED');
    expect(causeMessage(failed.cause)).toMatch(/does not accept the new SSH credential/);
    expect(await fortiManagerTarget()).toEqual(before);
    expect(await logsIn(before)).toBe('accepted');
    expect(env.fortimanager.state.users.has(idle)).toBe(false);
  });

  it('refuses a product without admin twins before any change', async () => {
    // Prepare
    const before = await env.store.loadTarget('flex');
    // Act
    const refused = await rotateAdmin('flex');
    // Assess
    expect(refused.status).toBe('FAILED');
    expect(refused.error).toBe('ValidationError');
    expect(causeMessage(refused.cause)).toMatch(/has no admin twins.*rotated by a person/);
    expect(await env.store.loadTarget('flex')).toEqual(before);
  });

  it('provisioner target rotate --wait starts and follows the rotation as the operator; a bad name starts nothing', async () => {
    // Prepare
    const printed: string[] = [];
    const io = { out: (line: string) => printed.push(line) };
    const before = await fortiOsTarget();
    const machine = async () => env.adminRotateStateMachineArn;
    // Act
    const code = await targetRotate(env.operator.sfnClient, machine, 'fgt', { wait: true, pollMs: 1 }, io);
    const bad = await failure(targetRotate(env.operator.sfnClient, machine, '../fgt', {}, io));
    outputs.push(...printed);
    // Assess
    expect(code).toBe(0);
    expect(printed).toContain('  → RetireAdminKey');
    expect(printed.at(-1)).toMatch(
      new RegExp(
        `^target fgt: its admin credential is now ${adminTwinOf(before.adminCredential.user ?? '')}'s`,
      ),
    );
    expect(bad.name).toBe('ValidationError');
  });

  it('provisioner target add schedules a FortiManager target’s admin token and SSH login rotations at once; adding it again changes nothing', async () => {
    // Prepare: a second manager target as an operator writes it, and an operator product's
    const dir = await mkdtemp(join(tmpdir(), 'admin-schedules-'));
    const definitionFile = async (name: string, source: string, overrides: object = {}) => {
      const path = join(dir, `${name}.json`);
      await writeFile(path, JSON.stringify({ ...(await env.store.loadTarget(source)), ...overrides }));
      return path;
    };
    const files = {
      // Another ADOM: one target per device and VDOM (ADOM).
      fmg: await definitionFile('fmg', 'fmg', { vdom: 'branches' }),
      flex: await definitionFile('flex', 'flex'),
    };
    const printed: string[] = [];
    const io = { out: (line: string) => printed.push(line), stdin: async () => '' };
    const machine = async () => env.adminRotateStateMachineArn;
    const add = (name: string, file: string) =>
      targetAdd(env.operator.store, name, { file }, io, (added, target, version) =>
        scheduleAdminRotations(env.operator.sfnClient, machine, added, target, version, io, { pollMs: 1 }),
      );
    const scheduleOf = (name: string) =>
      env.scheduler.schedules.get(`${ROTATION_SCHEDULE_GROUP}/${rotationScheduleName(name)}`);
    // Act
    const first = await add('fmg-added', files.fmg);
    const token = scheduleOf(targetSecretName('fmg-added'));
    const again = await add('fmg-added', files.fmg);
    const operatorProduct = await add('flex-added', files.flex);
    await rm(dir, { recursive: true });
    outputs.push(...printed);
    // Assess
    expect([first, again, operatorProduct]).toEqual([0, 0, 0]);
    expect(token).toMatchObject({
      ScheduleExpression: 'rate(45 days)',
      Target: {
        Arn: env.adminRotateStateMachineArn,
        Input: JSON.stringify({ target: 'fmg-added', credential: 'api-token' }),
      },
    });
    expect(scheduleOf(`${targetSecretName('fmg-added')}/ssh`)).toMatchObject({
      ScheduleExpression: 'rate(45 days)',
      Target: { Input: JSON.stringify({ target: 'fmg-added', credential: 'ssh' }) },
    });
    expect(scheduleOf(targetSecretName('fmg-added'))).toEqual(token);
    expect(scheduleOf(targetSecretName('flex-added'))).toBeUndefined();
    expect(printed.filter((line) => line.startsWith('target fmg-added: admin rotations scheduled'))).toEqual([
      'target fmg-added: admin rotations scheduled for api-token, ssh',
      'target fmg-added: admin rotations scheduled for api-token, ssh',
    ]);
  });

  it('provisioner target add with a new adminKeyMaxAgeDays moves the admin schedules to half of it, each sent whole (UpdateSchedule)', async () => {
    // Prepare: a manager target whose policy allows 90 days, then 30, added twice within the minute
    const dir = await mkdtemp(join(tmpdir(), 'admin-schedule-rate-'));
    const fileWith = async (adminKeyMaxAgeDays: number) => {
      const path = join(dir, `fmg-${adminKeyMaxAgeDays}.json`);
      const fmg = await fortiManagerTarget();
      await writeFile(
        path,
        JSON.stringify({ ...fmg, vdom: 'rates', policy: { ...fmg.policy, adminKeyMaxAgeDays } }),
      );
      return path;
    };
    const printed: string[] = [];
    const io = { out: (line: string) => printed.push(line), stdin: async () => '' };
    const machine = async () => env.adminRotateStateMachineArn;
    const add = async (file: string) =>
      targetAdd(env.operator.store, 'fmg-rates', { file }, io, (added, target, version) =>
        scheduleAdminRotations(env.operator.sfnClient, machine, added, target, version, io, { pollMs: 1 }),
      );
    const scheduleOf = (credential: '' | '/ssh') =>
      env.scheduler.schedules.get(
        `${ROTATION_SCHEDULE_GROUP}/${rotationScheduleName(`${targetSecretName('fmg-rates')}${credential}`)}`,
      );
    const files = { long: await fileWith(90), short: await fileWith(30) };
    // Act
    const first = await add(files.long);
    const before = { token: scheduleOf(''), ssh: scheduleOf('/ssh') };
    const changed = await add(files.short);
    await rm(dir, { recursive: true });
    outputs.push(...printed);
    // Assess
    expect([first, changed]).toEqual([0, 0]);
    expect(before.token?.ScheduleExpression).toBe('rate(45 days)');
    for (const [credential, was] of [
      ['', before.token],
      ['/ssh', before.ssh],
    ] as const) {
      expect(scheduleOf(credential)).toEqual({ ...was, ScheduleExpression: 'rate(15 days)' });
    }
    expect(printed.filter((line) => line.startsWith('target fmg-rates: admin rotations scheduled'))).toEqual([
      'target fmg-rates: admin rotations scheduled for api-token, ssh',
      'target fmg-rates: admin rotations scheduled for api-token, ssh',
    ]);
  });

  it('reports an admin credential older than its target policy allows as drift, until a rotation renews it', async () => {
    // Prepare: the token was generated 40 days ago, the policy allows 30
    const current = await fortiOsTarget();
    const issuedAt = new Date(Date.now() - 40 * 86_400_000).toISOString();
    await env.store.putTarget('fgt', {
      ...current,
      adminCredential: { ...current.adminCredential, issuedAt },
      policy: { ...current.policy, adminKeyMaxAgeDays: 30 },
    } as FortiOsTarget);
    const staleAdmins = async () => {
      const reconciled = await runExecution(
        env,
        env.reconcileStateMachineArn,
        {},
        `reconcile-admin-${++runs}`,
      );
      outputs.push(JSON.stringify(reconciled));
      return (JSON.parse(reconciled.output ?? '{}') as { staleAdmins?: string[] }).staleAdmins;
    };
    // Act
    const before = await staleAdmins();
    const rotated = await rotateAdmin();
    const after = await staleAdmins();
    // Assess
    expect(before).toEqual([
      expect.stringMatching(/fgt: admin credential issued .* 40 days ago, over the policy's 30/),
    ]);
    expect(rotated.status, causeMessage(rotated.cause)).toBe('SUCCEEDED');
    expect(after).toEqual([]);
  });

  it('reports FortiManager’s admin token and SSH credential each when older than its target policy allows', async () => {
    // Prepare: the token was generated 40 days ago, the SSH password set 50 days ago; the policy allows 30
    const current = await fortiManagerTarget();
    const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();
    await env.store.putTarget('fmg', {
      ...current,
      adminCredential: { ...current.adminCredential, issuedAt: daysAgo(40) },
      ssh: { ...current.ssh, issuedAt: daysAgo(50) },
      policy: { ...current.policy, adminKeyMaxAgeDays: 30 },
    } as FortiManagerTarget);
    // Act
    const reconciled = await runExecution(env, env.reconcileStateMachineArn, {}, `reconcile-fmg-${++runs}`);
    outputs.push(JSON.stringify(reconciled));
    // Assess
    expect((JSON.parse(reconciled.output ?? '{}') as { staleAdmins?: string[] }).staleAdmins).toEqual([
      expect.stringMatching(
        /^fmg: admin credential issued .* 40 days ago, over the policy's 30 \(provisioner target rotate fmg\)$/,
      ),
      expect.stringMatching(
        /^fmg: SSH credential issued .* 50 days ago, over the policy's 30 \(provisioner target rotate fmg --credential ssh\)$/,
      ),
    ]);
  });

  it('leaks no admin token into histories, outputs, events or logs', async () => {
    // Act
    const found = scanEnvironment(env, { outputs, logs: logs.lines });
    // Assess
    expect(found).toEqual([]);
  });
});
