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
    adminCredential: { token: simulator.adminToken, user: simulator.adminUser },
    tls: pinning === 'ca' ? { caPem: simulator.caPem } : { fingerprint: simulator.fingerprint },
    ssh: simulator.ssh,
    maxConcurrentCalls: 1,
    maxRpcPermit: 'read',
  }),
  issuedMaterial: (simulator) => [
    simulator.adminToken,
    simulator.ssh.password,
    // Admin twins' keys and CLI logins' passwords included: the admin rotation issues both.
    ...[...simulator.state.users.values()].flatMap((user) =>
      [user.key, user.password].filter((m) => m !== undefined),
    ),
  ],
  requestCount: (simulator) => simulator.state.requestsLog.length,
  bench: {
    // A -11 proves a key refused only when it repeats (the concurrency fault of 7.2.7 to 7.4.7).
    minimumCalls: {
      ...TWIN_USER_MINIMUM_CALLS,
      rotate: {
        calls: 7,
        why: "create the idle twin, generate its key, verify it, read the old twin's marker and delete it (only this credential's), two calls proving its key refused (-11 twice)",
      },
      revoke: {
        calls: 5,
        why: "read the marker of the user and of its twin (only this credential's are deleted), delete the one that exists, two calls proving the key refused (-11 twice)",
      },
    },
    request: TWIN_USER_BENCH_REQUEST,
  },
};
