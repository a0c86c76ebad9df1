import { describe, expect, it } from 'vitest';
import { FatalError, UnmanagedUserError, ValidationError } from '#core/errors.ts';
import { httpsJson } from '#core/http.ts';
import { createFortiManagerVendor } from '#core/products/fortimanager/adapter.ts';
import {
  answersConcurrentTokenCallsWithNoPermission,
  startFortiManagerSimulator,
} from '#core/products/fortimanager/simulator.ts';
import { FortiManagerTarget } from '#core/products/fortimanager/target.ts';
import { failure } from '../../../../test/failure.ts';
import { apiIssuer, describeVendorConformance } from '../conformance.ts';

async function harness(pinning: 'ca' | 'fingerprint', version?: string) {
  const sim = await startFortiManagerSimulator({ version });
  const tls = pinning === 'ca' ? { caPem: sim.caPem } : { fingerprint: sim.fingerprint };
  const target = (token: string, overrides: Record<string, unknown> = {}) =>
    FortiManagerTarget.parse({
      vendor: 'fortimanager',
      baseUrl: sim.url,
      adminCredential: { token },
      tls,
      ssh: sim.ssh,
      ...overrides,
    });
  const vendor = createFortiManagerVendor({ target: target(sim.adminToken) });
  return {
    sim,
    target,
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
        error: FatalError,
        message: /no new API key/,
      },
      {
        name: 'a wrong admin token',
        act: () =>
          createFortiManagerVendor({ target: target('not-the-admin-token-000') }).findManagedUser('x'),
        error: FatalError,
        message: /admin token|permission/,
      },
    ],
    api: {
      vendorWithBadAdmin: createFortiManagerVendor({ target: target('not-the-admin-token-000') }),
      userExists: (name: string) => sim.state.users.has(name),
      createUnmanagedUser: (name: string) =>
        sim.state.users.set(name, {
          userid: name,
          profileid: 'Super_User',
          trusthosts: [],
          description: 'by hand',
          'rpc-permit': 'read-write',
        }),
      callerHost: '127.0.0.1/32',
      admin: {
        user: sim.adminUser,
        vendorWith: (adminCredential: { token: string; user: string }) =>
          createFortiManagerVendor({ target: target(adminCredential.token, { adminCredential }) }),
      },
    },
    close: () => sim.close(),
  };
}

describeVendorConformance('FortiManager (CA pinned)', 'api', () => harness('ca'));
describeVendorConformance('FortiManager (fingerprint pinned)', 'api', () => harness('fingerprint'));

