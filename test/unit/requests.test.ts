/**
 * Request parsing (lambdas/core/requests.ts): trusted hosts normalized from CIDR or address and mask,
 * size limits before parsing, and zod issues turned into one specific ValidationError.
 */

import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { ValidationError } from '#core/errors.ts';
import { parseProvisionRequest, TargetDefinition } from '#core/requests.ts';
import {
  assertWithinSize,
  MAX_REQUEST_BYTES,
  OwnerId,
  OwnerRef,
  ownerKind,
  parseInput,
  TrustedHost,
} from '#core/schemas.ts';
import { LAB_REQUEST } from '#test/support/unit-fixtures.ts';

/** The error a call throws; fails the test when it returns instead. */
function thrown(call: () => unknown): Error {
  try {
    call();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure, but the call returned');
}

const request = LAB_REQUEST;

describe('TrustedHost', () => {
  it.each([
    ['10.20.100.99/32', '10.20.100.99/32'],
    [' 10.0.0.0/24 ', '10.0.0.0/24'],
    ['10.0.0.0 255.255.255.0', '10.0.0.0/24'],
    ['10.20.100.99 255.255.255.255', '10.20.100.99/32'],
    ['172.16.0.0  255.240.0.0', '172.16.0.0/12'],
    ['10.0.0.0 255.0.0.0', '10.0.0.0/8'],
  ])('reads %j as %s', (input, cidr) => {
    // Act
    const parsed = TrustedHost.parse(input);
    // Assess
    expect(parsed).toBe(cidr);
  });

  it.each([
    ['a mask with a hole', '10.0.0.0 255.0.255.0'],
    ['an octet over 255', '10.0.0.256/32'],
    ['a prefix over 32', '10.0.0.0/33'],
    ['a mask that is no address', '10.0.0.0 255.255.255.256'],
    ['IPv6', '2001:db8::/32'],
    ['a host name', 'fgt.example.net/32'],
    ['no prefix', '10.0.0.1'],
  ])('refuses %s', (_, input) => {
    // Act
    const parsed = TrustedHost.safeParse(input);
    // Assess
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toBe(`"${input}" is not an IPv4 CIDR or address and mask`);
  });

  it.each(['0.0.0.0/0', '10.0.0.0/0', '0.0.0.0 0.0.0.0'])('refuses %s as any address', (input) => {
    // Act
    const parsed = TrustedHost.safeParse(input);
    // Assess
    expect(parsed.error?.issues[0]?.message).toBe('a trusted host of any address (0.0.0.0/0) is not allowed');
  });

  it.each([
    ['0.0.0.0/1', 1],
    ['128.0.0.0 128.0.0.0', 1],
    ['10.0.0.0/7', 7],
    ['10.0.0.0 254.0.0.0', 7],
  ])('refuses %s as broader than the /8 floor', (input, prefix) => {
    // Act
    const parsed = TrustedHost.safeParse(input);
    // Assess
    expect(parsed.error?.issues[0]?.message).toBe(
      `"${input}" is a /${prefix} (${2 ** (32 - prefix)} addresses): a trusted host may be no broader than /8 (16777216 addresses)`,
    );
  });

  it('refuses text over 40 characters before reading it', () => {
    // Act
    const parsed = TrustedHost.safeParse(`10.0.0.0/24${' '.repeat(40)}`);
    // Assess
    expect(parsed.success).toBe(false);
  });
});

describe('OwnerId', () => {
  it.each([
    ['alice@example.com', 'alice@example.com'],
    ['Alice@Example.com', 'alice@example.com'],
    ['  ALICE@EXAMPLE.COM\t', 'alice@example.com'],
    ['00u1AbC', '00u1abc'],
  ])('reads %j as the canonical %s', (input, canonical) => {
    // Act
    const owner = parseInput(OwnerId, input, 'owner');
    // Assess
    expect(owner).toBe(canonical);
  });

  it('gives a provision request the canonical owner', () => {
    // Act
    const parsed = parseProvisionRequest({ ...request, owner: ' Alice@Example.COM ' });
    // Assess
    expect(parsed.owner).toBe('alice@example.com');
  });
});

describe('OwnerRef (a person or a team)', () => {
  it.each([
    ['Alice@Example.com', 'alice@example.com', 'person'],
    ['team:00g1emaKYZTWRYYRRTSK', 'team:00g1emaKYZTWRYYRRTSK', 'team'],
    [' Team:00gAbC ', 'team:00gAbC', 'team'],
  ])('reads %j as the canonical %s, a %s', (input, canonical, kind) => {
    // Act
    const owner = parseInput(OwnerRef, input, 'owner');
    // Assess
    expect(owner).toBe(canonical);
    expect(ownerKind(owner)).toBe(kind);
  });

  it.each([
    ['team:', /a team owner is "team:" and a directory group id/],
    ['team:00g;id', /a team owner is "team:" and a directory group id/],
    ['group:00g1', /or "team:<group id>"/],
  ])('refuses %j with a specific message', (input, message) => {
    // Act
    const error = thrown(() => parseInput(OwnerRef, input, 'owner'));
    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.join('; ')).toMatch(message);
  });

  it('reads an owner tag written before teams existed as a person', () => {
    // Act, Assess
    expect(ownerKind('bob@example.com')).toBe('person');
  });
});

