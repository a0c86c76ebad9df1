import { describe, expect, it } from 'vitest';
import { FatalError, ValidationError } from '#core/errors.ts';
import { createFortiManagerVendor } from '#core/products/fortimanager/adapter.ts';
import { startFortiManagerSimulator } from '#core/products/fortimanager/simulator.ts';
import { failure } from '../../../../test/failure.ts';
import { apiIssuer, describeVendorConformance } from '../conformance.ts';

async function harness(pinning: 'ca' | 'fingerprint') {
  const sim = await startFortiManagerSimulator();
  const tls = pinning === 'ca' ? { caPem: sim.caPem } : { fingerprint: sim.fingerprint };
  const target = (token: string, ssh = sim.ssh) =>
    ({ vendor: 'fortimanager', baseUrl: sim.url, adminCredential: { token }, tls, ssh }) as const;
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
        }),
      callerHost: '127.0.0.1/32',
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
    });
    const wrongPin = { ...h.sim.ssh, hostKeySha256: `SHA256:${'A'.repeat(43)}` };
    const vendor = createFortiManagerVendor({ target: h.target(h.sim.adminToken, wrongPin) });
    // Act
    const error = await failure(vendor.issueKey('pinned'));
    // Assess
    expect(error).toBeInstanceOf(FatalError);
    expect(error.message).toMatch(/host key .* does not match the pinned fingerprint/);
    expect(h.sim.state.users.get('pinned')?.key).toBeUndefined();
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
});
