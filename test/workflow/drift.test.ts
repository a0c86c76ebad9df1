/**
 * Fortinet drift on the embedded default (issue 17, item 5): a configuration restore or a replayed
 * configuration script brings back a retired twin or an older key, an RMA leaves a live user
 * without a working key, an HA member's sync stalls. Reconciliation reports each as a finding; under
 * the target policy's `repair: fix` it deletes the resurrected twin (only this credential's) and
 * proves it gone, and re-issues a broken current key through a rotation. Each test has its own
 * FortiGate simulator and target; the earlier ones stay up (reconciliation covers every target), so
 * the assertions read the current target's findings only.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { executionNameFor } from '#core/execution-names.ts';
import { credentialSecretName } from '#core/names.ts';
import { simulatedFortiManager } from '#core/products/fortimanager/simulated.ts';
import { type FortiOsSimulator, startFortiOsSimulator } from '#core/products/fortios/simulator.ts';
import { materialOf } from '#core/products/index.ts';
import { vendorFor } from '#core/products/registry.ts';
import { TargetDefinition } from '#core/requests.ts';
import { causeMessage } from '#core/step-error.ts';
import type { DriftFinding } from '#core/workflows/reconcile.ts';
import { addressReaderRequest, executionEnd, runExecution, runProvision } from '#test/support/executions.ts';
import { useLocalEnvironment } from '#test/support/local-environment.ts';

const { env } = useLocalEnvironment();
const simulators: FortiOsSimulator[] = [];
let targets = 0;
let runs = 0;

afterAll(async () => {
  await Promise.all(simulators.map((s) => s.close()));
});

/** A new FortiGate (with an HA member when asked) as a new target with the given repair policy, and a credential on it. */
async function freshFortiGate(repair: 'report' | 'fix', withMember = false) {
  const fortigate = await startFortiOsSimulator({ lockout: false });
  const member = withMember
    ? await startFortiOsSimulator({ lockout: false, haPrimary: fortigate })
    : undefined;
  simulators.push(fortigate, ...(member ? [member] : []));
  const target = `fgt-drift-${++targets}`;
  await env.store.putTarget(
    target,
    TargetDefinition.parse({
      vendor: 'fortios',
      baseUrl: fortigate.url,
      adminCredential: { token: fortigate.adminToken },
      tls: { caPem: fortigate.caPem },
      vdom: 'root',
      ...(member ? { haMembers: [{ baseUrl: member.url, tls: { caPem: member.caPem } }] } : {}),
      policy: { repair },
    }),
  );
  const apiUser = `${target}-bot`;
  const done = await runProvision(env, addressReaderRequest(target, apiUser, 'drift@example.com'));
  expect(done.status, causeMessage(done.cause)).toBe('SUCCEEDED');
  return { fortigate, member, target, apiUser, secretName: credentialSecretName(target, apiUser) };
}

async function rotate(target: string, apiUser: string) {
  const request = { target, apiUser };
  const done = await runExecution(
    env,
    env.rotateStateMachineArn,
    request,
    executionNameFor('rotate', `T-drift-${++runs}`, request),
  );
  expect(done.status, causeMessage(done.cause)).toBe('SUCCEEDED');
}

async function reconcile() {
  const done = await runExecution(env, env.reconcileStateMachineArn, {}, `reconcile-drift-${++runs}`);
  expect(done.status, causeMessage(done.cause)).toBe('SUCCEEDED');
  return JSON.parse(done.output ?? '{}') as { findings: DriftFinding[]; broken: string[] };
}

/** The findings about one credential's secret. */
const findingsOf = (report: { findings: DriftFinding[] }, secretName: string) =>
  report.findings.filter((f) => f.credential === secretName);

/** What a consumer gets calling the FortiGate with the credential's AWSCURRENT key. */
async function consumerCall(target: string, secretName: string) {
  const definition = await env.store.loadTarget(target);
  const current = await env.store.readCurrent(secretName);
  return (await vendorFor({ target: definition }).verify(materialOf(definition.vendor, current))).outcome;
}

