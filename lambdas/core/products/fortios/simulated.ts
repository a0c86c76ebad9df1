/** The FortiOS simulator as the embedded default, the leak scan and the bench use it. */
import {
  type SimulatedProduct,
  TWIN_USER_BENCH_REQUEST,
  TWIN_USER_MINIMUM_CALLS,
} from '#local/simulated-product.ts';
import { type FortiOsSimulator, startFortiOsSimulator } from './simulator.ts';

export const simulatedFortiOs: SimulatedProduct<'fortios', FortiOsSimulator> = {
  name: 'fortios',
  demoTarget: 'fgt-lab',
  // No lockout: every local execution calls from 127.0.0.1 at once, and the tests present refused
  // keys on purpose, which would lock it out as a real FortiGate would (README.md, "Where reality differs").
  start: ({ port }) => startFortiOsSimulator({ port, lockout: false }),
  target: (simulator, pinning) => ({
    vendor: 'fortios',
    baseUrl: simulator.url,
    adminCredential: { token: simulator.adminToken, user: simulator.adminUser },
    tls: pinning === 'ca' ? { caPem: simulator.caPem } : { fingerprint: simulator.fingerprint },
    vdom: 'root',
  }),
  issuedMaterial: (simulator) => [
    simulator.adminToken,
    ...[...simulator.state.users.values()].flatMap((user) => (user.key ? [user.key] : [])),
  ],
  requestCount: (simulator) => simulator.state.requestsLog.length,
  bench: {
    minimumCalls: {
      ...TWIN_USER_MINIMUM_CALLS,
      // The proof reads both twins through the admin API (README.md, "Proofs of refusal").
      revoke: {
        calls: 5,
        why: "read the marker of the user and of its twin (only this credential's are deleted), delete the one that exists, read both twins again: their 404s prove the key dead without presenting it (a refused key is a failed login toward FortiOS's lockout)",
      },
    },
    request: TWIN_USER_BENCH_REQUEST,
  },
};
