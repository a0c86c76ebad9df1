/**
 * FortiOS locks a source address out after 3 failed API-key logins within 60 s (README of the
 * fortios product, "API-key lockout"), and every execution calls from the provisioner's one
 * address. Here the simulator's lockout is on, with FortiOS's defaults, on the process clock that
 * the instant retries barely move: a revocation of 3 credentials of one owner on one FortiGate, 3
 * rotations there at once, and reconciliation of 3 dead keys there must neither lock the address
 * out nor take anything as proven that the product did not say.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { credentialSecretName } from '#core/names.ts';
import {
  FORTIOS_LOCKOUT,
  type FortiOsSimulator,
  startFortiOsSimulator,
} from '#core/products/fortios/simulator.ts';
import { causeMessage } from '#core/step-error.ts';
import {
  addressReaderRequest,
  executionEnd,
  runExecution,
  runProvision,
  startExecution,
} from '#test/support/executions.ts';
import { useLocalEnvironment } from '#test/support/local-environment.ts';

const { env } = useLocalEnvironment();
let fortigate: FortiOsSimulator;
let targets = 0;
let target: string;

beforeAll(() => {
  expect(FORTIOS_LOCKOUT.threshold).toBe(3);
});

async function freshFortiGate() {
  fortigate = await startFortiOsSimulator({ lockout: FORTIOS_LOCKOUT });
  target = `fgt-lock-${++targets}`;
  await env.store.putTarget(target, {
    vendor: 'fortios',
    baseUrl: fortigate.url,
    adminCredential: { token: fortigate.adminToken },
    tls: { caPem: fortigate.caPem },
    vdom: 'root',
  });
}

afterEach(async () => {
  await fortigate?.close();
});
afterAll(async () => {
  await fortigate?.close();
});

async function provisionThree(owner: string): Promise<string[]> {
  const users = ['a', 'b', 'c'].map((s) => `${target}-${s}`);
  for (const apiUser of users) {
    const done = await runProvision(env, addressReaderRequest(target, apiUser, owner));
    expect(done.status, causeMessage(done.cause)).toBe('SUCCEEDED');
  }
  return users;
}

/** Answers the lockout gave: the HTML 429 page to any call from the locked address. */
const lockedOut = () => fortigate.state.requestsLog.filter((r) => r.status === 429);
/** The findings of a report on the current target's credentials. */
const ofTarget = (list: string[] = []) => list.filter((l) => l.startsWith(credentialSecretName(target, '')));
/** Key logins the FortiGate refused (its HTML 401 page). */
const refusedLogins = () => fortigate.state.requestsLog.filter((r) => r.status === 401);

describe('FortiOS lockout across the credentials of one FortiGate', () => {
  it('revokes 3 credentials of one owner on one FortiGate, proving each gone, without one failed login', async () => {
    // Prepare
    await freshFortiGate();
    const users = await provisionThree('lock@example.com');
    // Act
    const execution = await runExecution(
      env,
      env.revokeStateMachineArn,
      { owner: 'lock@example.com' },
      `revoke-lock-${target}`,
    );
    // Assess
    expect(execution.status, causeMessage(execution.cause)).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output ?? '{}').revoked.sort()).toEqual(
      users.map((u) => credentialSecretName(target, u)).sort(),
    );
    expect(lockedOut()).toEqual([]);
    expect(refusedLogins()).toEqual([]);
    for (const user of users) expect(fortigate.state.users.has(user)).toBe(false);
  });

  it('rotates 3 credentials on one FortiGate at once, proving each previous twin gone, without one failed login', async () => {
    // Prepare
    await freshFortiGate();
    const users = await provisionThree('rot@example.com');
    // Act: one Scheduler window starts them together.
    const started = await Promise.all(
      users.map((apiUser) => startExecution(env, env.rotateStateMachineArn, { target, apiUser })),
    );
    const ended = await Promise.all(started.map((arn) => executionEnd(env, arn)));
    // Assess
    for (const rotation of ended) expect(rotation.status, causeMessage(rotation.cause)).toBe('SUCCEEDED');
    expect(lockedOut()).toEqual([]);
    expect(refusedLogins()).toEqual([]);
    for (const user of users) {
      expect([fortigate.state.users.has(user), fortigate.state.users.has(`${user}.b`)]).toEqual([
        false,
        true,
      ]);
    }
  });

  it('reconciles 3 credentials whose users were deleted out of band as broken, without a failed login', async () => {
    // Prepare
    await freshFortiGate();
    const users = await provisionThree('gone@example.com');
    for (const user of users) fortigate.state.users.delete(user);
    // Act
    const done = await runExecution(env, env.reconcileStateMachineArn, {}, `reconcile-gone-${target}`);
    // Assess
    expect(done.status, causeMessage(done.cause)).toBe('SUCCEEDED');
    const report = JSON.parse(done.output ?? '{}') as { broken: string[] };
    for (const user of users) {
      expect(
        report.broken.filter((b) => b.startsWith(`${credentialSecretName(target, user)}:`)),
      ).toHaveLength(1);
    }
    expect(lockedOut()).toEqual([]);
    expect(refusedLogins()).toEqual([]);
  });

  it('reconciles 3 live users whose keys were replaced out of band with at most 2 failed logins', async () => {
    // Prepare
    await freshFortiGate();
    const users = await provisionThree('rekeyed@example.com');
    for (const user of users) {
      const held = fortigate.state.users.get(user);
      if (held) held.key = `replaced-out-of-band-${user}`;
    }
    // Act
    const done = await runExecution(env, env.reconcileStateMachineArn, {}, `reconcile-rekeyed-${target}`);
    // Assess
    expect(done.status, causeMessage(done.cause)).toBe('SUCCEEDED');
    const report = JSON.parse(done.output ?? '{}') as { broken: string[]; inconclusive: string[] };
    expect(ofTarget(report.broken)).toHaveLength(FORTIOS_LOCKOUT.threshold - 1);
    expect(ofTarget(report.inconclusive)).toEqual([
      expect.stringMatching(/not checked with its key: 2 keys refused on .* one more failed login/),
    ]);
    expect(lockedOut()).toEqual([]);
    expect(refusedLogins()).toHaveLength(FORTIOS_LOCKOUT.threshold - 1);
  });

  it('reconciles 3 live keys on one FortiGate as accepted', async () => {
    // Prepare
    await freshFortiGate();
    await provisionThree('live@example.com');
    // Act
    const done = await runExecution(env, env.reconcileStateMachineArn, {}, `reconcile-live-${target}`);
    // Assess
    expect(done.status, causeMessage(done.cause)).toBe('SUCCEEDED');
    const report = JSON.parse(done.output ?? '{}') as Record<string, string[]>;
    expect([ofTarget(report.broken), ofTarget(report.inconclusive), ofTarget(report.unverified)]).toEqual([
      [],
      [],
      [],
    ]);
    expect(refusedLogins()).toEqual([]);
  });
});
