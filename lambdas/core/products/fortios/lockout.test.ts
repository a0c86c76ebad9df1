/**
 * Every attempt of a step that presents a credential may be one more failed API-key login at a
 * FortiGate, which locks the provisioner's own address out after 3 within 60 s. Each such step's
 * retry schedule, read from the synthesized state machines at its earliest (full jitter may cut a
 * delay to nothing), is replayed with a dead key against the simulator's lockout on a clock of its
 * own: the address is never locked out. Attempts retried for a RetryableError are not counted: the
 * adapter never ends a check that met a refusal in an error (conformance.test.ts, HA members).
 */
import { describe, expect, it } from 'vitest';
import { NOT_YET_VALID_ERROR_NAME, STILL_VALID_ERROR_NAME } from '#core/errors.ts';
import { createFortiOsVendor } from '#core/products/fortios/adapter.ts';
import { FORTIOS_LOCKOUT, startFortiOsSimulator } from '#core/products/fortios/simulator.ts';
import { synthesizeWorkflows, type WorkflowKey } from '#local/synth.ts';

const KEY_CHECKS: readonly [WorkflowKey, string, string][] = [
  ['provision', 'VerifyCredential', NOT_YET_VALID_ERROR_NAME],
  ['rotate', 'VerifyPendingKey', NOT_YET_VALID_ERROR_NAME],
  ['rotate', 'RetirePreviousKey', STILL_VALID_ERROR_NAME],
  ['rotate', 'ProvePreviousRevoked', STILL_VALID_ERROR_NAME],
  ['revoke', 'ProveRevoked', STILL_VALID_ERROR_NAME],
  // The new admin token, presented while it propagates (the old one is retired through the admin API).
  ['admin-rotate', 'VerifyAdminKey', NOT_YET_VALID_ERROR_NAME],
];

interface Retrier {
  readonly ErrorEquals: readonly string[];
  readonly IntervalSeconds?: number;
  readonly MaxAttempts?: number;
  readonly BackoffRate?: number;
  readonly MaxDelaySeconds?: number;
  readonly JitterStrategy?: 'FULL' | 'NONE';
}

interface State {
  readonly Retry?: readonly Retrier[];
  readonly ItemProcessor?: { readonly States: Record<string, State> };
  readonly Branches?: readonly { readonly States: Record<string, State> }[];
}

/** A state by name, in a Map's item processor or a Parallel's branches as well. */
function findState(states: Record<string, State>, name: string): State | undefined {
  for (const [stateName, state] of Object.entries(states)) {
    if (stateName === name) return state;
    const nested = [state.ItemProcessor, ...(state.Branches ?? [])].flatMap((n) => (n ? [n.States] : []));
    for (const inner of nested) {
      const found = findState(inner, name);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * When each attempt may start at the earliest, in ms after the first: Step Functions waits
 * IntervalSeconds × BackoffRate^(n-1), capped at MaxDelaySeconds, before retry n (defaults 1 s,
 * 2.0, 3 retries), and FULL jitter may wait anything from nothing up to that.
 */
function earliestAttempts(retrier: Retrier): number[] {
  const interval = retrier.IntervalSeconds ?? 1;
  const backoff = retrier.BackoffRate ?? 2;
  const times = [0];
  for (let retry = 1; retry <= (retrier.MaxAttempts ?? 3); retry += 1) {
    const delay = Math.min(
      interval * backoff ** (retry - 1),
      retrier.MaxDelaySeconds ?? Number.POSITIVE_INFINITY,
    );
    times.push((times.at(-1) ?? 0) + (retrier.JitterStrategy === 'FULL' ? 0 : delay * 1000));
  }
  return times;
}

describe('the retry schedules of key checks and the FortiOS lockout', () => {
  it.each(KEY_CHECKS)(
    '%s %s never makes 3 failed key logins within 60 s',
    async (workflow, stateName, error) => {
      // Prepare
      const state = findState(
        synthesizeWorkflows()[workflow].definition.States as Record<string, State>,
        stateName,
      );
      const retrier = state?.Retry?.find((r) => r.ErrorEquals.includes(error));
      if (!retrier) throw new Error(`${workflow} ${stateName} has no retry on ${error}`);
      const attempts = earliestAttempts(retrier);
      let now = 0;
      const sim = await startFortiOsSimulator({ now: () => now });
      const vendor = createFortiOsVendor({
        target: {
          vendor: 'fortios',
          baseUrl: sim.url,
          adminCredential: { token: sim.adminToken },
          tls: { caPem: sim.caPem },
        },
      });
      await vendor.ensureUser({
        name: 'dead',
        profile: 'super_admin',
        trustedHosts: ['127.0.0.1/32'],
        vdom: 'root',
        requestId: 'provision-lockout-1',
        credential: { target: 'fgt', apiUser: 'dead' },
      });
      const dead = await vendor.issueKey('dead');
      await vendor.revoke('dead');
      // Act
      const outcomes: string[] = [];
      for (const at of attempts) {
        now = at;
        outcomes.push(
          await vendor.verify(dead).then(
            (r) => r.outcome,
            (e: Error) => e.message,
          ),
        );
      }
      // Assess
      const crowded = attempts.filter(
        (at, i) =>
          (attempts[i + FORTIOS_LOCKOUT.threshold - 1] ?? Number.POSITIVE_INFINITY) - at <=
          FORTIOS_LOCKOUT.windowMs,
      );
      expect(crowded, `attempts at ${attempts.map((a) => a / 1000).join(', ')} s`).toEqual([]);
      expect(outcomes).toEqual(attempts.map(() => 'rejected'));
      await sim.close();
    },
  );
});
