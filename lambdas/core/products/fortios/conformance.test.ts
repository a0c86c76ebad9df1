import { describe, expect, it } from 'vitest';
import { FatalError, NotFoundError, RetryableError } from '#core/errors.ts';
import { createFortiOsVendor } from '#core/products/fortios/adapter.ts';
import {
  type FortiOsSimulator,
  type FortiOsSimulatorOptions,
  startFortiOsSimulator,
} from '#core/products/fortios/simulator.ts';
import type { FortiOsTarget } from '#core/products/fortios/target.ts';
import type { ApiUserSpec } from '#core/products/vendor.ts';
import { failure } from '../../../../test/failure.ts';
import { apiIssuer, describeVendorConformance } from '../conformance.ts';

type Pinning = 'ca' | 'fingerprint';

function targetOf(
  sim: FortiOsSimulator,
  pinning: Pinning,
  extra: Partial<FortiOsTarget> = {},
): FortiOsTarget {
  const tls = pinning === 'ca' ? { caPem: sim.caPem } : { fingerprint: sim.fingerprint };
  return {
    vendor: 'fortios',
    baseUrl: sim.url,
    adminCredential: { token: sim.adminToken },
    tls,
    vdom: 'root',
    ...extra,
  };
}

const userSpec = (name: string, requestId = 'provision-fos-1'): ApiUserSpec => ({
  name,
  profile: 'p',
  trustedHosts: ['127.0.0.1/32'],
  vdom: 'root',
  requestId,
  credential: { target: 'fgt', apiUser: name },
});

async function harness(pinning: Pinning, options: FortiOsSimulatorOptions = {}) {
  const sim = await startFortiOsSimulator(options);
  const target = (token: string) => ({ ...targetOf(sim, pinning), adminCredential: { token } });
  const vendor = createFortiOsVendor({ target: target(sim.adminToken) });
  return {
    sim,
    vendor,
    issue: apiIssuer(vendor, '127.0.0.1/32'),
    reissueKillsPrevious: true,
    revoke: (user: string) => vendor.revoke(user),
    injectFault: (pathPrefix: string, kind: '429' | '5xx') => sim.faults.inject({ pathPrefix, kind }),
    clearFaults: () => sim.faults.clear(),
    refusals: (fresh: () => string) => [
      {
        name: 'a key for a user that does not exist',
        act: () => vendor.issueKey(fresh()),
        error: NotFoundError,
        message: /does not exist/,
      },
      {
        name: 'a trusted host of any address',
        act: () =>
          vendor.ensureUser({
            name: fresh(),
            profile: 'p',
            trustedHosts: ['0.0.0.0/0'],
            vdom: 'root',
            requestId: 'r',
            credential: { target: 'fgt', apiUser: 'any' },
          }),
        error: FatalError,
        message: /trusted host narrower/,
      },
    ],
    api: {
      vendorWithBadAdmin: createFortiOsVendor({ target: target('not-the-admin-token-000') }),
      userExists: (name: string) => sim.state.users.has(name),
      createUnmanagedUser: (name: string) =>
        sim.state.users.set(name, {
          name,
          accprofile: 'super_admin',
          vdom: ['root'],
          trusthosts: [],
          comments: 'by hand',
        }),
      callerHost: '127.0.0.1/32',
      admin: {
        user: sim.adminUser,
        vendorWith: (adminCredential: { token: string; user: string }) =>
          createFortiOsVendor({ target: { ...targetOf(sim, pinning), adminCredential } }),
      },
    },
    close: () => sim.close(),
  };
}

/** A user with a key, made through the adapter as a provision makes it. */
async function provisioned(vendor: ReturnType<typeof createFortiOsVendor>, name: string) {
  await vendor.ensureAccessProfile({ name: 'p', permissions: { 'fwgrp.address': 'read' } });
  await vendor.ensureUser(userSpec(name));
  return vendor.issueKey(name);
}

/** A clock the tests move by hand: the lockout counts with it, nothing sleeps. */
function manualClock(start = 1_000_000) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describeVendorConformance('FortiOS (CA pinned, 7.2 errors, HTML 401 refusals)', 'api', () => harness('ca'));
describeVendorConformance('FortiOS (fingerprint pinned, 7.6 errors, HTML 403 refusals)', 'api', () =>
  harness('fingerprint', { cliErrorStyle: '7.6', refusalPage: 403 }),
);