describe('parseProvisionRequest', () => {
  it('normalizes the trusted hosts and leaves an omitted vdom to the target (resolved at validation)', () => {
    // Act
    const parsed = parseProvisionRequest({ ...request, trustedHosts: ['10.0.0.0 255.255.255.0'] });
    // Assess
    expect(parsed).toEqual({ ...request, trustedHosts: ['10.0.0.0/24'] });
  });

  it.each([
    ['two /8s', ['10.0.0.0/8', '11.0.0.0/8']],
    ['ten /8s', Array.from({ length: 10 }, (_, i) => `${i + 1}.0.0.0/8`)],
    ['a /8 and one more host', ['10.0.0.0/8', '192.168.1.1/32']],
  ])('refuses %s: the trusted hosts together may cover one /8 at most', (_, trustedHosts) => {
    // Act
    const error = thrown(() => parseProvisionRequest({ ...request, trustedHosts }));
    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toMatch(
      /trustedHosts: the trusted hosts together cover \d+ addresses, over the 16777216 \(one \/8\) a request may open/,
    );
  });

  it('refuses all of IPv4 as two halves by the floor of each', () => {
    // Act
    const error = thrown(() =>
      parseProvisionRequest({ ...request, trustedHosts: ['0.0.0.0/1', '128.0.0.0 128.0.0.0'] }),
    );
    // Assess
    expect(error.message).toMatch(/trustedHosts\.0: "0\.0\.0\.0\/1" is a \/1 /);
    expect(error.message).toMatch(/trustedHosts\.1: "128\.0\.0\.0 128\.0\.0\.0" is a \/1 /);
  });

  it('counts exactly: two /9 halves are one /8, one more host is over', () => {
    // Prepare
    const halves = ['10.0.0.0/9', '10.128.0.0/9'];
    // Act
    const parsed = parseProvisionRequest({ ...request, trustedHosts: halves });
    const error = thrown(() =>
      parseProvisionRequest({ ...request, trustedHosts: [...halves, '11.0.0.0/32'] }),
    );
    // Assess
    expect(parsed.trustedHosts).toEqual(halves);
    expect(error.message).toMatch(/cover 16777217 addresses, over the 16777216/);
  });

  it('counts overlapping trusted hosts once', () => {
    // Prepare: a /8 with /16 and /32 ranges inside it, and a duplicate of the /8 given as a mask
    const trustedHosts = ['10.0.0.0/8', '10.1.0.0/16', '10.1.2.3/32', '10.0.0.0 255.0.0.0'];
    // Act
    const parsed = parseProvisionRequest({ ...request, trustedHosts });
    // Assess
    expect(parsed.trustedHosts).toEqual(['10.0.0.0/8', '10.1.0.0/16', '10.1.2.3/32', '10.0.0.0/8']);
  });

  it('counts a host given with host bits as the network it names', () => {
    // Prepare: 10.200.0.0/8 is 10.0.0.0/8, already covered
    const trustedHosts = ['10.0.0.0/8', '10.200.0.0/8'];
    // Act
    const parsed = parseProvisionRequest({ ...request, trustedHosts });
    // Assess
    expect(parsed.trustedHosts).toHaveLength(2);
  });

  it('refuses a request over the size limit before parsing it', () => {
    // Prepare
    const big = { ...request, comment: 'x'.repeat(MAX_REQUEST_BYTES) };
    // Act
    const error = thrown(() => parseProvisionRequest(big));
    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toMatch(/^provision request is \d+ bytes, over the 16384-byte limit$/);
  });

  it('names every issue with its path', () => {
    // Act
    const error = thrown(() =>
      parseProvisionRequest({ ...request, apiUser: 'a;b', trustedHosts: [], extra: 1 }),
    );
    // Assess
    expect(error.name).toBe('ValidationError');
    expect(error.message).toMatch(/^invalid provision request: /);
    expect(error.message).toMatch(/apiUser: must be 1-35 characters/);
    expect(error.message).toMatch(/trustedHosts: at least one trusted host is required/);
    expect(error.message).toMatch(/Unrecognized key/);
  });
});

