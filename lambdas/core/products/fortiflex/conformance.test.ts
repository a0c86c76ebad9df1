import { describe, expect, it } from 'vitest';
import { FatalError, RetryableError } from '#core/errors.ts';
import { createFortiFlexVendor } from '#core/products/fortiflex/adapter.ts';
import { startFortiFlexSimulator } from '#core/products/fortiflex/simulator.ts';
import { FortiFlexTarget } from '#core/products/fortiflex/target.ts';
import type { AccessToken } from '#core/products/vendor.ts';
import { failure } from '../../../../test/failure.ts';
import { describeVendorConformance } from '../conformance.ts';

async function harness(options: Parameters<typeof startFortiFlexSimulator>[0] = {}) {
  const sim = await startFortiFlexSimulator(options);
  /** A target with any client id, even one the schema refuses, as FortiCloud would receive it. */
  const target = (clientId = 'flexvm') =>
    ({ vendor: 'fortiflex', baseUrl: sim.url, clientId, tls: { caPem: sim.caPem } }) as FortiFlexTarget;
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
        name: 'a client id FortiCloud does not know (refused with 401 invalid_client)',
        act: async () => createFortiFlexVendor({ target: target('FlexVM') }).verify(await issue(fresh())),
        error: FatalError,
        message: /does not know client id "FlexVM"/,
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

  it('takes the token lifetime from each answer', async () => {
    // Prepare
    const long = await harness({ expiresIn: 14_400 });
    // Act
    const result = await long.vendor.verify(await long.issue('lifetime'));
    // Assess
    const seconds = (Date.parse(result.accessToken?.expiresAt ?? '') - Date.now()) / 1000;
    expect(seconds).toBeGreaterThan(14_000);
    await long.close();
  });

  it.each(['access_token', 'expires_in'] as const)(
    'a 200 without %s is an error, never a success',
    async (omit) => {
      // Prepare
      const h = await harness({ omit });
      // Act
      const error = await failure(h.vendor.verify(await h.issue('malformed')));
      // Assess
      expect(error).toBeInstanceOf(FatalError);
      expect(error.message).toMatch(/without access_token and expires_in/);
      await h.close();
    },
  );

  it('refuses an unknown API user (400 invalid_grant) and a wrong password (401) as rejected results', async () => {
    // Prepare
    const h = await harness();
    const replaced = await h.issue('refused');
    await h.issue('refused');
    const deleted = await h.issue('deleted');
    h.sim.console.deleteApiUser((deleted as { username: string }).username);
    // Act
    const wrongPassword = await h.vendor.verify(replaced);
    const unknownUser = await h.vendor.verify(deleted);
    // Assess
    expect(wrongPassword).toEqual({
      outcome: 'rejected',
      reason: 'FortiCloud refused the password (HTTP 401)',
    });
    expect(unknownUser).toEqual({
      outcome: 'rejected',
      reason: 'FortiCloud does not know this API user and password (HTTP 400 invalid_grant)',
    });
    await h.close();
  });

  it('uses a documented client id of another product, as documented (FortiManager)', async () => {
    // Prepare
    const h = await harness();
    const vendor = createFortiFlexVendor({ target: h.target('FortiManager') });
    // Act
    const result = await vendor.verify(await h.issue('fmg-cloud'));
    // Assess
    expect(result.outcome).toBe('accepted');
    await h.close();
  });

  it('a target accepts the documented client ids exactly, in their case', () => {
    // Prepare
    const withClient = (clientId: string) => FortiFlexTarget.safeParse({ vendor: 'fortiflex', clientId });
    // Act / Assess
    for (const documented of ['flexvm', 'FortiManager', 'FortiAnalyzer', 'fortilancloud', 'assetmanagement'])
      expect(withClient(documented).success, documented).toBe(true);
    for (const undocumented of ['FlexVM', 'fortimanager', 'FORTIANALYZER', 'not-a-product'])
      expect(withClient(undocumented).success, undocumented).toBe(false);
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