describe('FortiOS adapter specifics', () => {
  it('refuses a product whose certificate does not match the pinned fingerprint, sending nothing', async () => {
    // Prepare
    const { sim, vendor } = await harness('fingerprint');
    const impostor = createFortiOsVendor({
      target: {
        vendor: 'fortios',
        baseUrl: sim.url,
        adminCredential: { token: sim.adminToken },
        tls: { fingerprint: '00'.repeat(32) },
      },
    });
    // Act
    const error = await failure(impostor.ensureAccessProfile({ name: 'x', permissions: { sysgrp: 'read' } }));
    // Assess
    expect(error).toBeInstanceOf(FatalError);
    expect(error.message).toMatch(/TLS pinning refused/);
    expect(sim.state.requestsLog).toHaveLength(0);
    expect(await vendor.findManagedUser('nobody')).toBeUndefined();
    await sim.close();
  });

  it('refuses a product whose certificate is not signed by the pinned CA', async () => {
    // Prepare
    const a = await startFortiOsSimulator();
    const b = await startFortiOsSimulator();
    const vendor = createFortiOsVendor({
      target: {
        vendor: 'fortios',
        baseUrl: a.url,
        adminCredential: { token: a.adminToken },
        tls: { caPem: b.caPem },
      },
    });
    // Act
    const error = await failure(vendor.findManagedUser('x'));
    // Assess
    expect(error).toBeInstanceOf(FatalError);
    expect(a.state.requestsLog).toHaveLength(0);
    await Promise.all([a.close(), b.close()]);
  });

  it('a lost answer after the user was created is recognized as this request’s own user on retry', async () => {
    // Prepare
    const { sim, vendor } = await harness('ca');
    await vendor.ensureAccessProfile({ name: 'p', permissions: { 'fwgrp.address': 'read' } });
    sim.faults.inject({
      method: 'POST',
      pathPrefix: '/api/v2/cmdb/system/api-user',
      kind: 'drop-after-commit',
      times: 1,
    });
    const spec = {
      name: 'lost',
      profile: 'p',
      trustedHosts: ['127.0.0.1/32'],
      vdom: 'root',
      requestId: 'provision-x-1',
      credential: { target: 'fgt', apiUser: 'lost' },
    };
    // Act
    const first = await failure(vendor.ensureUser(spec));
    const retry = await vendor.ensureUser(spec);
    // Assess
    expect(first.name).toBe('RetryableError');
    expect(retry.createdByThisRequest).toBe(true);
    expect(sim.state.users.get('lost')?.trusthosts).toEqual(['127.0.0.1 255.255.255.255']);
    await sim.close();
  });
});

describe('FortiOS: what proves a key refused', () => {
  it('a JSON 403 to a key (its user cannot reach the VDOM asked) is inconclusive, never a refusal', async () => {
    // Prepare
    const sim = await startFortiOsSimulator({ vdoms: ['root', 'dmz'] });
    const { key } = await provisioned(createFortiOsVendor({ target: targetOf(sim, 'ca') }), 'scoped');
    const inDmz = createFortiOsVendor({ target: targetOf(sim, 'ca', { vdom: 'dmz' }) });
    // Act
    const result = await inDmz.verify({ key });
    // Assess
    expect(sim.state.requestsLog.at(-1)?.status).toBe(403);
    expect(result.outcome).toBe('inconclusive');
    expect(result.reason).toMatch(/permission/);
    await sim.close();
  });

  it.each([401, 403] as const)('the HTML %i page refuses a key', async (refusalPage) => {
    // Prepare
    const sim = await startFortiOsSimulator({ refusalPage });
    const vendor = createFortiOsVendor({ target: targetOf(sim, 'ca') });
    const { key } = await provisioned(vendor, 'gone');
    await vendor.revoke('gone');
    // Act
    const result = await vendor.verify({ key });
    // Assess
    expect(sim.state.requestsLog.at(-1)?.status).toBe(refusalPage);
    expect(result.outcome).toBe('rejected');
    await sim.close();
  });
});