describe('parseInput', () => {
  it('returns the parsed value', () => {
    // Act
    const parsed = parseInput(z.object({ n: z.coerce.number() }), { n: '3' }, 'thing');
    // Assess
    expect(parsed).toEqual({ n: 3 });
  });

  it('names an issue at the root as (root), and keeps the issues apart', () => {
    // Act
    const error = thrown(() => parseInput(z.string(), 42, 'name')) as ValidationError;
    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toMatch(/^invalid name: \(root\): /);
    expect(error.issues).toHaveLength(1);
  });
});

describe('assertWithinSize', () => {
  it('measures text in bytes, not characters', () => {
    // Prepare: 4 characters, 12 bytes in UTF-8
    const text = '€€€€';
    // Act
    const within = () => assertWithinSize(text, 'text', 12);
    const over = () => assertWithinSize(text, 'text', 11);
    // Assess
    expect(within).not.toThrow();
    expect(over).toThrow('text is 12 bytes, over the 11-byte limit');
  });

  it('measures an object as its JSON, and nothing as null', () => {
    // Act
    const object = () => assertWithinSize({ a: 1 }, 'object', 6);
    const nothing = () => assertWithinSize(undefined, 'nothing', 3);
    // Assess
    expect(object).toThrow('object is 7 bytes, over the 6-byte limit');
    expect(nothing).toThrow('nothing is 4 bytes, over the 3-byte limit');
  });
});

describe('TargetDefinition', () => {
  it('normalizes a fingerprint to upper-case hex without colons', () => {
    // Act
    const target = TargetDefinition.parse({
      vendor: 'fortios',
      baseUrl: 'https://fgt.example.net/',
      adminCredential: { token: 'admin-token-0123456789' },
      tls: { fingerprint: Array.from({ length: 32 }, () => 'ab').join(':') },
    });
    // Assess
    expect(target.tls).toEqual({ fingerprint: 'AB'.repeat(32) });
  });

  it.each([
    ['plain http', 'http://fgt.example.net/', /must be an https:\/\/ URL/],
    ['a path', 'https://fgt.example.net/api', /must be scheme, host and port only/],
    ['user info', 'https://admin:pw@fgt.example.net/', /must be scheme, host and port only/],
  ])('refuses a base URL with %s', (_, baseUrl, message) => {
    // Act
    const parsed = TargetDefinition.safeParse({
      vendor: 'fortios',
      baseUrl,
      adminCredential: { token: 'admin-token-0123456789' },
      tls: { fingerprint: 'AB'.repeat(32) },
    });
    // Assess
    expect(parsed.error?.issues.map((i) => i.message).join('; ')).toMatch(message);
  });

  it('fills the FortiFlex defaults: the FortiCloud OAuth host and the flexvm client', () => {
    // Act
    const target = TargetDefinition.parse({ vendor: 'fortiflex' });
    // Assess
    expect(target).toEqual({
      vendor: 'fortiflex',
      baseUrl: 'https://customerapiauth.fortinet.com/',
      clientId: 'flexvm',
    });
  });
});
