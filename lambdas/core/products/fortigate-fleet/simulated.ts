/** The fleet simulator (a FortiManager with managed FortiGates) as the embedded default, the leak scan and the bench use it. */
import {
  type SimulatedProduct,
  TWIN_USER_BENCH_REQUEST,
  TWIN_USER_MINIMUM_CALLS,
} from '#local/simulated-product.ts';
import { simulatedFortiOs } from '../fortios/simulated.ts';
import { type FortiGateFleetSimulator, startFortiGateFleetSimulator } from './simulator.ts';

/**
 * The demo fleet: three branch FortiGates in group `branches`, and group `east` of two of them with
 * a fourth that is offline (its tunnel to the manager is down).
 */
export const DEMO_FLEET = {
  devices: [
    { name: 'fgt-branch-1' },
    { name: 'fgt-branch-2' },
    { name: 'fgt-branch-3' },
    { name: 'fgt-east-9', offline: true },
  ],
  groups: {
    branches: ['fgt-branch-1', 'fgt-branch-2', 'fgt-branch-3'],
    east: ['fgt-branch-1', 'fgt-branch-2', 'fgt-east-9'],
  },
} as const;

export const simulatedFortiGateFleet: SimulatedProduct<'fortigate-fleet', FortiGateFleetSimulator> = {
  name: 'fortigate-fleet',
  demoTarget: 'fleet-lab',
  start: () => startFortiGateFleetSimulator(DEMO_FLEET),
  target: (simulator, pinning) => ({
    vendor: 'fortigate-fleet',
    baseUrl: simulator.url,
    adminCredential: { token: simulator.adminToken },
    tls: pinning === 'ca' ? { caPem: simulator.caPem } : { fingerprint: simulator.fingerprint },
    maxConcurrentCalls: 1,
    adom: simulator.adom,
    devices: Object.fromEntries(
      [...simulator.devices.values()].map((d) => [d.name, { keyCheckUrl: d.fortigate.url }]),
    ),
    deviceTls: { caPem: simulator.deviceCaPem },
  }),
  issuedMaterial: (simulator) => [
    simulator.adminToken,
    simulator.ssh.password,
    ...[...simulator.devices.values()].flatMap((d) => simulatedFortiOs.issuedMaterial(d.fortigate)),
  ],
  requestCount: (simulator) => simulator.requestCount(),
  bench: {
    minimumCalls: {
      ...TWIN_USER_MINIMUM_CALLS,
      // As FortiOS: the proof reads both twins through the admin API (../fortios/README.md).
      revoke: simulatedFortiOs.bench.minimumCalls.revoke,
    },
    device: 'fgt-branch-1',
    request: TWIN_USER_BENCH_REQUEST,
  },
};
