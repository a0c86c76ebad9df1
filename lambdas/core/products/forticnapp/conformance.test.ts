import { describe, expect, it } from 'vitest';
import { FatalError, ValidationError } from '#core/errors.ts';
import { createFortiCnappVendor } from '#core/products/forticnapp/adapter.ts';
import { startFortiCnappSimulator } from '#core/products/forticnapp/simulator.ts';
import { describeVendorConformance } from '../conformance.ts';

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

describeVendorConformance('FortiCNAPP (JSON errors, expiresAt with milliseconds)', 'operator', () =>
  harness(),
);
describeVendorConformance(
  'FortiCNAPP (text and capitalised errors, expiresAt without milliseconds)',
  'operator',
  () => harness({ errorStyle: 'text', expiresAtStyle: 'seconds' }),
);

describe('FortiCNAPP adapter specifics', () => {
  it('reports the key of a relegated admin as broken, neither accepted nor merely rejected', async () => {
    // Prepare
    const h = await harness({ errorStyle: 'capitalised' });
    const material = await h.issue('relegated');
    h.sim.console.relegate('relegated');
    // Act
    const result = await h.vendor.verify(material);
    // Assess
    expect(result.outcome).toBe('broken');
    expect(result.reason).toMatch(/admin role/);
    await h.close();
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
