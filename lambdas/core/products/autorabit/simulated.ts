/** The AutoRABIT ARM simulator as the embedded default, its operator and the bench use it. */
import type { SimulatedProduct } from '#local/simulated-product.ts';
import { type AutoRabitSimulator, startAutoRabitSimulator } from './simulator.ts';

/** Tokens an operator creates live 90 days, as ARM's UI offers. */
const TOKEN_LIFETIME_MS = 90 * 24 * 3600 * 1000;

export const simulatedAutoRabit: SimulatedProduct<'autorabit', AutoRabitSimulator> = {
  name: 'autorabit',
  demoTarget: 'arm-lab',
  start: ({ port }) => startAutoRabitSimulator({ port }),
  target: (simulator, pinning) => ({
    vendor: 'autorabit',
    baseUrl: simulator.url,
    tls: pinning === 'ca' ? { caPem: simulator.caPem } : { fingerprint: simulator.fingerprint },
    verify: { method: 'GET', path: simulator.verifyPath },
  }),
  issuedMaterial: (simulator) => [...simulator.state.tokens.keys()],
  requestCount: (simulator) => simulator.requestsLog.length,
  operatorUi: {
    obtain(simulator, task, serviceUser) {
      const user = serviceUser ?? task.apiUser;
      simulator.console.createUser(user);
      const expiresAt = new Date(Date.now() + TOKEN_LIFETIME_MS).toISOString();
      return { text: simulator.console.createToken(user, task.apiUser, expiresAt), expiresAt };
    },
    // The token of that name, and of the expiry the instructions give when a rotation left two.
    revoke(simulator, task) {
      const expiry = Date.parse(/expires (\S+)\)/.exec(task.steps.join(' '))?.[1] ?? '');
      for (const [token, found] of simulator.state.tokens) {
        if (found.name === task.apiUser && (Number.isNaN(expiry) || found.expiresAt === expiry))
          simulator.console.revokeToken(token);
      }
    },
  },
  bench: {
    minimumCalls: {
      provision: { calls: 1, why: 'one authenticated read verifies the token' },
      rotate: {
        calls: 3,
        why: 'verify the new token; check the old one before asking a person to revoke it; prove it refused afterwards',
      },
      revoke: { calls: 1, why: 'one read proving the token refused after the operator revoked it' },
    },
    request: { serviceUser: 'bench-bot' },
    bulkServiceUser: (index) => `bulk-bot-${index}`,
  },
};
