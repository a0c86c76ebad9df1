/** What the unit tests of handlers and requests share: a provision request, a mocked FortiOS adapter. */
import { vi } from 'vitest';
import type { Vendor } from '#core/products/vendor.ts';

/** A provision request on target fgt-lab: a read-only key on addresses for bot, trusted from one address. */
export const LAB_REQUEST = {
  target: 'fgt-lab',
  apiUser: 'bot',
  owner: 'alice@example.com',
  ticket: 'CHG1',
  accessProfile: { name: 'addr-ro', permissions: { 'fwgrp.address': 'read' } },
  trustedHosts: ['10.20.100.99/32'],
};

/** A FortiOS adapter (API issuance, twin users) whose every call is a mock. */
export function mockedFortiOsVendor() {
  return {
    name: 'fortios',
    capabilities: { issuance: 'api', accessProfiles: true, twinUsers: true, tokenBroker: false },
    ensureAccessProfile: vi.fn(),
    ensureUser: vi.fn(),
    findManagedUser: vi.fn(),
    listManagedUsers: vi.fn(),
    issueKey: vi.fn(),
    verify: vi.fn(),
    revoke: vi.fn(),
  } satisfies Vendor;
}
