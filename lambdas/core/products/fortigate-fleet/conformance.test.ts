import { describe, expect, it } from 'vitest';
import { FatalError, NotFoundError, RetryableError } from '#core/errors.ts';
import { createFortiGateFleetVendor } from '#core/products/fortigate-fleet/adapter.ts';
import { DEMO_FLEET, simulatedFortiGateFleet } from '#core/products/fortigate-fleet/simulated.ts';
import {
  type FortiGateFleetSimulator,
  startFortiGateFleetSimulator,
} from '#core/products/fortigate-fleet/simulator.ts';
import type { FortiGateFleetTarget } from '#core/products/fortigate-fleet/target.ts';
import { failure } from '../../../../test/failure.ts';
import { apiIssuer, describeVendorConformance } from '../conformance.ts';

type Pinning = 'ca' | 'fingerprint';

function fleetTarget(sim: FortiGateFleetSimulator, pinning: Pinning, device?: string): FortiGateFleetTarget {
  return { ...simulatedFortiGateFleet.target(sim, pinning), ...(device ? { device } : {}) };
}

/** The shared suite against one FortiGate of the fleet, every admin call carried by the manager's proxy. */
async function harness(pinning: Pinning, device: string) {
  const sim = await startFortiGateFleetSimulator(DEMO_FLEET);
  const fortigate = sim.devices.get(device)?.fortigate;
  if (!fortigate) throw new Error(`no device ${device}`);
  const target = (token: string) => ({ ...fleetTarget(sim, pinning, device), adminCredential: { token } });
  const vendor = createFortiGateFleetVendor({ target: target(sim.adminToken) });
  return {
    vendor,
    issue: apiIssuer(vendor, '127.0.0.1/32'),
    reissueKillsPrevious: true,
    revoke: (user: string) => vendor.revoke(user),
    injectFault: (pathPrefix: string, kind: '429' | '5xx') => {
      sim.faults.inject({ pathPrefix, kind });
      fortigate.faults.inject({ pathPrefix, kind });
    },
    clearFaults: () => {
      sim.faults.clear();
      fortigate.faults.clear();
    },
    refusals: (fresh: () => string) => [
      {
        name: 'a key for a user that does not exist',
        act: () => vendor.issueKey(fresh()),
        error: NotFoundError,
        message: /does not exist/,
      },
      {
        name: 'a call that names no device of the fleet',
        act: () =>
          createFortiGateFleetVendor({ target: fleetTarget(sim, pinning) }).ensureAccessProfile({
            name: 'p',
            permissions: {},
          }),
        error: FatalError,
        message: /<fleet>\.<device>/,
      },
    ],
    api: {
      vendorWithBadAdmin: createFortiGateFleetVendor({ target: target('not-the-admin-token-000') }),
      userExists: (name: string) => fortigate.state.users.has(name),
      createUnmanagedUser: (name: string) =>
        fortigate.state.users.set(name, {
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

describeVendorConformance('FortiGate fleet (fgt-branch-1, manager CA pinned)', 'api', () =>
  harness('ca', 'fgt-branch-1'),
);
describeVendorConformance('FortiGate fleet (fgt-branch-3, manager fingerprint pinned)', 'api', () =>
  harness('fingerprint', 'fgt-branch-3'),
);

describe('FortiGate fleet adapter specifics', () => {
  it('carries admin calls through /sys/proxy/json to the one device, and checks keys at the device itself', async () => {
    // Prepare
    const sim = await startFortiGateFleetSimulator(DEMO_FLEET);
    try {
      const vendor = createFortiGateFleetVendor({ target: fleetTarget(sim, 'ca', 'fgt-branch-2') });
      // Act
      const material = await apiIssuer(vendor, '127.0.0.1/32')('bot');
      const verified = await vendor.verify(material);
      // Assess
      expect(verified.outcome).toBe('accepted');
      expect(sim.devices.get('fgt-branch-2')?.fortigate.state.users.has('bot')).toBe(true);
      expect(sim.devices.get('fgt-branch-1')?.fortigate.state.users.has('bot')).toBe(false);
      expect(new Set(sim.state.requestsLog.map((r) => `${r.method} ${r.url}`))).toEqual(
        new Set(['exec /sys/proxy/json']),
      );
      // The key went only to the device's own address, never to the manager.
      const deviceLog = sim.devices.get('fgt-branch-2')?.fortigate.state.requestsLog ?? [];
      expect(deviceLog.filter((r) => r.path === '/api/v2/monitor/system/status')).toHaveLength(1);
    } finally {
      await sim.close();
    }
  });

  it('an offline device is a retryable error naming it, and nothing reaches it', async () => {
    // Prepare
    const sim = await startFortiGateFleetSimulator(DEMO_FLEET);
    try {
      const vendor = createFortiGateFleetVendor({ target: fleetTarget(sim, 'ca', 'fgt-east-9') });
      // Act
      const error = await failure(vendor.ensureAccessProfile({ name: 'p', permissions: {} }));
      // Assess
      expect(error).toBeInstanceOf(RetryableError);
      expect(error.message).toMatch(/could not reach fgt-east-9/);
      expect(sim.devices.get('fgt-east-9')?.fortigate.state.requestsLog).toEqual([]);
    } finally {
      await sim.close();
    }
  });

  it('lists the devices of a group and of the ADOM from the manager; an unknown group is refused', async () => {
    // Prepare
    const sim = await startFortiGateFleetSimulator(DEMO_FLEET);
    try {
      const vendor = createFortiGateFleetVendor({ target: fleetTarget(sim, 'ca') });
      // Act
      const group = await vendor.fleetDevices({ deviceGroup: 'east' });
      const adom = await vendor.fleetDevices({ adom: 'root' });
      const unknown = await failure(vendor.fleetDevices({ deviceGroup: 'nowhere' }));
      // Assess
      expect(group).toEqual(['fgt-branch-1', 'fgt-branch-2', 'fgt-east-9']);
      expect(adom).toEqual(['fgt-branch-1', 'fgt-branch-2', 'fgt-branch-3', 'fgt-east-9']);
      expect(unknown).toBeInstanceOf(FatalError);
      expect(unknown.message).toMatch(/device group nowhere: not found/);
    } finally {
      await sim.close();
    }
  });

  it('refuses a device whose certificate matches neither pin before the key is sent', async () => {
    // Prepare
    const sim = await startFortiGateFleetSimulator(DEMO_FLEET);
    try {
      const vendor = createFortiGateFleetVendor({ target: fleetTarget(sim, 'ca', 'fgt-branch-1') });
      const material = await apiIssuer(vendor, '127.0.0.1/32')('pinned');
      const impostor = createFortiGateFleetVendor({
        target: { ...fleetTarget(sim, 'ca', 'fgt-branch-1'), deviceTls: { fingerprint: 'AB'.repeat(32) } },
      });
      const before = sim.devices.get('fgt-branch-1')?.fortigate.state.requestsLog.length;
      // Act
      const error = await failure(impostor.verify(material));
      // Assess
      expect(error).toBeInstanceOf(FatalError);
      expect(sim.devices.get('fgt-branch-1')?.fortigate.state.requestsLog.length).toBe(before);
    } finally {
      await sim.close();
    }
  });
});
