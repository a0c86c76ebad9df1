/**
 * Issue 16, item 2: `provisioner target check` calls a FortiGate with the target's admin token and
 * says plainly when the answer means the caller's address is not a trusted host of that admin. A
 * FortiGate answers a REST API admin's key presented from outside its trusted hosts as it answers a
 * wrong key, with its HTML 401 page (fortinetdev/terraform-provider-fortios#47: "401 Authorization
 * Required" is "caused by incorrect token or trust-host"; its httpsd debug reads
 * "api_access_check_for_api_key ... Peer not trusted"). Such a refusal is fatal, made once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { targetCheck } from '#cli/target-check.ts';
import { CallerRefusedError, FatalError, RETRYABLE_ERROR_NAMES } from '#core/errors.ts';
import { createFortiOsVendor } from '#core/products/fortios/adapter.ts';
import { simulatedFortiOs } from '#core/products/fortios/simulated.ts';
import { type FortiOsSimulator, startFortiOsSimulator } from '#core/products/fortios/simulator.ts';
import { vendorFor } from '#core/products/registry.ts';
import type { CredentialStore } from '#core/secrets.ts';
import { failure } from '../failure.ts';

let simulator: FortiOsSimulator | undefined;
afterEach(async () => {
  await simulator?.close();
  simulator = undefined;
});

async function checked(adminTrustedHosts?: readonly string[]) {
  simulator = await startFortiOsSimulator({ lockout: false, adminTrustedHosts });
  const target = simulatedFortiOs.target(simulator, 'ca');
  const store = { loadTarget: async () => target } as unknown as CredentialStore;
  const printed: string[] = [];
  const code = await targetCheck(store, 'fgt-prod', { out: (line) => printed.push(line) }, vendorFor);
  return { code, printed, calls: simulator.state.requestsLog.length, target };
}

describe('provisioner target check on FortiOS', () => {
  it('says the admin token works from here when the FortiGate answers', async () => {
    // Act
    const { code, printed } = await checked(['127.0.0.1/32']);
    // Assess
    expect(code).toBe(0);
    expect(printed).toEqual([
      'fgt-prod: the admin credential works from the address this command calls from (0 API users of this system on it)',
    ]);
  });

  it('says plainly that this address may not be a trusted host of the admin, after one call', async () => {
    // Act: 127.0.0.1 is outside the admin's trusted hosts.
    const { code, printed, calls } = await checked(['203.0.113.10/32']);
    // Assess
    expect(code).toBe(1);
    expect(printed.join('\n')).toContain(
      'fgt-prod refused the admin credential: the address this command calls from is not a trusted host of that admin, or the token is wrong',
    );
    expect(printed.join('\n')).toContain('EgressAddress1');
    expect(calls).toBe(1);
  });

  it('makes a workflow step fail at once on that refusal: fatal, never retried', async () => {
    // Prepare
    simulator = await startFortiOsSimulator({ lockout: false, adminTrustedHosts: ['203.0.113.10/32'] });
    const vendor = createFortiOsVendor({ target: simulatedFortiOs.target(simulator, 'ca') });
    // Act
    const error = await failure(vendor.listManagedUsers());
    // Assess
    expect(error).toBeInstanceOf(CallerRefusedError);
    expect(error).toBeInstanceOf(FatalError);
    expect(error.name).toBe('CallerRefused');
    expect(RETRYABLE_ERROR_NAMES).not.toContain(error.name);
    expect(error.message).toBe(
      "FortiOS refused listing API users (HTTP 401): the provisioner's address is not a trusted host of the target's admin, or its admin token is wrong (both get the same answer)",
    );
  });
});