describe('FortiOS with vdom=global (answers in per-VDOM envelopes)', () => {
  it('creates, adopts, lists, issues, verifies and revokes', async () => {
    // Prepare
    const sim = await startFortiOsSimulator({ vdoms: ['root', 'dmz'] });
    const vendor = createFortiOsVendor({ target: targetOf(sim, 'ca', { vdom: 'global' }) });
    const profile = { name: 'p', permissions: { 'fwgrp.address': 'read' } } as const;
    // Act
    const profileCreated = await vendor.ensureAccessProfile(profile);
    const profileAgain = await vendor.ensureAccessProfile(profile);
    const userCreated = await vendor.ensureUser(userSpec('global-bot'));
    const userRetried = await vendor.ensureUser(userSpec('global-bot'));
    const userOfAnother = await vendor.ensureUser(userSpec('global-bot', 'provision-other-2'));
    const listed = await vendor.listManagedUsers();
    const material = await vendor.issueKey('global-bot');
    const verified = await vendor.verify(material);
    const removed = await vendor.revoke('global-bot');
    const removedAgain = await vendor.revoke('global-bot');
    // Assess
    expect([profileCreated, profileAgain].map((r) => r.createdByThisRequest)).toEqual([true, false]);
    expect([userCreated, userRetried, userOfAnother].map((r) => r.createdByThisRequest)).toEqual([
      true,
      true,
      false,
    ]);
    expect(listed).toEqual([
      {
        name: 'global-bot',
        requestId: 'provision-fos-1',
        credential: { target: 'fgt', apiUser: 'global-bot' },
      },
    ]);
    expect(verified.outcome).toBe('accepted');
    expect([removed, removedAgain]).toEqual([{ removed: true }, { removed: false }]);
    await sim.close();
  });
});

describe('FortiOS API-key lockout of a source address', () => {
  async function lockoutHarness() {
    const clock = manualClock();
    const sim = await startFortiOsSimulator({ now: clock.now });
    const vendor = createFortiOsVendor({ target: targetOf(sim, 'ca') });
    const good = await provisioned(vendor, 'good');
    const dead = await provisioned(vendor, 'dead');
    await vendor.revoke('dead');
    return { clock, sim, vendor, good, dead };
  }

  it('locks the address out after 3 failed key logins within 60 s, refusing even good keys', async () => {
    // Prepare
    const { clock, sim, vendor, good, dead } = await lockoutHarness();
    // Act
    const first = await vendor.verify(dead);
    clock.advance(20_000);
    const second = await vendor.verify(dead);
    clock.advance(20_000);
    const third = await failure(vendor.verify(dead));
    const goodKeyLocked = await failure(vendor.verify(good));
    const adminLocked = await failure(vendor.findManagedUser('good'));
    clock.advance(60_001);
    const afterwards = await vendor.verify(good);
    // Assess
    expect([first.outcome, second.outcome]).toEqual(['rejected', 'rejected']);
    for (const error of [third, goodKeyLocked, adminLocked]) {
      expect(error).toBeInstanceOf(RetryableError);
      expect(error.message).toMatch(/locked out/);
    }
    expect(sim.state.requestsLog.slice(-4, -1).map((r) => r.status)).toEqual([429, 429, 429]);
    expect(afterwards.outcome).toBe('accepted');
    await sim.close();
  });

  it('never locks failures 31 s apart out, and a successful login resets the count', async () => {
    // Prepare
    const { clock, sim, vendor, good, dead } = await lockoutHarness();
    const outcomes: string[] = [];
    // Act
    for (let attempt = 0; attempt < 4; attempt += 1) {
      outcomes.push((await vendor.verify(dead)).outcome);
      clock.advance(31_000);
    }
    clock.advance(60_000);
    for (const material of [dead, dead, good, dead, dead])
      outcomes.push((await vendor.verify(material)).outcome);
    // Assess
    expect(outcomes).toEqual([...Array(6).fill('rejected'), 'accepted', 'rejected', 'rejected']);
    await sim.close();
  });

  it('locks the same address out twice as long each later time', async () => {
    // Prepare
    const { clock, sim, vendor, good, dead } = await lockoutHarness();
    const lockOut = async () => {
      for (let attempt = 0; attempt < 3; attempt += 1) await vendor.verify(dead).catch(() => undefined);
    };
    // Act
    await lockOut();
    clock.advance(60_001);
    await lockOut();
    clock.advance(60_001);
    const stillLocked = await failure(vendor.verify(good));
    clock.advance(60_000);
    const free = await vendor.verify(good);
    // Assess
    expect(stillLocked).toBeInstanceOf(RetryableError);
    expect(free.outcome).toBe('accepted');
    await sim.close();
  });
});

