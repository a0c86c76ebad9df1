import { describe, expect, it } from 'vitest';
import { FatalError, NotFoundError } from '#core/errors.ts';
import { createFortiOsVendor } from '#core/products/fortios/adapter.ts';
import { startFortiOsSimulator } from '#core/products/fortios/simulator.ts';
import { failure } from '../../../../test/failure.ts';
import { apiIssuer, describeVendorConformance } from '../conformance.ts';

async function harness(pinning: 'ca' | 'fingerprint', cliErrorStyle: '7.2' | '7.6') {
  const sim = await startFortiOsSimulator({ cliErrorStyle });
  const tls = pinning === 'ca' ? { caPem: sim.caPem } : { fingerprint: sim.fingerprint };
  const target = (token: string) =>
    ({ vendor: 'fortios', baseUrl: sim.url, adminCredential: { token }, tls, vdom: 'root' }) as const;
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
    },
    close: () => sim.close(),
  };
}

describeVendorConformance('FortiOS (CA pinned, 7.2 errors)', 'api', () => harness('ca', '7.2'));
describeVendorConformance('FortiOS (fingerprint pinned, 7.6 errors)', 'api', () =>
  harness('fingerprint', '7.6'),
);

describe('FortiOS adapter specifics', () => {
  it('refuses a product whose certificate does not match the pinned fingerprint, sending nothing', async () => {
    // Prepare
    const { sim, vendor } = await harness('fingerprint', '7.2');
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
    const { sim, vendor } = await harness('ca', '7.2');
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
