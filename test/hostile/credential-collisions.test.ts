/**
 * Attacks on the names two credentials could share (issue 14, items 1 and 6): a name equal to
 * another credential's twin, two long names sharing one twin, and two targets on one device (per
 * VDOM or ADOM). Each is refused at validation, or the workflow leaves the other credential's user
 * and key exactly as they were: a user is adopted, re-keyed or deleted only when its marker names
 * this very credential.
 */
import { describe, expect, it } from 'vitest';
import { CURRENT, credentialSecretName } from '#core/names.ts';
import { simulatedFortiManager } from '#core/products/fortimanager/simulated.ts';
import { asApiVendor, vendorFor } from '#core/products/registry.ts';
import { versionWithStage } from '#core/secrets.ts';
import { causeMessage } from '#core/step-error.ts';
import { addressReaderRequest, runExecution, runProvision } from '#test/support/executions.ts';
import { useLocalEnvironment } from '#test/support/local-environment.ts';

const { env } = useLocalEnvironment({
  targets: async (env) => {
    await env.registerTarget('fortios', 'fgt');
    await env.registerTarget('fortimanager', 'fmg');
    // A second target on the same FortiManager, for another ADOM.
    await env.store.putTarget('fmg-dmz', {
      ...simulatedFortiManager.target(env.fortimanager, 'ca'),
      vdom: 'dmz',
    });
  },
});
let runs = 0;

function request(target: string, apiUser: string, owner: string) {
  return addressReaderRequest(target, apiUser, owner, { ticket: `T-col-${target}-${apiUser}`.slice(0, 64) });
}

async function provision(target: string, apiUser: string, owner: string) {
  return runProvision(env, request(target, apiUser, owner));
}

async function api(target: string) {
  return asApiVendor(vendorFor({ target: await env.store.loadTarget(target) }));
}

/**
 * Another credential's user as a deployment made before names were checked could hold it: a user
 * `name` of credential `name` with a live key, which its owner keeps using.
 */
async function victimUser(target: string, name: string): Promise<string> {
  const vendor = await api(target);
  await vendor.ensureAccessProfile({ name: 'addr-readonly', permissions: { 'fwgrp.address': 'read' } });
  await vendor.ensureUser({
    name,
    profile: 'addr-readonly',
    trustedHosts: ['127.0.0.1/32'],
    vdom: 'root',
    requestId: `provision-victim-${++runs}`,
    credential: { target, apiUser: name },
  });
  return (await vendor.issueKey(name)).key;
}

async function currentKey(target: string, apiUser: string): Promise<string> {
  const description = await env.store.describe(credentialSecretName(target, apiUser));
  const version = description && versionWithStage(description, CURRENT);
  if (!description || !version) throw new Error(`${apiUser} on ${target} has no current version`);
  return ((await env.store.readVersion(description.arn, version)) as { key: string }).key;
}

