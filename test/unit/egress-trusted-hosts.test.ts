/**
 * Issue 16, item 2: where the stack knows the addresses it calls products from (its NAT's,
 * PROVISIONER_EGRESS_ADDRESSES), every API user it creates trusts them, within the 10 trusted hosts
 * an API user has on FortiOS and FortiManager (FortiManager's `trusthost1`..`trusthost10`); a
 * request that would need more is refused in ValidateRequest, before any product call.
 */
import { describe, expect, it, vi } from 'vitest';
import { readConfig } from '#core/config.ts';
import { CURRENT, TAG } from '#core/names.ts';
import type { CredentialStore } from '#core/secrets.ts';
import type { WorkflowDeps } from '#core/workflow-deps.ts';
import { validateRequest } from '#core/workflows/provision.ts';
import { validateRotation } from '#core/workflows/rotate.ts';
import { LAB_REQUEST, mockedFortiOsVendor } from '#test/support/unit-fixtures.ts';
import { failure } from '../failure.ts';

const EGRESS = ['203.0.113.10/32', '203.0.113.11/32'];

/** The validated request of a single credential (these requests name no fleet). */
function requestOf(validated: Awaited<ReturnType<typeof validateRequest>>) {
  if (!('request' in validated)) throw new Error('expected a single credential, got a fleet');
  return validated.request;
}
const vendor = mockedFortiOsVendor();
const target = {
  vendor: 'fortios',
  baseUrl: 'https://fgt.example.net',
  adminCredential: { token: 'admin-token-0123456789' },
  tls: { fingerprint: 'AB'.repeat(32) },
};
const request = LAB_REQUEST;

function depsWith(egressAddresses: readonly string[], store: Partial<CredentialStore> = {}): WorkflowDeps {
  return {
    store: {
      loadTarget: async () => target,
      describe: async () => undefined,
      ...store,
    } as unknown as CredentialStore,
    vendorFor: () => vendor,
    events: { publish: vi.fn() },
    now: () => new Date('2026-12-01T00:00:00Z'),
    schedules: { ensure: vi.fn(), remove: vi.fn() },
    holdEnds: { ensure: vi.fn(), remove: vi.fn() },
    egressAddresses,
  } as unknown as WorkflowDeps;
}

describe('the egress addresses in every new API user', () => {
  it('are added to the trusted hosts a provision request gives, once, unless a given one covers them', async () => {
    // Act
    const out = await validateRequest(depsWith(EGRESS), {
      request: { ...request, trustedHosts: ['10.20.100.99/32', '203.0.113.0/30'] },
      executionName: 'provision-CHG1-1',
    });
    // Assess: 203.0.113.10 is outside 203.0.113.0/30 (.0-.3), so both are added.
    expect(requestOf(out).trustedHosts).toEqual([
      '10.20.100.99/32',
      '203.0.113.0/30',
      '203.0.113.10/32',
      '203.0.113.11/32',
    ]);
    const covered = await validateRequest(depsWith(EGRESS), {
      request: { ...request, trustedHosts: ['203.0.113.11/32', '203.0.113.8/29'] },
      executionName: 'provision-CHG1-2',
    });
    expect(requestOf(covered).trustedHosts).toEqual(['203.0.113.11/32', '203.0.113.8/29']);
  });

  it('refuses a request they would take over 10 trusted hosts, before any product call', async () => {
    // Prepare
    const nine = Array.from({ length: 9 }, (_, i) => `10.20.${i}.0/24`);
    // Act
    const error = await failure(
      validateRequest(depsWith(EGRESS), {
        request: { ...request, trustedHosts: nine },
        executionName: 'provision-CHG1-3',
      }),
    );
    // Assess
    expect(error.name).toBe('ValidationError');
    expect(error.message).toContain(
      "trustedHosts: 9 given and the provisioner's 2 egress addresses (203.0.113.10/32, 203.0.113.11/32) make 11, over the 10 trusted hosts an API user can have; give at most 8",
    );
    for (const call of Object.values(vendor))
      if (typeof call === 'function') expect(call).not.toHaveBeenCalled();
  });

  it('are added to the twin a rotation creates, from the user spec stored with the credential', async () => {
    // Prepare
    const store = {
      describe: async () => ({
        arn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:provisioner/fgt-lab/bot-AbCdEf',
        name: 'provisioner/fgt-lab/bot',
        tags: { [TAG.status]: 'active' },
        versions: { v1: [CURRENT] },
      }),
      readVersion: async () => ({
        apiUser: 'bot',
        userSpec: { profile: 'addr-ro', trustedHosts: ['10.20.100.99/32'], vdom: 'root' },
      }),
    } as unknown as Partial<CredentialStore>;
    // Act
    const state = await validateRotation(depsWith(EGRESS, store), {
      request: { target: 'fgt-lab', apiUser: 'bot' },
      executionName: 'rotate-1',
    });
    // Assess
    expect(state.userSpec?.trustedHosts).toEqual(['10.20.100.99/32', ...EGRESS]);
  });

  it('are read once from PROVISIONER_EGRESS_ADDRESSES; a malformed one names the variable', () => {
    expect(readConfig({}).egressAddresses()).toEqual([]);
    expect(readConfig({ PROVISIONER_EGRESS_ADDRESSES: EGRESS.join(',') }).egressAddresses()).toEqual(EGRESS);
    expect(() => readConfig({ PROVISIONER_EGRESS_ADDRESSES: '203.0.113.10' }).egressAddresses()).toThrow(
      'PROVISIONER_EGRESS_ADDRESSES holds 203.0.113.10, not an IPv4 CIDR',
    );
  });
});
