/**
 * How this system recognizes and names the users it makes (lambdas/core/vendors/managed-user.ts):
 * the marker, adoption, twin names, and trusted hosts in the address-and-mask form Fortinet stores.
 */
import { describe, expect, it } from 'vitest';
import { ConflictError, UnmanagedUserError } from '#core/errors.ts';
import {
  adoptExistingUser,
  cidrToAddressMask,
  creatingRequestOf,
  managedUserMarker,
  managedUsersIn,
  markerOf,
  SHARED_MARKER,
  servesCredential,
  twinNameIssues,
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

const CREDENTIAL = { target: 'fgt-lab', apiUser: 'bot' };
const mine = (requestId = REQUEST) => ({ requestId, credential: CREDENTIAL });

describe('the managed-user marker', () => {
  it('carries the creating request and the credential (target and API user), before any comment', () => {
    // Act
    const bare = managedUserMarker(mine());
    const commented = managedUserMarker(mine(), 'CI deploys');
    // Assess
    expect(bare).toBe(`managed-by=credential-provisioner request=${REQUEST} target=fgt-lab credential=bot`);
    expect(commented).toBe(`${bare} CI deploys`);
  });

  it('gives back the creating request and the credential from any text holding the marker', () => {
    // Act
    const text = `note: ${managedUserMarker(mine(), 'x')} (kept)`;
    // Assess
    expect(creatingRequestOf(text)).toBe(REQUEST);
    expect(markerOf(text)).toEqual({ requestId: REQUEST, credential: CREDENTIAL });
  });

  it('reads a marker written before markers named a credential as naming none', () => {
    // Act
    const legacy = markerOf(`managed-by=credential-provisioner request=${REQUEST} CI deploys`);
    // Assess
    expect(legacy).toEqual({ requestId: REQUEST });
    expect(servesCredential(legacy, CREDENTIAL)).toBe(false);
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
    const adopted = adoptExistingUser('bot', mine(), managedUserMarker(mine()));
    // Assess
    expect(adopted).toEqual({ createdByThisRequest: true });
  });

  it('adopts a user this system created for this credential in another request', () => {
    // Act
    const adopted = adoptExistingUser('bot', mine(), managedUserMarker(mine('provision-OTHER-1')));
    // Assess
    expect(adopted).toEqual({ createdByThisRequest: false });
  });

  it.each([
    [
      'another credential of the target (its own user, named like this twin)',
      { target: 'fgt-lab', apiUser: 'bot.b' },
    ],
    ['the same name on another target of the device', { target: 'fgt-dmz', apiUser: 'bot' }],
  ])('refuses a user this system created for %s', (_, credential) => {
    // Act
    const refuse = () =>
      adoptExistingUser('bot.b', mine(), managedUserMarker({ requestId: 'provision-OTHER-1', credential }));
    // Assess
    expect(refuse).toThrow(ConflictError);
    expect(refuse).toThrow(
      `for credential ${credential.apiUser} of target ${credential.target}, not for bot of target fgt-lab`,
    );
  });

  it('refuses a user whose marker names no credential (marked before markers named one)', () => {
    // Act
    const refuse = () =>
      adoptExistingUser('bot', mine(), `managed-by=credential-provisioner request=provision-OTHER-1`);
    // Assess
    expect(refuse).toThrow(ConflictError);
  });

  it('refuses a user someone else created, naming it', () => {
    // Act
    const refuse = () => adoptExistingUser('admin', mine(), 'created by the network team');
    // Assess
    expect(refuse).toThrow(UnmanagedUserError);
    expect(refuse).toThrow(/API user admin exists on the product but was not created by this system/);
  });
});

describe('twinNameIssues', () => {
  it.each([
    [
      'a name ending in .b (the twin of another name)',
      'svc.b',
      /ends in "\.b", the form of a twin user \(the twin of svc\)/,
    ],
    [
      'a 34-character name (its twin would be cut to share 33 characters)',
      'a'.repeat(34),
      /34 characters; at most 33/,
    ],
    ['a 35-character name', 'a'.repeat(35), /35 characters; at most 33/],
  ])('refuses %s', (_, name, message) => {
    // Act
    const issues = twinNameIssues(name);
    // Assess
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(message);
  });

  it.each(['svc', 'ops.bot', 'svc.b2', 'b'.repeat(33)])(
    'accepts %s, whose twin no other name has',
    (name) => {
      // Act
      const issues = twinNameIssues(name);
      // Assess
      expect(issues).toEqual([]);
    },
  );
});

describe('managedUsersIn', () => {
  it('lists the users carrying the marker, by name, creating request and credential', () => {
    // Prepare
    const list = [
      { name: 'bot', comments: managedUserMarker(mine()) },
      { name: 'admin', comments: 'by hand' },
      { name: 'bot.b', comments: managedUserMarker(mine('rotate-x-1')) },
      { comments: managedUserMarker(mine('nameless')) },
      null,
    ];
    // Act
    const managed = managedUsersIn(list, 'name', 'comments');
    // Assess
    expect(managed).toEqual([
      { name: 'bot', requestId: REQUEST, credential: CREDENTIAL },
      { name: 'bot.b', requestId: 'rotate-x-1', credential: CREDENTIAL },
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
