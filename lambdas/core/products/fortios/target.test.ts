import { describe, expect, it } from 'vitest';
import { FortiOsTarget } from '#core/products/fortios/target.ts';

const base = {
  vendor: 'fortios',
  baseUrl: 'https://fgt.example.net',
  adminCredential: { token: 'a'.repeat(32) },
  tls: { fingerprint: 'AB'.repeat(32) },
} as const;
const member = (host: string) => ({ baseUrl: `https://${host}` });

describe('FortiOS target', () => {
  it('accepts vdom "global" and up to three other HA members, each with its own pinning or the target’s', () => {
    // Act
    const parsed = FortiOsTarget.safeParse({
      ...base,
      vdom: 'global',
      haMembers: [
        member('fgt-b.example.net'),
        { ...member('fgt-c.example.net'), tls: { caPem: '-----BEGIN CERTIFICATE-----' } },
      ],
    });
    // Assess
    expect(parsed.success).toBe(true);
  });

  it.each([
    ['the target’s own address', [member('fgt.example.net')], /already/],
    ['an address twice', [member('fgt-b.example.net'), member('fgt-b.example.net')], /already/],
    [
      'more members than an FGCP cluster has',
      ['b', 'c', 'd', 'e'].map((h) => member(`fgt-${h}.example.net`)),
      /3/,
    ],
  ])('refuses %s among the HA members', (_what, haMembers, message) => {
    // Act
    const parsed = FortiOsTarget.safeParse({ ...base, haMembers });
    // Assess
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.message).join('; ')).toMatch(message);
  });
});
