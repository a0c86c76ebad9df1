import { describe, expect, it } from 'vitest';
import { FatalError } from '#core/errors.ts';
import { createAutoRabitVendor } from '#core/products/autorabit/adapter.ts';
import { startAutoRabitSimulator } from '#core/products/autorabit/simulator.ts';
import { describeVendorConformance } from '../conformance.ts';

const WEEK = 7 * 24 * 3600 * 1000;

async function harness(options: Parameters<typeof startAutoRabitSimulator>[0] = {}) {
  let clock = Date.now();
  const sim = await startAutoRabitSimulator({ ...options, now: () => clock });
  const target = (path = sim.verifyPath) =>
    ({
      vendor: 'autorabit',
      baseUrl: sim.url,
      tls: { caPem: sim.caPem },
      verify: { method: 'GET', path },
    }) as const;
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

describeVendorConformance('AutoRABIT ARM (HTTP 401 failures)', 'operator', () => harness());
describeVendorConformance('AutoRABIT ARM (HTTP 200 with status FAILED)', 'operator', () =>
  harness({ failureStyle: 'http-200-failed' }),
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
    const h = await harness({ failureStyle: 'http-200-failed' });
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
      target: {
        vendor: 'autorabit',
        baseUrl: h.sim.url,
        tls: { caPem: h.sim.caPem },
        verify: { method: 'POST', path: '/nope' },
      },
    });
    // Act
    const error = await vendor.verify(material).catch((e: Error) => e);
    // Assess
    expect(error).toBeInstanceOf(FatalError);
    expect((error as Error).message).not.toContain(h.tokenOf(material));
    await h.close();
  });
});
