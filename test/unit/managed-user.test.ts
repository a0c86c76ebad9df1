/**
 * How this system recognizes and names the users it makes (lambdas/core/vendors/managed-user.ts):
 * the marker, adoption, twin names, and trusted hosts in the address-and-mask form Fortinet stores.
 */
import { describe, expect, it } from 'vitest';
import { UnmanagedUserError } from '#core/errors.ts';
import {
  adoptExistingUser,
  cidrToAddressMask,
  creatingRequestOf,
  managedUserMarker,
  managedUsersIn,
  SHARED_MARKER,
  twinsOf,
} from '#core/products/managed-user.ts';

const REQUEST = 'provision-CHG1-0123456789';

describe('twinsOf', () => {
  it('pairs a user with its .b twin', () => {
    // Act
    const twins = twinsOf('automation-bot');
    // Assess
    expect(twins).toEqual(['automation-bot', 'automation-bot.b']);
  });

  it('shortens the twin of a 35-character name to 35 characters, keeping the user itself', () => {
    // Prepare
    const longest = 'a'.repeat(35);
    // Act
    const [user, twin] = twinsOf(longest);
    // Assess
    expect(user).toBe(longest);
    expect(twin).toBe(`${'a'.repeat(33)}.b`);
    expect(twin).toHaveLength(35);
  });

  it('keeps a 33-character name whole in its twin', () => {
    // Prepare
    const name = 'b'.repeat(33);
    // Act
    const [, twin] = twinsOf(name);
    // Assess
    expect(twin).toBe(`${name}.b`);
  });
});

describe('the managed-user marker', () => {
  it('carries the creating request, before any comment', () => {
    // Act
    const bare = managedUserMarker(REQUEST);
    const commented = managedUserMarker(REQUEST, 'CI deploys');
    // Assess
    expect(bare).toBe(`managed-by=credential-provisioner request=${REQUEST}`);
    expect(commented).toBe(`managed-by=credential-provisioner request=${REQUEST} CI deploys`);
  });

  it('gives back the creating request from any text holding the marker', () => {
    // Act
    const found = creatingRequestOf(`note: ${managedUserMarker(REQUEST, 'x')} (kept)`);
    // Assess
    expect(found).toBe(REQUEST);
  });

  it.each([
    ['no marker', 'made by hand'],
    ['the shared marker alone (a profile, no request)', SHARED_MARKER],
    ['nothing', undefined],
    ['a number', 42],
  ])('finds no creating request in %s', (_, text) => {
    // Act
    const found = creatingRequestOf(text);
    // Assess
    expect(found).toBeUndefined();
  });
});

describe('adoptExistingUser', () => {
  it('recognizes a user an earlier attempt of this request created', () => {
    // Act
    const adopted = adoptExistingUser('bot', REQUEST, managedUserMarker(REQUEST));
    // Assess
    expect(adopted).toEqual({ createdByThisRequest: true });
  });

  it('adopts a user this system created for another request', () => {
    // Act
    const adopted = adoptExistingUser('bot', REQUEST, managedUserMarker('provision-OTHER-1'));
    // Assess
    expect(adopted).toEqual({ createdByThisRequest: false });
  });

  it('refuses a user someone else created, naming it', () => {
    // Act
    const refuse = () => adoptExistingUser('admin', REQUEST, 'created by the network team');
    // Assess
    expect(refuse).toThrow(UnmanagedUserError);
    expect(refuse).toThrow(/API user admin exists on the product but was not created by this system/);
  });
});

describe('managedUsersIn', () => {
  it('lists the users carrying the marker, by name and creating request', () => {
    // Prepare
    const list = [
      { name: 'bot', comments: managedUserMarker(REQUEST) },
      { name: 'admin', comments: 'by hand' },
      { name: 'bot.b', comments: managedUserMarker('rotate-x-1') },
      { comments: managedUserMarker('nameless') },
      null,
    ];
    // Act
    const managed = managedUsersIn(list, 'name', 'comments');
    // Assess
    expect(managed).toEqual([
      { name: 'bot', requestId: REQUEST },
      { name: 'bot.b', requestId: 'rotate-x-1' },
    ]);
  });

  it('reads anything that is not a list as no users', () => {
    // Act
    const managed = managedUsersIn({ results: [] }, 'name', 'comments');
    // Assess
    expect(managed).toEqual([]);
  });
});

describe('cidrToAddressMask', () => {
  it.each([
    ['10.20.100.99/32', '10.20.100.99 255.255.255.255'],
    ['10.0.0.0/24', '10.0.0.0 255.255.255.0'],
    ['172.16.0.0/12', '172.16.0.0 255.240.0.0'],
    ['192.168.1.128/25', '192.168.1.128 255.255.255.128'],
    ['10.0.0.0/8', '10.0.0.0 255.0.0.0'],
    ['128.0.0.0/1', '128.0.0.0 128.0.0.0'],
    ['0.0.0.0/0', '0.0.0.0 0.0.0.0'],
  ])('%s is %s', (cidr, addressMask) => {
    // Act
    const converted = cidrToAddressMask(cidr);
    // Assess
    expect(converted).toBe(addressMask);
  });
});
