/** The FortiCloud IAM / FortiFlex simulator as the embedded default, its operator and the bench use it. */
import type { SimulatedProduct } from '#local/simulated-product.ts';
import { type FortiFlexSimulator, startFortiFlexSimulator } from './simulator.ts';

/** The IAM API user an operator created for each credential, as a person would remember it. */
const usersOfCredentials = new WeakMap<FortiFlexSimulator, Map<string, string>>();

export const simulatedFortiFlex: SimulatedProduct<'fortiflex', FortiFlexSimulator> = {
  name: 'fortiflex',
  demoTarget: 'flex-lab',
  start: ({ port }) => startFortiFlexSimulator({ port }),
  target: (simulator, pinning) => ({
    vendor: 'fortiflex',
    baseUrl: simulator.url,
    clientId: 'flexvm',
    tls: pinning === 'ca' ? { caPem: simulator.caPem } : { fingerprint: simulator.fingerprint },
  }),
  issuedMaterial: (simulator) => [
    ...[...simulator.state.users.values()].flatMap((user) => (user.password ? [user.password] : [])),
    ...simulator.state.tokens.keys(),
  ],
  requestCount: (simulator) => simulator.requestsLog.length,
  operatorUi: {
    // A rotation is a new download for the same IAM user (the old password dies at once).
    obtain(simulator, task) {
      const remembered = usersOfCredentials.get(simulator) ?? new Map<string, string>();
      usersOfCredentials.set(simulator, remembered);
      const credential = `${task.target}/${task.apiUser}`;
      const known = task.action === 'rotate' ? remembered.get(credential) : undefined;
      const username = known ?? simulator.console.createApiUser('FlexVM-ReadOnly');
      remembered.set(credential, username);
      return { text: simulator.console.downloadCredentials(username) };
    },
    revoke(simulator, task) {
      simulator.console.deleteApiUser(/IAM API user (\S+)/.exec(task.steps.join(' '))?.[1] ?? '');
    },
  },
  consumerCall: { method: 'POST', path: '/ES/api/fortiflex/v2/programs/list', body: {} },
  bench: {
    minimumCalls: {
      provision: { calls: 1, why: 'one password grant verifies the credential and mints the brokered token' },
      rotate: {
        calls: 2,
        why: 'a grant with the new password (verifies, mints the token consumers read); one with the old proves it dead',
      },
      revoke: { calls: 2, why: 'revoke the brokered token; one grant proving the password refused' },
    },
    request: {},
  },
};
