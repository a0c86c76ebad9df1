/** The FortiManager simulator (JSON-RPC and SSH) as the embedded default, the leak scan and the bench use it. */
import {
  type SimulatedProduct,
  TWIN_USER_BENCH_REQUEST,
  TWIN_USER_MINIMUM_CALLS,
} from '#local/simulated-product.ts';
import { type FortiManagerSimulator, startFortiManagerSimulator } from './simulator.ts';

export const simulatedFortiManager: SimulatedProduct<'fortimanager', FortiManagerSimulator> = {
  name: 'fortimanager',
  demoTarget: 'fmg-lab',
  start: () => startFortiManagerSimulator(),
  target: (simulator, pinning) => ({
    vendor: 'fortimanager',
    baseUrl: simulator.url,
    adminCredential: { token: simulator.adminToken },
    tls: pinning === 'ca' ? { caPem: simulator.caPem } : { fingerprint: simulator.fingerprint },
    ssh: simulator.ssh,
  }),
  issuedMaterial: (simulator) => [
    simulator.adminToken,
    simulator.ssh.password,
    ...[...simulator.state.users.values()].flatMap((user) => (user.key ? [user.key] : [])),
  ],
  requestCount: (simulator) => simulator.state.requestsLog.length,
  bench: { minimumCalls: TWIN_USER_MINIMUM_CALLS, request: TWIN_USER_BENCH_REQUEST },
};