describe('twin names never collide across credentials', () => {
  it.each([
    ['a name equal to another name’s twin', 'svc.b', /ends in "\.b", the form of a twin user/],
    ['a 34-character name (its twin shares 33 characters with others)', `${'l'.repeat(33)}x`, /at most 33/],
  ])('refuses %s at validation, before any product call', async (_, apiUser, message) => {
    // Prepare
    const calls = env.fortios.state.requestsLog.length;
    // Act
    const done = await provision('fgt', apiUser, 'mallory@example.com');
    // Assess
    expect(done.status).toBe('FAILED');
    expect(causeMessage(done.cause)).toMatch(message);
    expect(env.fortios.state.requestsLog.length).toBe(calls);
  });

  it.each(['fgt', 'fmg'])(
    'on %s, revoking svc leaves another credential’s svc.b and its key alone',
    async (target) => {
      // Prepare
      const victimKey = await victimUser(target, 'svc.b');
      expect((await provision(target, 'svc', 'leaver@example.com')).status).toBe('SUCCEEDED');
      // Act
      const done = await runExecution(
        env,
        env.revokeStateMachineArn,
        { owner: 'leaver@example.com' },
        `revoke-col-${target}`,
      );
      // Assess
      expect(done.status, causeMessage(done.cause)).toBe('SUCCEEDED');
      expect((await (await api(target)).verify({ key: victimKey })).outcome).toBe('accepted');
      expect(await (await api(target)).findManagedUser('svc.b')).toMatchObject({
        credential: { target, apiUser: 'svc.b' },
      });
    },
  );

  it.each(['fgt', 'fmg'])(
    'on %s, rotating ops neither adopts nor re-keys another credential’s ops.b',
    async (target) => {
      // Prepare
      const victimKey = await victimUser(target, 'ops.b');
      expect((await provision(target, 'ops', 'mallory@example.com')).status).toBe('SUCCEEDED');
      const before = await currentKey(target, 'ops');
      // Act
      const done = await runExecution(
        env,
        env.rotateStateMachineArn,
        { target, apiUser: 'ops' },
        `rotate-col-${target}`,
      );
      // Assess
      expect(done.status).toBe('FAILED');
      expect(causeMessage(done.cause)).toMatch(
        `API user ops.b exists on the product for credential ops.b of target ${target}, not for ops of target ${target}`,
      );
      expect((await (await api(target)).verify({ key: victimKey })).outcome).toBe('accepted');
      expect(await currentKey(target, 'ops')).toBe(before);
    },
  );
});

describe('two targets on one device', () => {
  it('reconciling one leaves the users the other created, and their keys', async () => {
    // Prepare
    expect((await provision('fmg', 'adom-a', 'ann@example.com')).status).toBe('SUCCEEDED');
    expect((await provision('fmg-dmz', 'adom-b', 'ann@example.com')).status).toBe('SUCCEEDED');
    // Act
    const done = await runExecution(env, env.reconcileStateMachineArn, {}, 'reconcile-col-1');
    // Assess
    expect(done.status, causeMessage(done.cause)).toBe('SUCCEEDED');
    // (The other tests' victim users, in no secret, are orphans of their own targets.)
    const report = JSON.parse(done.output ?? '{}') as { orphans: string[] };
    expect(report.orphans.filter((orphan) => orphan.includes('adom-'))).toEqual([]);
    for (const [target, apiUser] of [
      ['fmg', 'adom-a'],
      ['fmg-dmz', 'adom-b'],
    ] as const) {
      expect((await (await api(target)).verify({ key: await currentKey(target, apiUser) })).outcome).toBe(
        'accepted',
      );
    }
  });

  it('a user of the same name on the other target is not adopted', async () => {
    // Prepare
    expect((await provision('fmg', 'shared-name', 'ann@example.com')).status).toBe('SUCCEEDED');
    // Act
    const done = await provision('fmg-dmz', 'shared-name', 'mallory@example.com');
    // Assess
    expect(done.status).toBe('FAILED');
    expect(causeMessage(done.cause)).toMatch(
      'for credential shared-name of target fmg, not for shared-name of target fmg-dmz',
    );
    expect((await (await api('fmg')).verify({ key: await currentKey('fmg', 'shared-name') })).outcome).toBe(
      'accepted',
    );
  });

  it('registering a second target with the same base URL and VDOM is refused, and writes nothing', async () => {
    // Prepare
    const same = simulatedFortiManager.target(env.fortimanager, 'fingerprint');
    // Act
    const refused = await env.store.putTarget('fmg-again', same).catch((error: Error) => error);
    // Assess
    expect(refused).toBeInstanceOf(Error);
    expect((refused as Error).message).toMatch(
      /target fmg already uses https:\/\/127\.0\.0\.1:\d+ with VDOM root: one target per device and VDOM/,
    );
    expect(await env.store.describe('provisioner/targets/fmg-again')).toBeUndefined();
  });
});
