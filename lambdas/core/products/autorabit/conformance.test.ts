import { describe, expect, it } from 'vitest';
import { FatalError } from '#core/errors.ts';
import { createAutoRabitVendor } from '#core/products/autorabit/adapter.ts';
import { startAutoRabitSimulator } from '#core/products/autorabit/simulator.ts';
import { AutoRabitTarget } from '#core/products/autorabit/target.ts';
import { describeVendorConformance } from '../conformance.ts';

const WEEK = 7 * 24 * 3600 * 1000;

async function harness(
  options: Parameters<typeof startAutoRabitSimulator>[0] = {},
  verify: Partial<AutoRabitTarget['verify']> = {},
) {
  let clock = Date.now();
  const sim = await startAutoRabitSimulator({ ...options, now: () => clock });
  const target = (path = sim.verifyPath): AutoRabitTarget => ({
    vendor: 'autorabit',
    baseUrl: sim.url,
    tls: { caPem: sim.caPem },
    verify: { method: 'GET', path, ...verify },
  });
  const vendor = createAutoRabitVendor({ target: target() });
  const tokenOf = (material: unknown) => (material as { token: string }).token;
  /** The Org Admin's part: the user once, a new token (shown once) with a week's expiry each time. */
  const issue = async (user: string) => {
    sim.console.createUser(user);
    const expiresAt = new Date(clock + WEEK).toISOString();
    return vendor.parseCredentialFile(sim.console.createToken(user, `token-of-${user}`, expiresAt), {
      expiresAt,
    });
  };
  return {
    sim,
    target,
    vendor,
    issue,
    tokenOf,
    advance: (ms: number) => {
      clock += ms;
    },
    reissueKillsPrevious: false,
    revoke: async (_user: string, material: Parameters<typeof vendor.revoke>[0]) => {
      const { operatorAction } = await vendor.revoke(material);
      expect(operatorAction).toMatch(/revoke the API token \(expires .*\) in ARM Admin > API Tokens/);
      expect(operatorAction).not.toContain(tokenOf(material));
      return { removed: sim.console.revokeToken(tokenOf(material)) };
    },
    injectFault: (pathPrefix: string, kind: '429' | '5xx') => sim.faults.inject({ pathPrefix, kind }),
    clearFaults: () => sim.faults.clear(),
    refusals: (fresh: () => string) => [
      {
        name: 'a verify path the product does not have',
        act: async () => createAutoRabitVendor({ target: target('/wrong') }).verify(await issue(fresh())),
        error: FatalError,
        message: /verify path is wrong/,
      },
    ],
    operator: {
      malformedFiles: [
        'not a token at all',
        '<html><body>Sign in</body></html>',
        JSON.stringify({ token: 'abcdefghijklmnopqrstuvwxyz' }),
        JSON.stringify({ token: 'abcdefghijklmnopqrstuvwxyz', expiresAt: '2001-01-01T00:00:00Z' }),
        'abcdefghijklmnopqrstuvwxyz',
      ],
    },
    close: () => sim.close(),
  };
}

describeVendorConformance('AutoRABIT ARM (HTTP 401 refusals)', 'operator', () => harness());
describeVendorConformance('AutoRABIT ARM (HTTP 403 refusals, counted by the target)', 'operator', () =>
  harness({ refusalStatus: 403 }, { forbiddenIsRefusal: true }),
);

