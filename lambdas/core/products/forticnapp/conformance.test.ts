import { describe, expect, it } from 'vitest';
import { FatalError, ValidationError } from '#core/errors.ts';
import { createFortiCnappVendor } from '#core/products/forticnapp/adapter.ts';
import { type FortiCnappErrorStyle, startFortiCnappSimulator } from '#core/products/forticnapp/simulator.ts';
import { startHttpsSimulator } from '#local/simulator-kit.ts';
import { failure } from '../../../../test/failure.ts';
import { describeVendorConformance } from '../conformance.ts';

const ERROR_STYLES: readonly FortiCnappErrorStyle[] = [
  'message',
  'data-errormsg',
  'data-message',
  'data-statusmessage',
  'text',
];

async function harness(options: Parameters<typeof startFortiCnappSimulator>[0] = {}) {
  const sim = await startFortiCnappSimulator(options);
  const target = {
    vendor: 'forticnapp',
    baseUrl: sim.url,
    tls: { caPem: sim.caPem },
    tokenExpirySeconds: 3600,
  } as const;
  const vendor = createFortiCnappVendor({ target });
  /** The operator's part: the service user once, a new key file each time. */
  const issue = async (user: string) => {
    sim.console.createServiceUser(user);
    return vendor.parseCredentialFile(sim.console.createApiKey(user, `key-of-${user}`));
  };
  return {
    sim,
    target,
    vendor,
    issue,
    reissueKillsPrevious: false,
    revoke: async (_user: string, material: Parameters<typeof vendor.revoke>[0]) => {
      const { operatorAction } = await vendor.revoke(material);
      expect(operatorAction).toMatch(/delete API key \S+ in Settings/);
      return { removed: sim.console.deleteApiKey((material as { keyId: string }).keyId) };
    },
    injectFault: (pathPrefix: string, kind: '429' | '5xx') => sim.faults.inject({ pathPrefix, kind }),
    clearFaults: () => sim.faults.clear(),
    refusals: (fresh: () => string) => [
      {
        name: 'a token lifetime the API refuses',
        act: async () => {
          const material = await issue(fresh());
          const tooLong = createFortiCnappVendor({ target: { ...target, tokenExpirySeconds: 86_401 } });
          return tooLong.verify(material);
        },
        error: FatalError,
        message: /HTTP 400: expiryTime must be/,
      },
    ],
    operator: {
      malformedFiles: [
        'garbage',
        '<html><body>Sign in</body></html>',
        JSON.stringify({ keyId: 'SIMACCOUNT_0123456789ABCDEF' }),
        JSON.stringify({ keyId: 'bad id with spaces', secret: '_0123456789abcdef0123' }),
        JSON.stringify({
          keyId: 'OTHER_0123456789ABCDEF',
          secret: '_0123456789abcdef0123',
          account: 'other.lacework.net',
        }),
      ],
    },
    close: () => sim.close(),
  };
}

describeVendorConformance('FortiCNAPP (JSON message errors, expiresAt with milliseconds)', 'operator', () =>
  harness(),
);
describeVendorConformance(
  'FortiCNAPP (data.ErrorMsg errors saying ok: true, expiresAt without milliseconds)',
  'operator',
  () => harness({ errorStyle: 'data-errormsg', expiresAtStyle: 'seconds' }),
);
describeVendorConformance('FortiCNAPP (text errors)', 'operator', () => harness({ errorStyle: 'text' }));

describe('FortiCNAPP adapter specifics', () => {
  it.each(ERROR_STYLES)(
    "reads the 403 of a relegated admin's key (%s errors) as a refusal with a reason, not an error",
    async (errorStyle) => {
      // Prepare
      const h = await harness({ errorStyle });
      const material = await h.issue('relegated');
      h.sim.console.relegate('relegated');
      // Act
      const result = await h.vendor.verify(material);
      // Assess
      expect(result.outcome).toBe('rejected');
      expect(result.reason).toMatch(
        /^FortiCNAPP refuses this key \(HTTP 403: (User not authorized\.|Unauthorized Access)\): .*admin role/,
      );
      await h.close();
    },
  );

  it.each(ERROR_STYLES)(
    'reads the error text (%s errors) in lacework/go-sdk\'s order, never the "ok": true or "SUCCESS" beside it',
    async (errorStyle) => {
      // Prepare
      const h = await harness({ errorStyle });
      const material = await h.issue('too-long');
      const tooLong = createFortiCnappVendor({
        target: { ...h.target, tokenExpirySeconds: 86_401 },
      });
      // Act
      const error = await failure(tooLong.verify(material));
      // Assess
      expect(error).toBeInstanceOf(FatalError);
      expect(error.message).toBe(
        'FortiCNAPP refused the token exchange (HTTP 400: expiryTime must be an integer between 1 and 86400)',
      );
      await h.close();
    },
  );

  it("a 403 that is none of the product's refusals (a proxy page) proves nothing: inconclusive", async () => {
    // Prepare: not the product but something in front of it
    const proxy = await startHttpsSimulator({}, () => ({
      status: 403,
      contentType: 'text/html',
      body: '<html><body>Access denied by policy</body></html>',
    }));
    const vendor = createFortiCnappVendor({
      target: {
        vendor: 'forticnapp',
        baseUrl: proxy.url,
        tls: { caPem: proxy.caPem },
        tokenExpirySeconds: 3600,
      },
    });
    // Act
    const result = await vendor.verify({
      keyId: 'SIMACCOUNT_0123456789ABCDEF',
      secret: '_0123456789abcdef0123',
    });
    // Assess
    expect(result.outcome).toBe('inconclusive');
    expect(result.reason).toMatch(
      /HTTP 403 that is none of its refusals: <html><body>Access denied by policy/,
    );
    await proxy.close();
  });

  it('the console refuses a 21st key for one user', async () => {
    // Prepare
    const h = await harness();
    for (let i = 0; i < 20; i += 1) await h.issue('busy');
    // Act / Assess
    expect(() => h.sim.console.createApiKey('busy', 'one-too-many')).toThrow(/limit of 20 API keys/);
    expect(h.sim.console.keyCount('busy')).toBe(20);
    await h.close();
  });

  it('refuses the key file of another account, naming it but not the secret', async () => {
    // Prepare
    const h = await harness();
    const file = JSON.stringify({
      keyId: 'OTHER_0123456789ABCDEF',
      secret: '_0123456789abcdef0123',
      account: 'other.lacework.net',
    });
    // Act
    let error: unknown;
    try {
      h.vendor.parseCredentialFile(file);
    } catch (thrown) {
      error = thrown;
    }
    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toMatch(/belongs to other.lacework.net/);
    expect((error as Error).message).not.toContain('_0123456789abcdef0123');
    await h.close();
  });

  it('brokers a bearer token that works at the API', async () => {
    // Prepare
    const h = await harness({ expiresAtStyle: 'seconds' });
    // Act
    const result = await h.vendor.verify(await h.issue('consumer'));
    // Assess
    expect(h.sim.tokenWorks(result.accessToken?.token ?? '')).toBe(true);
    expect(result.accessToken?.expiresAt).toMatch(/\.000Z$/);
    await h.close();
  });
});
