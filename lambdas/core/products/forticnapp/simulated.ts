/** The FortiCNAPP simulator (an account's API and console) as the embedded default, its operator and the bench use it. */
import type { SimulatedProduct } from '#local/simulated-product.ts';
import { type FortiCnappSimulator, startFortiCnappSimulator } from './simulator.ts';

export const simulatedFortiCnapp: SimulatedProduct<'forticnapp', FortiCnappSimulator> = {
  name: 'forticnapp',
  demoTarget: 'cnapp-lab',
  start: ({ port }) => startFortiCnappSimulator({ port }),
  target: (simulator, pinning) => ({
    vendor: 'forticnapp',
    baseUrl: simulator.url,
    tls: pinning === 'ca' ? { caPem: simulator.caPem } : { fingerprint: simulator.fingerprint },
    tokenExpirySeconds: 3600,
  }),
  issuedMaterial: (simulator) => [
    ...[...simulator.state.keys.values()].map((key) => key.secret),
    ...simulator.state.tokens.keys(),
  ],
  requestCount: (simulator) => simulator.requestsLog.length,
  operatorUi: {
    obtain(simulator, task, serviceUser) {
      const user = serviceUser ?? task.apiUser;
      simulator.console.createServiceUser(user);
      return { text: simulator.console.createApiKey(user, task.apiUser) };
    },
    revoke(simulator, task) {
      simulator.console.deleteApiKey(/API key (\S+)/.exec(task.steps.join(' '))?.[1] ?? '');
    },
  },
  consumerCall: { method: 'GET', path: '/api/v2/UserProfile' },
  bench: {
    minimumCalls: {
      provision: { calls: 1, why: 'one token exchange verifies the key and mints the brokered token' },
      rotate: {
        calls: 3,
        why: 'verify the new key; check the old one before asking a person to delete it (a key already gone needs nobody); prove it refused afterwards',
      },
      revoke: { calls: 1, why: 'one exchange proving the key refused after the operator deleted it' },
    },
    request: { serviceUser: 'svc-bench@example.com' },
    bulkServiceUser: (index) => `svc-bulk-${index}@example.com`,
  },
};