describe('AutoRABIT ARM adapter specifics', () => {
  it('reports the token of a deactivated user as broken', async () => {
    // Prepare
    const h = await harness();
    const material = await h.issue('leaver');
    h.sim.console.deactivateUser('leaver');
    // Act
    const result = await h.vendor.verify(material);
    // Assess
    expect(result).toEqual({ outcome: 'broken', reason: 'the ARM user of this token is deactivated' });
    await h.close();
  });

  it('rejects an expired token', async () => {
    // Prepare
    const h = await harness();
    const material = await h.issue('expiring');
    h.advance(WEEK + 1);
    // Act
    const result = await h.vendor.verify(material);
    // Assess
    expect(result).toEqual({ outcome: 'rejected', reason: 'the token has expired' });
    await h.close();
  });

  it('a revoked token re-approved before it expires works again, which is why revoke is proven by verify', async () => {
    // Prepare
    const h = await harness();
    const material = await h.issue('reapproved');
    h.sim.console.revokeToken(h.tokenOf(material));
    const revoked = await h.vendor.verify(material);
    // Act
    h.sim.console.reapproveToken(h.tokenOf(material));
    const again = await h.vendor.verify(material);
    // Assess
    expect(revoked.outcome).toBe('rejected');
    expect(again.outcome).toBe('accepted');
    await h.close();
  });

  it.each(['Inprogress', 'COMPLETED', 'success', 'Successful'])(
    "accepts a live token the read answers with status %s (public clients' vocabulary, any case)",
    async (status) => {
      // Prepare
      const h = await harness({ status });
      // Act
      const result = await h.vendor.verify(await h.issue('vocabulary'));
      // Assess
      expect(result).toEqual({ outcome: 'accepted' });
      await h.close();
    },
  );

  it('accepts the statuses the target lists (free text too), and reads any other as inconclusive', async () => {
    // Prepare
    const status = 'Quick deploy initiated successfully';
    const listed = await harness({ status }, { acceptedStatuses: [status] });
    const unlisted = await harness({ status });
    // Act
    const accepted = await listed.vendor.verify(await listed.issue('free-text'));
    const unknown = await unlisted.vendor.verify(await unlisted.issue('free-text'));
    // Assess
    expect(accepted).toEqual({ outcome: 'accepted' });
    expect(unknown.outcome).toBe('inconclusive');
    expect(unknown.reason).toMatch(/status outside this target's acceptedStatuses/);
    await Promise.all([listed.close(), unlisted.close()]);
  });

  it('a target lists 1-20 accepted statuses of printable text', () => {
    // Prepare
    const withStatuses = (acceptedStatuses: unknown) => ({
      vendor: 'autorabit',
      baseUrl: 'https://arm.example.com/',
      verify: { path: '/api/arm/v1/user/details', acceptedStatuses },
    });
    // Act / Assess
    expect(AutoRabitTarget.safeParse(withStatuses(['Quick deploy initiated successfully'])).success).toBe(
      true,
    );
    expect(AutoRabitTarget.safeParse(withStatuses([])).success).toBe(false);
    expect(AutoRabitTarget.safeParse(withStatuses(['Success\n'])).success).toBe(false);
  });

  it.each(['Failed', 'FAILED', 'error'])(
    'a job status %s on a live token describes the job: inconclusive, never a refusal',
    async (status) => {
      // Prepare
      const h = await harness({ status });
      // Act
      const result = await h.vendor.verify(await h.issue('job'));
      // Assess
      expect(result.outcome).toBe('inconclusive');
      expect(result.reason).toMatch(/the status of a job, not of the token/);
      await h.close();
    },
  );

  it('a 403 proves a dead token only on a target that says its read answers 403 to one', async () => {
    // Prepare
    const h = await harness({ refusalStatus: 403 });
    const material = await h.issue('forbidden');
    h.sim.console.revokeToken(h.tokenOf(material));
    const counting = createAutoRabitVendor({
      target: { ...h.target(), verify: { ...h.target().verify, forbiddenIsRefusal: true } },
    });
    // Act
    const unproven = await h.vendor.verify(material);
    const proven = await counting.verify(material);
    // Assess
    expect(unproven.outcome).toBe('inconclusive');
    expect(unproven.reason).toMatch(/HTTP 403, which this target does not count as a refusal/);
    expect(proven).toEqual({ outcome: 'rejected', reason: 'the token is revoked' });
    await h.close();
  });

  it('never quotes a status that echoes the token, in any case', async () => {
    // Prepare
    const h = await harness({ statusEchoesToken: true });
    const material = await h.issue('echo-status');
    const prefix = h.tokenOf(material).slice(0, 20).toLowerCase();
    // Act
    const result = await h.vendor.verify(material);
    // Assess
    expect(result.outcome).toBe('inconclusive');
    expect(result.reason?.toLowerCase()).not.toContain(prefix);
    await h.close();
  });

  it('the UI refuses an 11th live token for one user license', async () => {
    // Prepare
    const h = await harness();
    for (let i = 0; i < 10; i += 1) await h.issue('busy');
    // Act / Assess
    expect(() =>
      h.sim.console.createToken('busy', 'eleventh', new Date(Date.now() + WEEK).toISOString()),
    ).toThrow(/maximum of 10 tokens/);
    await h.close();
  });

  it('never echoes the token in an error, even when the product does', async () => {
    // Prepare
    const h = await harness();
    const material = await h.issue('echo');
    const vendor = createAutoRabitVendor({
      target: { ...h.target('/nope'), verify: { ...h.target('/nope').verify, method: 'POST' } },
    });
    // Act
    const error = await vendor.verify(material).catch((e: Error) => e);
    // Assess
    expect(error).toBeInstanceOf(FatalError);
    expect((error as Error).message).not.toContain(h.tokenOf(material));
    await h.close();
  });
});