describe('FortiManager adapter specifics', () => {
  it('refuses an SSH host whose key does not match the pin, before logging in', async () => {
    // Prepare
    const h = await harness('ca');
    await h.vendor.ensureAccessProfile({ name: 'p', permissions: { sysgrp: 'read' } });
    await h.vendor.ensureUser({
      name: 'pinned',
      profile: 'p',
      trustedHosts: ['127.0.0.1/32'],
      vdom: 'root',
      requestId: 'r-1',
      credential: { target: 'fmg', apiUser: 'pinned' },
    });
    const wrongPin = { ...h.sim.ssh, hostKeySha256: `SHA256:${'A'.repeat(43)}` };
    const vendor = createFortiManagerVendor({ target: h.target(h.sim.adminToken, { ssh: wrongPin }) });
    // Act
    const error = await failure(vendor.issueKey('pinned'));
    // Assess
    expect(error).toBeInstanceOf(FatalError);
    expect(error.message).toMatch(/host key .* does not match the pinned fingerprint/);
    expect(h.sim.state.users.get('pinned')?.key).toBeUndefined();
    await h.close();
  });

  it('redacts the new key from its error when the output’s key line is not the one it reads', async () => {
    // Prepare: another firmware's wording, the key on a line KEY_LINE does not match
    const h = await harness('ca');
    await h.vendor.ensureAccessProfile({ name: 'p', permissions: { sysgrp: 'read' } });
    await h.vendor.ensureUser({
      name: 'reworded',
      profile: 'p',
      trustedHosts: ['127.0.0.1/32'],
      vdom: 'root',
      requestId: 'r-1',
      credential: { target: 'fmg', apiUser: 'reworded' },
    });
    h.sim.state.keyOutput.print = (key) => `API key generated successfully.\nKey = ${key}\n`;
    // Act
    const error = await failure(h.vendor.issueKey('reworded'));
    // Assess
    const key = h.sim.state.users.get('reworded')?.key ?? '';
    expect(key.length).toBeGreaterThan(15);
    expect(error).toBeInstanceOf(FatalError);
    expect(error.message).toMatch(/^FortiManager printed no new API key for reworded: API key generated/);
    expect(error.message).not.toContain(key);
    expect(error.message).not.toContain(key.slice(0, 12));
    await h.close();
  });

  it('never lets a name reach the CLI line unless it is allow-listed', async () => {
    // Prepare
    const h = await harness('ca');
    // Act
    const error = await failure(h.vendor.issueKey('bot; execute reboot'));
    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    await h.close();
  });

  it('reads a repeated -11 of the admin token as a missing permission, and says so', async () => {
    // Prepare
    const h = await harness('ca');
    const vendor = createFortiManagerVendor({ target: h.target('not-the-admin-token-000') });
    // Act
    const error = await failure(vendor.findManagedUser('nobody'));
    // Assess
    expect(error).toBeInstanceOf(FatalError);
    expect(error.message).toMatch(/no permission \(-11 twice in a row;/);
    expect(h.sim.state.requestsLog.map((r) => r.code)).toEqual([-11, -11]);
    await h.close();
  });

  it('creates the API user with the JSON-RPC access asked for, within the target’s maxRpcPermit', async () => {
    // Prepare
    const h = await harness('ca');
    const vendor = createFortiManagerVendor({
      target: h.target(h.sim.adminToken, { maxRpcPermit: 'read-write' }),
    });
    await vendor.ensureAccessProfile({ name: 'p', permissions: { sysgrp: 'read' } });
    const spec = {
      profile: 'p',
      trustedHosts: ['127.0.0.1/32'],
      vdom: 'root',
      requestId: 'r-1',
      credential: { target: 'fmg', apiUser: 'rpc' },
    };
    // Act
    await vendor.ensureUser({ ...spec, name: 'writer', rpcPermit: 'read-write' });
    await vendor.ensureUser({ ...spec, name: 'reader' });
    // Assess
    expect(h.sim.state.users.get('writer')?.['rpc-permit']).toBe('read-write');
    expect(h.sim.state.users.get('reader')?.['rpc-permit']).toBe('read');
    await h.close();
  });

  it('refuses an API user beyond the target’s maxRpcPermit before any call', async () => {
    // Prepare
    const h = await harness('ca');
    const spec = {
      profile: 'p',
      trustedHosts: ['127.0.0.1/32'],
      vdom: 'root',
      requestId: 'r-1',
      credential: { target: 'fmg', apiUser: 'rpc' },
    };
    // Act
    const error = await failure(h.vendor.ensureUser({ ...spec, name: 'writer', rpcPermit: 'read-write' }));
    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toMatch(/rpcPermit read-write is beyond the target's maxRpcPermit \(read\)/);
    expect(h.sim.state.requestsLog).toEqual([]);
    await h.close();
  });
});

describe('FortiManager SSH login twins', () => {
  it('moves the SSH login to a twin admin: its new password logs in, the old admin is deleted and its login refused', async () => {
    // Prepare
    const h = await harness('ca');
    const marker = 'credential-provisioner admin twin (conformance)';
    const current = h.sim.ssh.username;
    const twin = `${current}.b`;
    const loginAs = (username: string, password: string) =>
      createFortiManagerVendor({
        target: h.target(h.sim.adminToken, { ssh: { ...h.sim.ssh, username, password } }),
      });
    // Act: a first attempt's password, then the one a retry sets on the twin it left
    await h.vendor.loginTwins?.ensureLoginTwin(current, twin, marker, 'first-attempt-password-0001');
    await h.vendor.loginTwins?.ensureLoginTwin(current, twin, marker, 'second-attempt-password-002');
    const twinLogin = loginAs(twin, 'second-attempt-password-002');
    const verified = await twinLogin.loginTwins?.verifyLogin();
    const stalePassword = await loginAs(twin, 'first-attempt-password-0001').loginTwins?.verifyLogin();
    const retired = await twinLogin.adminTwins?.retireAdmin(current);
    const selfRetire = await failure(twinLogin.adminTwins?.retireAdmin(twin) ?? Promise.resolve());
    const oldLogin = await h.vendor.loginTwins?.verifyLogin();
    h.api.createUnmanagedUser('ops');
    const hijack = await failure(
      twinLogin.loginTwins?.ensureLoginTwin(twin, 'ops', marker, 'third-password-00000000003') ??
        Promise.resolve(),
    );
    // Assess
    expect(verified?.outcome).toBe('accepted');
    expect(stalePassword?.outcome).toBe('rejected');
    expect(retired?.outcome).toBe('rejected');
    expect(h.sim.state.users.has(current)).toBe(false);
    expect(selfRetire).toBeInstanceOf(FatalError);
    expect(oldLogin?.outcome).toBe('rejected');
    expect(hijack).toBeInstanceOf(UnmanagedUserError);
    expect(h.sim.state.users.get(twin)).toMatchObject({ user_type: 'local', profileid: 'Super_User' });
    await h.close();
  });
});

describe('FortiManager concurrent JSON-RPC calls', () => {
  it.each([
    ['7.2.6', false],
    ['7.2.7', true],
    ['7.4.5', true],
    ['7.4.7', true],
    ['7.4.8', false],
    ['7.6.1', true],
    ['7.6.2', false],
  ])('a simulated %s answers concurrent token calls with -11: %s', (version, refused) => {
    expect(answersConcurrentTokenCallsWithNoPermission(version)).toBe(refused);
  });

  it('serializes the calls of every adapter of one manager: two concurrent calls on 7.4 both succeed', async () => {
    // Prepare
    const h = await harness('ca', '7.4.5');
    const other = createFortiManagerVendor({ target: h.target(h.sim.adminToken) });
    h.sim.faults.inject({ kind: 'latency', latencyMs: 50 });
    // Act
    const [listed, found] = await Promise.all([h.vendor.listManagedUsers(), other.findManagedUser('nobody')]);
    // Assess
    expect(listed).toEqual([]);
    expect(found).toBeUndefined();
    expect(h.sim.concurrency.peak).toBe(1);
    expect(h.sim.state.requestsLog.map((r) => r.code)).toEqual([0, -3]);
    await h.close();
  });

  it('makes up to maxConcurrentCalls calls at once where the manager allows it (7.6.2)', async () => {
    // Prepare
    const h = await harness('ca', '7.6.2');
    const vendor = createFortiManagerVendor({
      target: h.target(h.sim.adminToken, { maxConcurrentCalls: 2 }),
    });
    h.sim.faults.inject({ kind: 'latency', latencyMs: 50 });
    // Act
    await Promise.all([vendor.listManagedUsers(), vendor.listManagedUsers(), vendor.listManagedUsers()]);
    // Assess
    expect(h.sim.concurrency.peak).toBe(2);
    await h.close();
  });

  it('retries a -11 once: a key refused while another client’s call was in flight is accepted', async () => {
    // Prepare
    const h = await harness('ca', '7.4.5');
    const material = await h.issue('busy-key');
    const before = h.sim.state.requestsLog.length;
    h.sim.faults.inject({ kind: 'latency', latencyMs: 150, times: 1 });
    const otherClient = httpsJson({
      baseUrl: h.sim.url,
      method: 'POST',
      path: '/jsonrpc',
      headers: { authorization: `Bearer ${h.sim.adminToken}` },
      body: { id: 1, method: 'get', params: [{ url: '/sys/status' }] },
      tls: { caPem: h.sim.caPem },
    });
    while (h.sim.concurrency.inFlight === 0) await new Promise((r) => setTimeout(r, 5));
    // Act
    const result = await h.vendor.verify(material);
    await otherClient;
    // Assess
    expect(result.outcome).toBe('accepted');
    expect(h.sim.state.requestsLog.slice(before).map((r) => r.code)).toEqual([-11, 0, 0]);
    await h.close();
  });

  it('reads a key as refused only when -11 repeats', async () => {
    // Prepare
    const h = await harness('ca', '7.4.5');
    const material = await h.issue('revoked-key');
    await h.vendor.revoke('revoked-key');
    const before = h.sim.state.requestsLog.length;
    // Act
    const result = await h.vendor.verify(material);
    // Assess
    expect(result.outcome).toBe('rejected');
    expect(h.sim.state.requestsLog.slice(before).map((r) => r.code)).toEqual([-11, -11]);
    await h.close();
  });
});