describe('Fortinet drift, caught and repaired', () => {
  it('reports a retired twin that a replayed configuration brought back, and leaves it (repair: report)', async () => {
    // Prepare: a backup while the credential's key is on its own user, then a rotation to its twin
    const { fortigate, target, apiUser, secretName } = await freshFortiGate('report');
    const backup = fortigate.backup();
    await rotate(target, apiUser);
    fortigate.replayUsers(backup);
    // Act
    const report = await reconcile();
    // Assess
    expect(findingsOf(report, secretName)).toEqual([
      expect.objectContaining({ kind: 'retired-twin-restored', user: apiUser, repair: 'reported' }),
    ]);
    expect(fortigate.state.users.has(apiUser)).toBe(true);
    expect(await consumerCall(target, secretName)).toBe('accepted');
  });

  it('removes a retired twin a replayed configuration brought back and proves it gone (repair: fix)', async () => {
    // Prepare
    const { fortigate, target, apiUser, secretName } = await freshFortiGate('fix');
    const backup = fortigate.backup();
    await rotate(target, apiUser);
    fortigate.replayUsers(backup);
    // Act
    const report = await reconcile();
    // Assess
    expect(findingsOf(report, secretName)).toEqual([
      expect.objectContaining({ kind: 'retired-twin-restored', user: apiUser, repair: 'removed' }),
    ]);
    expect([fortigate.state.users.has(apiUser), fortigate.state.users.has(`${apiUser}.b`)]).toEqual([
      false,
      true,
    ]);
    expect(await consumerCall(target, secretName)).toBe('accepted');
    expect(findingsOf(await reconcile(), secretName)).toEqual([]);
  });

  it('reports a current key a full restore replaced with an older one (repair: report)', async () => {
    // Prepare: the backup holds the user with its first key; two rotations later the user holds a new one
    const { fortigate, target, apiUser, secretName } = await freshFortiGate('report');
    const backup = fortigate.backup();
    await rotate(target, apiUser);
    await rotate(target, apiUser);
    fortigate.restore(backup);
    // Act
    const report = await reconcile();
    // Assess
    expect(findingsOf(report, secretName)).toEqual([
      expect.objectContaining({ kind: 'current-key-broken', user: apiUser, repair: 'reported' }),
    ]);
    expect(report.broken).toContain(`${secretName}: rejected`);
    expect(await consumerCall(target, secretName)).toBe('rejected');
  });

  it('re-issues a current key an RMA broke through a rotation, and the consumer key works (repair: fix)', async () => {
    // Prepare
    const { fortigate, target, apiUser, secretName } = await freshFortiGate('fix');
    fortigate.replaceDevice();
    expect(await consumerCall(target, secretName)).toBe('rejected');
    // Act
    const report = await reconcile();
    // Assess
    const [finding] = findingsOf(report, secretName);
    expect(finding).toMatchObject({ kind: 'current-key-broken', user: apiUser, repair: 'rotation-started' });
    const arn = `${env.rotateStateMachineArn.replace(':stateMachine:', ':execution:')}:${finding?.execution}`;
    const rotation = await executionEnd(env, arn);
    expect(rotation.status, causeMessage(rotation.cause)).toBe('SUCCEEDED');
    expect(await consumerCall(target, secretName)).toBe('accepted');
    expect([fortigate.state.users.has(apiUser), fortigate.state.users.has(`${apiUser}.b`)]).toEqual([
      false,
      true,
    ]);
    expect(findingsOf(await reconcile(), secretName)).toEqual([]);
  });

  it('reports an HA member out of sync per member, and changes nothing (repair: fix)', async () => {
    // Prepare: the member's sync stalls, and it loses the credential's user
    const { fortigate, member, apiUser, secretName } = await freshFortiGate('fix', true);
    member?.ha.stall();
    member?.state.users.delete(apiUser);
    // Act
    const report = await reconcile();
    // Assess
    expect(findingsOf(report, secretName)).toEqual([
      expect.objectContaining({
        kind: 'ha-member-out-of-sync',
        user: apiUser,
        repair: 'reported',
        detail: expect.stringContaining(
          `HA member ${new URL(member?.url ?? '').host} lacks API user ${apiUser}`,
        ),
      }),
    ]);
    expect(fortigate.state.users.has(apiUser)).toBe(true);
    expect(member?.state.users.has(apiUser)).toBe(false);
  });

  it('removes a retired twin brought back on FortiManager and proves it gone by reading it back (repair: fix)', async () => {
    // Prepare: the user's record with its key as a restore would bring it back (the FortiManager
    // simulator has no restore fault: the test puts the record back itself)
    const target = 'fmg-drift';
    await env.store.putTarget(
      target,
      TargetDefinition.parse({
        ...simulatedFortiManager.target(env.fortimanager, 'ca'),
        policy: { repair: 'fix' },
      }),
    );
    const apiUser = 'fmg-drift-bot';
    const secretName = credentialSecretName(target, apiUser);
    const provisioned = await runProvision(env, addressReaderRequest(target, apiUser, 'drift@example.com'));
    expect(provisioned.status, causeMessage(provisioned.cause)).toBe('SUCCEEDED');
    const saved = structuredClone(env.fortimanager.state.users.get(apiUser));
    await rotate(target, apiUser);
    if (saved) env.fortimanager.state.users.set(apiUser, saved);
    // Act
    const report = await reconcile();
    // Assess
    expect(findingsOf(report, secretName)).toEqual([
      expect.objectContaining({ kind: 'retired-twin-restored', user: apiUser, repair: 'removed' }),
    ]);
    expect([
      env.fortimanager.state.users.has(apiUser),
      env.fortimanager.state.users.has(`${apiUser}.b`),
    ]).toEqual([false, true]);
    expect(await consumerCall(target, secretName)).toBe('accepted');
  });

  it("never touches a user with the twin's name that this credential did not create (repair: fix)", async () => {
    // Prepare: after a rotation, a user made by hand under the retired twin's name
    const { fortigate, target, apiUser, secretName } = await freshFortiGate('fix');
    await rotate(target, apiUser);
    fortigate.state.users.set(apiUser, {
      name: apiUser,
      accprofile: 'addr-readonly',
      vdom: ['root'],
      trusthosts: [],
      comments: 'made by hand',
    });
    // Act
    const report = await reconcile();
    // Assess
    expect(findingsOf(report, secretName)).toEqual([]);
    expect(fortigate.state.users.get(apiUser)?.comments).toBe('made by hand');
    expect(await consumerCall(target, secretName)).toBe('accepted');
  });
});
