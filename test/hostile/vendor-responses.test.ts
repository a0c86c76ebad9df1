/**
 * Hostile vendor responses: each adapter, against its simulator answering HTML instead of JSON, a
 * truncated body, a 2 MiB body, an error that echoes the caller's credential, or a `__proto__`
 * object. Every answer ends in a typed error or a refusal (never `accepted`, never a TypeError),
 * no error carries the credential or an admin token, and the credential still works afterwards.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ProvisionerError } from '#core/errors.ts';
import type { CredentialMaterial } from '#core/products/material.ts';
import { asApiVendor, asOperatorVendor, vendorFor } from '#core/products/registry.ts';
import type { Vendor } from '#core/products/vendor.ts';
import { HOSTILE_KINDS, type HostileKind } from '#local/simulator-kit.ts';
import { useLocalEnvironment } from '#test/support/local-environment.ts';

const { env } = useLocalEnvironment({
  targets: async (env) => {
    await env.registerTarget('fortios', 'fgt');
    await env.registerTarget('fortimanager', 'fmg');
    await env.registerTarget('fortiflex', 'flex');
    await env.registerTarget('forticnapp', 'cnapp');
    await env.registerTarget('autorabit', 'arm');
  },
});
const products: Record<string, { vendor: Vendor; material: CredentialMaterial; secrets: string[] }> = {};

async function vendorOf(target: string): Promise<Vendor> {
  return vendorFor({ target: await env.store.loadTarget(target) });
}

async function apiProduct(target: string, admin: string) {
  const api = asApiVendor(await vendorOf(target));
  await api.ensureAccessProfile({ name: 'hostile-ro', permissions: { 'fwgrp.address': 'read' } });
  await api.ensureUser({
    name: 'hostile-api',
    profile: 'hostile-ro',
    trustedHosts: ['127.0.0.1/32'],
    vdom: 'root',
    requestId: 'hostile-1',
    credential: { target, apiUser: 'hostile-api' },
  });
  const { key } = await api.issueKey('hostile-api');
  return { vendor: api, material: { key }, secrets: [key, admin] };
}

function faultsOf(target: string) {
  return {
    fgt: env.fortios.faults,
    fmg: env.fortimanager.faults,
    flex: env.fortiflex.faults,
    cnapp: env.forticnapp.faults,
    arm: env.autorabit.faults,
  }[target];
}

/** What an operation under a hostile answer ended in: a refusal, a typed error, or a defect. */
async function outcomeOf(run: () => Promise<unknown>, secrets: string[]) {
  try {
    const result = (await run()) as { outcome?: string } | undefined;
    return result?.outcome ?? 'returned';
  } catch (error) {
    expect(error, String(error)).toBeInstanceOf(ProvisionerError);
    for (const secret of secrets) expect((error as Error).message).not.toContain(secret);
    return (error as Error).name;
  }
}

describe('hostile vendor responses', () => {
  beforeAll(async () => {
    products.fgt = await apiProduct('fgt', env.fortios.adminToken);
    products.fmg = await apiProduct('fmg', env.fortimanager.adminToken);
    const flexUser = env.fortiflex.console.createApiUser();
    const flex = asOperatorVendor(await vendorOf('flex'));
    const flexMaterial = flex.parseCredentialFile(env.fortiflex.console.downloadCredentials(flexUser), {});
    products.flex = {
      vendor: flex,
      material: flexMaterial,
      secrets: [String((flexMaterial as { password: string }).password)],
    };
    env.forticnapp.console.createServiceUser('svc-hostile');
    const cnapp = asOperatorVendor(await vendorOf('cnapp'));
    const cnappMaterial = cnapp.parseCredentialFile(
      env.forticnapp.console.createApiKey('svc-hostile', 'k'),
      {},
    );
    products.cnapp = {
      vendor: cnapp,
      material: cnappMaterial,
      secrets: [String((cnappMaterial as { secret: string }).secret)],
    };
    env.autorabit.console.createUser('hostile-bot');
    const expiresAt = new Date(Date.now() + 30 * 24 * 3600 * 1000).toISOString();
    const arm = asOperatorVendor(await vendorOf('arm'));
    const armMaterial = arm.parseCredentialFile(
      env.autorabit.console.createToken('hostile-bot', 't', expiresAt),
      { expiresAt },
    );
    products.arm = {
      vendor: arm,
      material: armMaterial,
      secrets: [String((armMaterial as { token: string }).token)],
    };
  });

  const cases = ['fgt', 'fmg', 'flex', 'cnapp', 'arm'].flatMap((target) =>
    HOSTILE_KINDS.map((kind): [string, HostileKind] => [target, kind]),
  );

  it.each(cases)(
    '%s answering %s: verify never accepts, errors are typed and secret-free',
    async (target, kind) => {
      // Prepare
      const product = products[target];
      if (!product) throw new Error(`no product ${target}`);
      faultsOf(target)?.inject({ kind, times: 1 });
      // Act
      const outcome = await outcomeOf(() => product.vendor.verify(product.material), product.secrets);
      faultsOf(target)?.clear();
      // Assess
      expect(outcome).not.toBe('accepted');
      expect((await product.vendor.verify(product.material)).outcome).toBe('accepted');
    },
  );

  it.each(
    ['fgt', 'fmg'].flatMap((target) => HOSTILE_KINDS.map((kind): [string, HostileKind] => [target, kind])),
  )(
    '%s answering %s to a key request: a typed, secret-free error, and the issued key still works',
    async (target, kind) => {
      // Prepare
      const product = products[target];
      if (!product) throw new Error(`no product ${target}`);
      faultsOf(target)?.inject({ kind, times: 1 });
      // Act
      const outcome = await outcomeOf(
        () => asApiVendor(product.vendor).findManagedUser('hostile-api'),
        product.secrets,
      );
      faultsOf(target)?.clear();
      // Assess
      expect(outcome).not.toBe('returned');
      expect((await product.vendor.verify(product.material)).outcome).toBe('accepted');
    },
  );
});
