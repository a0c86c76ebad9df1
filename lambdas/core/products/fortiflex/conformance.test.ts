import { describe, expect, it } from 'vitest';
import { FatalError, RetryableError } from '#core/errors.ts';
import { createFortiFlexVendor } from '#core/products/fortiflex/adapter.ts';
import { startFortiFlexSimulator } from '#core/products/fortiflex/simulator.ts';
import type { AccessToken } from '#core/products/vendor.ts';
import { failure } from '../../../../test/failure.ts';
import { describeVendorConformance } from '../conformance.ts';

async function harness(options: Parameters<typeof startFortiFlexSimulator>[0] = {}) {
  const sim = await startFortiFlexSimulator(options);
  const target = (clientId = 'flexvm') =>
    ({ vendor: 'fortiflex', baseUrl: sim.url, clientId, tls: { caPem: sim.caPem } }) as const;
  const vendor = createFortiFlexVendor({ target: target() });
  const portalUsers = new Map<string, string>();
  const tokens = new Map<string, AccessToken>();
  /** The operator's part: the IAM user is made once, each download gives a new password. */
  const issue = async (user: string) => {
    const username = portalUsers.get(user) ?? sim.console.createApiUser();
    portalUsers.set(user, username);
    return vendor.parseCredentialFile(sim.console.downloadCredentials(username));
  };
  return {
    sim,
    target,
    vendor,
    issue,
    reissueKillsPrevious: true,
    revoke: async (user: string, material: Parameters<typeof vendor.revoke>[0]) => {
      await vendor.revoke(material, tokens.get(user));
      return { removed: sim.console.deleteApiUser(portalUsers.get(user) ?? '') };
    },
    injectFault: (pathPrefix: string, kind: '429' | '5xx') => sim.faults.inject({ pathPrefix, kind }),
    clearFaults: () => sim.faults.clear(),
    refusals: (fresh: () => string) => [
      {
        name: 'a client id FortiCloud does not know',
        act: async () => createFortiFlexVendor({ target: target('not-flexvm') }).verify(await issue(fresh())),
        error: FatalError,
        message: /client id "not-flexvm" is not valid/,
      },
      {
        name: 'a lockout (429)',
        act: async () => {
          const material = await issue(fresh());
          sim.faults.inject({ pathPrefix: '/api/v1/oauth/token/', kind: '429', times: 1 });
          return vendor.verify(material);
        },
        error: RetryableError,
        message: /transiently/,
      },
    ],
    operator: {
      malformedFiles: [
        'garbage',
        '<html><body>Sign in</body></html>',
        JSON.stringify({ username: 'B1C2D3E4-0001' }),
        'API ID: B1C2D3E4-0001\nPassword: has spaces in it\n',
        'API ID: ../../etc\nPassword: abcdefgh12345\n',
      ],
    },
    close: () => sim.close(),
  };
}

describeVendorConformance('FortiFlex', 'operator', () => harness());

describe('FortiFlex adapter specifics', () => {
  it('keeps one active token per API user: a new exchange kills the previous token', async () => {
    // Prepare
    const h = await harness();
    const material = await h.issue('one-token');
    const first = await h.vendor.verify(material);
    // Act
    const second = await h.vendor.verify(material);
    // Assess
    expect(h.sim.tokenWorks(first.accessToken?.token ?? '')).toBe(false);
    expect(h.sim.tokenWorks(second.accessToken?.token ?? '')).toBe(true);
    await h.close();
  });

  it('a new credential download kills the stored password at once', async () => {
    // Prepare
    const h = await harness();
    const old = await h.issue('reset');
    // Act
    const fresh = await h.issue('reset');
    // Assess
    expect((await h.vendor.verify(old)).outcome).toBe('rejected');
    expect((await h.vendor.verify(fresh)).outcome).toBe('accepted');
    await h.close();
  });

  it('revoke revokes the brokered token and asks for the IAM user to be deleted', async () => {
    // Prepare
    const h = await harness();
    const material = await h.issue('revoked');
    const { accessToken } = await h.vendor.verify(material);
    // Act
    const result = await h.vendor.revoke(material, accessToken);
    // Assess
    expect(h.sim.tokenWorks(accessToken?.token ?? '')).toBe(false);
    expect(result.removed).toBe(true);
    expect(result.operatorAction).toMatch(/delete IAM API user .* in the FortiCloud IAM portal/);
    await h.close();
  });

  it('takes the token lifetime from each answer, and refuses an answer without one', async () => {
    // Prepare
    const long = await harness({ expiresIn: 14_400 });
    const broken = await harness({ omitExpiresIn: true });
    // Act
    const result = await long.vendor.verify(await long.issue('lifetime'));
    const error = await failure(broken.vendor.verify(await broken.issue('lifetime')));
    // Assess
    const seconds = (Date.parse(result.accessToken?.expiresAt ?? '') - Date.now()) / 1000;
    expect(seconds).toBeGreaterThan(14_000);
    expect(error).toBeInstanceOf(FatalError);
    await Promise.all([long.close(), broken.close()]);
  });

  it('a token answer lost after FortiCloud minted it is retryable, and the retry wins', async () => {
    // Prepare
    const h = await harness();
    const material = await h.issue('lost');
    h.sim.faults.inject({ pathPrefix: '/api/v1/oauth/token/', kind: 'drop-after-commit', times: 1 });
    // Act
    const lost = await failure(h.vendor.verify(material));
    const retry = await h.vendor.verify(material);
    // Assess
    expect(lost).toBeInstanceOf(RetryableError);
    expect(h.sim.tokenWorks(retry.accessToken?.token ?? '')).toBe(true);
    await h.close();
  });
});
