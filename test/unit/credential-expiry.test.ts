/**
 * A credential's expiry is read from its stored value (AutoRABIT ARM tokens), not from the
 * `provisioner:expires-at` tag earlier releases wrote beside it (issue 18: one Secrets Manager write
 * fewer per provision and rotation). Credentials stored by those releases keep that tag, which their
 * next rotation no longer updates: readers must not believe it.
 */
import { describe, expect, it } from 'vitest';
import { credentialsExpire, storedExpiry } from '#core/credential-expiry.ts';
import { TAG } from '#core/names.ts';
import { PRODUCTS } from '#core/products/index.ts';
import type { Vendor } from '#core/products/vendor.ts';
import type { CredentialStore } from '#core/secrets.ts';
import { type ReconcileDeps, reconcileTarget } from '#core/workflows/reconcile.ts';

const NOW = new Date('2030-01-01T00:00:00.000Z');
const inDays = (days: number) => new Date(NOW.getTime() + days * 86_400_000).toISOString();

/** An active ARM credential whose value and (earlier release's) tag name the given expiries. */
function armCredential(apiUser: string, value: string, tag: string) {
  return {
    secret: {
      arn: `arn:aws:secretsmanager:eu-west-1:000000000000:secret:provisioner/arm/${apiUser}-AbCdEf`,
      name: `provisioner/arm/${apiUser}`,
      tags: { [TAG.status]: 'active', [TAG.expiresAt]: tag },
      versions: { v1: ['AWSCURRENT'] },
    },
    value: { vendor: 'autorabit', target: 'arm', apiUser, token: 't'.repeat(32), expiresAt: value },
  };
}

function reconcileDeps(credentials: ReturnType<typeof armCredential>[]): ReconcileDeps {
  const vendor = {
    name: 'autorabit',
    capabilities: { issuance: 'operator', twinUsers: false, accessProfiles: false, tokenBroker: false },
    verify: async () => ({ outcome: 'accepted' }),
  } as unknown as Vendor;
  return {
    store: {
      loadTarget: async () => ({ vendor: 'autorabit', baseUrl: 'https://arm.example.net' }),
      listByTarget: async () => credentials.map((c) => c.secret),
      readVersion: async (arn: string) => credentials.find((c) => c.secret.arn === arn)?.value,
    } as unknown as CredentialStore,
    vendorFor: () => vendor,
    now: () => NOW,
  } as unknown as ReconcileDeps;
}

describe('credential expiry', () => {
  it("reconcile reports a token near its expiry from its value, whatever an earlier release's tag says", async () => {
    // Prepare: the tag of each is the expiry of the token before its last rotation, or a stale one.
    const deps = reconcileDeps([
      armCredential('soon', inDays(5), inDays(300)),
      armCredential('later', inDays(80), inDays(2)),
    ]);
    // Act
    const drift = await reconcileTarget(deps, { target: 'arm' });
    // Assess
    expect(drift.checked).toBe(2);
    expect(drift.expiring).toEqual([`provisioner/arm/soon: expires ${inDays(5)}`]);
  });

  it('reads a stored version only for a product whose credentials expire', async () => {
    // Prepare
    const read: string[] = [];
    const store = {
      readVersion: async (arn: string, versionId: string) => {
        read.push(`${arn} ${versionId}`);
        return armCredential('bot', inDays(90), inDays(1)).value;
      },
    } as unknown as CredentialStore;
    // Act
    const arm = await storedExpiry(store, 'autorabit', 'arn:arm', 'v1');
    const fortios = await storedExpiry(store, 'fortios', 'arn:fgt', 'v1');
    // Assess
    expect(arm).toBe(inDays(90));
    expect(fortios).toBeUndefined();
    expect(read).toEqual(['arn:arm v1']);
    expect(PRODUCTS.filter((p) => credentialsExpire(p.name)).map((p) => p.name)).toEqual(['autorabit']);
  });
});
