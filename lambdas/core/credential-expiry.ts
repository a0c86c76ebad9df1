/**
 * When a credential expires, for the products whose credentials do (AutoRABIT ARM tokens): the
 * `expiresAt` of its stored material, written with the token in the one PutSecretValue that stores
 * it, so no tag write is spent on it (issue 18, docs/benchmark.md "Secrets Manager writes"). Every
 * ARM credential's value has held its expiry since the product was added (the material shape
 * requires it); the `provisioner:expires-at` tag earlier releases wrote beside it is no longer read.
 */
import { materialOf, productOf, type VendorName } from './products/index.ts';
import type { CredentialMaterial } from './products/vendor.ts';
import type { CredentialStore } from './secrets.ts';

/** A product's credentials expire when its material shape carries an expiry. */
export function credentialsExpire(vendor: VendorName): boolean {
  return 'expiresAt' in productOf(vendor).material.shape;
}

/** The expiry of a credential's material (ISO 8601); undefined where the product sets none. */
export function expiryOf(material: CredentialMaterial): string | undefined {
  return 'expiresAt' in material ? material.expiresAt : undefined;
}

/**
 * The expiry of one stored version, read (GetSecretValue) only where the product's credentials
 * expire: no other product's key material is read for it.
 */
export async function storedExpiry(
  store: CredentialStore,
  vendor: VendorName,
  secretArn: string,
  versionId: string,
): Promise<string | undefined> {
  if (!credentialsExpire(vendor)) return undefined;
  return expiryOf(materialOf(vendor, await store.readVersion(secretArn, versionId)));
}