describe('FortiOS HA cluster members', () => {
  async function cluster() {
    const primary = await startFortiOsSimulator();
    const member = await startFortiOsSimulator({ haPrimary: primary });
    const vendor = createFortiOsVendor({
      target: targetOf(primary, 'ca', { haMembers: [{ baseUrl: member.url, tls: { caPem: member.caPem } }] }),
    });
    const memberHost = new URL(member.url).host;
    const statusCalls = (sim: FortiOsSimulator) =>
      sim.state.requestsLog.filter((r) => r.path === '/api/v2/monitor/system/status').length;
    return {
      primary,
      member,
      vendor,
      memberHost,
      statusCalls,
      close: () => Promise.all([primary.close(), member.close()]),
    };
  }

  it('accepts a key only when every member accepts it, asking each once', async () => {
    // Prepare
    const { primary, member, vendor, statusCalls, close } = await cluster();
    const material = await provisioned(vendor, 'ha-bot');
    // Act
    const result = await vendor.verify(material);
    // Assess
    expect(result.outcome).toBe('accepted');
    expect([statusCalls(primary), statusCalls(member)]).toEqual([1, 1]);
    await close();
  });

  it('a member whose sync stalled keeps the old key: both keys are inconclusive, naming it', async () => {
    // Prepare
    const { member, vendor, memberHost, close } = await cluster();
    const previous = await provisioned(vendor, 'ha-bot');
    member.ha.stall();
    const next = await vendor.issueKey('ha-bot');
    // Act
    const results = [await vendor.verify(next), await vendor.verify(previous)];
    // Assess
    for (const result of results) {
      expect(result.outcome).toBe('inconclusive');
      expect(result.reason).toContain(memberHost);
    }
    await close();
  });

  it('proves a revocation only when every member refuses the key', async () => {
    // Prepare
    const { member, vendor, memberHost, close } = await cluster();
    const material = await provisioned(vendor, 'ha-bot');
    member.ha.stall();
    await vendor.revoke('ha-bot');
    // Act
    const whileStalled = await vendor.verify(material);
    member.ha.resume();
    const synced = await vendor.verify(material);
    // Assess
    expect(whileStalled.outcome).toBe('inconclusive');
    expect(whileStalled.reason).toContain(memberHost);
    expect(synced.outcome).toBe('rejected');
    await close();
  });

  it('proves a revocation through the admin API on every member, without one failed key login', async () => {
    // Prepare
    const { primary, member, vendor, memberHost, close } = await cluster();
    await provisioned(vendor, 'ha-bot');
    const credential = { target: 'fgt', apiUser: 'ha-bot' };
    member.ha.stall();
    await vendor.revoke('ha-bot');
    // Act
    const whileStalled = await vendor.proveRevoked('ha-bot', credential);
    member.ha.resume();
    const synced = await vendor.proveRevoked('ha-bot', credential);
    // Assess
    expect(whileStalled).toEqual({
      outcome: 'accepted',
      reason: `API user ha-bot is still on ${memberHost}`,
    });
    expect(synced).toEqual({ outcome: 'rejected' });
    const refused = (sim: FortiOsSimulator) =>
      sim.state.requestsLog.filter((r) => r.status >= 400 && r.status !== 404);
    expect([refused(primary), refused(member)]).toEqual([[], []]);
    await close();
  });

  it('a member that does not answer beside a refusal ends the check inconclusive, not in an error retried at once', async () => {
    // Prepare
    const { member, vendor, memberHost, close } = await cluster();
    const dead = await provisioned(vendor, 'ha-gone');
    const good = await provisioned(vendor, 'ha-bot');
    await vendor.revoke('ha-gone');
    await member.close();
    // Act
    const beside = await vendor.verify(dead);
    const alone = await failure(vendor.verify(good));
    // Assess
    expect(beside.outcome).toBe('inconclusive');
    expect(beside.reason).toContain(memberHost);
    expect(alone).toBeInstanceOf(RetryableError);
    await close();
  });
});
