/**
 * The one conformance suite every product adapter passes against its simulator: key material returned once, verify telling accepted from rejected, revoke twice
 * harmless, each documented limit and refusal a typed error, faults retryable, no material in
 * errors. Products whose API creates users also prove idempotent create-if-absent and adoption;
 * products whose UI issues credentials prove that their credential file is parsed strictly.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FatalError, RetryableError, UnmanagedUserError, ValidationError } from '#core/errors.ts';
import { asApiVendor, asOperatorVendor } from '#core/products/registry.ts';
import {
  type ApiUserSpec,
  type ApiVendor,
  type CredentialMaterial,
  type OperatorVendor,
  provesRefusal,
  type Vendor,
} from '#core/products/vendor.ts';
import { failure } from '../../../test/failure.ts';

interface Refusal {
  readonly name: string;
  /** Provokes the limit or refusal; must reject. */
  readonly act: () => Promise<unknown>;
  readonly error: typeof FatalError | typeof RetryableError;
  readonly message: RegExp;
}

export interface ConformanceHarness {
  readonly vendor: Vendor;
  /**
   * A fresh credential for a product user, as the workflow obtains it: through the API, or with the
   * simulator's console playing the operator and the adapter parsing the downloaded file.
   */
  readonly issue: (user: string) => Promise<CredentialMaterial>;
  /** Whether issuing again for the same user kills the previous credential (else the two overlap). */
  readonly reissueKillsPrevious: boolean;
  /** Takes the credential away as the revoke workflow does: the adapter's revoke, then any operator step. */
  readonly revoke: (user: string, material: CredentialMaterial) => Promise<{ removed: boolean }>;
  /** Makes every call whose path starts with `pathPrefix` fail with the fault. */
  readonly injectFault: (pathPrefix: string, kind: '429' | '5xx') => void;
  readonly clearFaults: () => void;
  /** Each documented limit and refusal of the product, with the typed error it must become. */
  readonly refusals: (fresh: () => string) => readonly Refusal[];
  readonly api?: {
    readonly vendorWithBadAdmin: ApiVendor;
    readonly userExists: (name: string) => boolean;
    /** Creates a user on the product behind the system's back (an unmanaged user). */
    readonly createUnmanagedUser: (name: string) => void;
    /** The trusted host under which this process can use a key. */
    readonly callerHost: string;
    /** Products with `adminTwins`: the admin user the harness's admin token belongs to, and an adapter acting with another. */
    readonly admin?: {
      readonly user: string;
      readonly vendorWith: (credential: { token: string; user: string }) => ApiVendor;
    };
  };
  /** Operator products: a credential file the adapter must refuse, and text that must never be echoed. */
  readonly operator?: { readonly malformedFiles: readonly string[] };
  readonly close: () => Promise<void>;
}

const profile = { name: 'conformance-ro', permissions: { 'fwgrp.address': 'read' } } as const;

/** What an API product's conformance harness does to issue: create the user, then generate its key. */
export function apiIssuer(vendor: ApiVendor, callerHost: string) {
  return async (user: string): Promise<CredentialMaterial> => {
    await vendor.ensureAccessProfile(profile);
    await vendor.ensureUser(userSpec(user, callerHost));
    return vendor.issueKey(user);
  };
}

/** Each conformance user serves its own credential on one target. */
const CONFORMANCE_CREDENTIAL = (apiUser: string) => ({ target: 'conformance', apiUser });

function userSpec(user: string, host: string, requestId = 'provision-conformance-1'): ApiUserSpec {
  return {
    name: user,
    profile: profile.name,
    trustedHosts: [host],
    vdom: 'root',
    requestId,
    credential: CONFORMANCE_CREDENTIAL(user),
  };
}

function materialValues(material: CredentialMaterial): string[] {
  return Object.values(material).filter((v): v is string => typeof v === 'string' && v.length >= 8);
}

export function describeVendorConformance(
  name: string,
  issuance: 'api' | 'operator',
  setup: () => Promise<ConformanceHarness>,
): void {
  describe(`${name} adapter conformance`, () => {
    let h: ConformanceHarness;
    let counter = 0;
    const fresh = () => `conf-user-${++counter}`;

    beforeAll(async () => {
      h = await setup();
    });
    afterAll(async () => h?.close());
    beforeEach(() => h.clearFaults());

    it('issues material once: a second issue gives different material, per the product’s overlap rule', async () => {
      // Prepare
      const user = fresh();
      // Act
      const first = await h.issue(user);
      const second = await h.issue(user);
      // Assess
      expect(materialValues(second)).not.toEqual(materialValues(first));
      expect((await h.vendor.verify(second)).outcome).toBe('accepted');
      expect((await h.vendor.verify(first)).outcome).toBe(h.reissueKillsPrevious ? 'rejected' : 'accepted');
    });

    it('verifies a new credential, brokering a bearer token where the product uses them', async () => {
      // Prepare
      const material = await h.issue(fresh());
      // Act
      const result = await h.vendor.verify(material);
      // Assess
      expect(result.outcome).toBe('accepted');
      if (h.vendor.capabilities.tokenBroker) {
        expect(result.accessToken?.token.length).toBeGreaterThanOrEqual(16);
        expect(Date.parse(result.accessToken?.expiresAt ?? '')).toBeGreaterThan(Date.now());
      } else {
        expect(result.accessToken).toBeUndefined();
      }
    });

    it('revokes idempotently, and a revoked credential is refused (a proof, never inconclusive)', async () => {
      // Prepare
      const user = fresh();
      const material = await h.issue(user);
      // Act
      const first = await h.revoke(user, material);
      const second = await h.revoke(user, material);
      // Assess
      expect(first).toEqual({ removed: true });
      expect(second).toEqual({ removed: false });
      const answer = await h.vendor.verify(material);
      expect(answer.outcome).not.toBe('accepted');
      // Revocation needs this answer to be a proof of refusal: an inconclusive one never finishes it.
      expect(provesRefusal(answer), `a revoked credential answers ${answer.outcome}`).toBe(true);
    });

    it.each(['429', '5xx'] as const)('a %s from the product is a retryable error', async (kind) => {
      // Prepare
      const material = await h.issue(fresh());
      h.injectFault('/', kind);
      // Act
      const error = await failure(h.vendor.verify(material));
      // Assess
      expect(error).toBeInstanceOf(RetryableError);
    });

    it('never puts credential material into an error', async () => {
      // Prepare
      const material = await h.issue(fresh());
      h.injectFault('/', '5xx');
      // Act
      const error = await failure(h.vendor.verify(material));
      // Assess
      for (const value of materialValues(material)) expect(error.message).not.toContain(value);
    });

    it('maps each documented limit and refusal to its typed error with a clear message', async () => {
      for (const refusal of h.refusals(fresh)) {
        // Act
        const error = await failure(refusal.act());
        // Assess
        expect(error, refusal.name).toBeInstanceOf(refusal.error);
        expect(error.message, refusal.name).toMatch(refusal.message);
      }
    });

    it(`is a product whose ${issuance === 'api' ? 'API' : 'UI'} issues credentials`, () => {
      expect(h.vendor.capabilities.issuance).toBe(issuance);
      expect(issuance === 'api' ? h.api : h.operator).toBeDefined();
    });

    if (issuance === 'api')
      describe('API-issued products', () => {
        const api = () => {
          if (!h.api) throw new Error('an API product harness needs `api`');
          return { vendor: asApiVendor(h.vendor), ...h.api };
        };

        it('ensures an access profile and a user idempotently, adopting only its own users', async () => {
          const a = api();
          // Prepare
          const user = fresh();
          await a.vendor.ensureAccessProfile(profile);
          // Act
          const again = await a.vendor.ensureAccessProfile(profile);
          const first = await a.vendor.ensureUser(userSpec(user, a.callerHost));
          const retry = await a.vendor.ensureUser(userSpec(user, a.callerHost));
          const adopted = await a.vendor.ensureUser(userSpec(user, a.callerHost, 'provision-other-2'));
          // Assess
          expect(again.createdByThisRequest).toBe(false);
          expect(first.createdByThisRequest).toBe(true);
          expect(retry.createdByThisRequest).toBe(true);
          expect(adopted.createdByThisRequest).toBe(false);
          expect(await a.vendor.findManagedUser(user)).toEqual({
            name: user,
            requestId: 'provision-conformance-1',
            credential: CONFORMANCE_CREDENTIAL(user),
          });
        });

        it('lists the users it created, never one made by hand', async () => {
          const a = api();
          // Prepare
          const mine = fresh();
          const theirs = fresh();
          await a.vendor.ensureUser(userSpec(mine, a.callerHost, 'provision-listed-1'));
          a.createUnmanagedUser(theirs);
          // Act
          const listed = await a.vendor.listManagedUsers();
          // Assess
          expect(listed).toContainEqual({
            name: mine,
            requestId: 'provision-listed-1',
            credential: CONFORMANCE_CREDENTIAL(mine),
          });
          expect(listed.map((u) => u.name)).not.toContain(theirs);
        });

        it('refuses to adopt a user this system did not create', async () => {
          const a = api();
          // Prepare
          const user = fresh();
          a.createUnmanagedUser(user);
          // Act
          const error = await failure(a.vendor.ensureUser(userSpec(user, a.callerHost)));
          // Assess
          expect(error).toBeInstanceOf(UnmanagedUserError);
          expect(await a.vendor.findManagedUser(user)).toBeUndefined();
        });

        it('removes the user on revoke; a key used from outside its trusted hosts is rejected', async () => {
          const a = api();
          // Prepare
          const user = fresh();
          await a.vendor.ensureUser({ ...userSpec(user, a.callerHost), trustedHosts: ['10.20.100.99/32'] });
          // Act
          const material = await a.vendor.issueKey(user);
          const outcome = (await a.vendor.verify(material)).outcome;
          await a.vendor.revoke(user);
          // Assess
          expect(outcome).toBe('rejected');
          expect(a.userExists(user)).toBe(false);
        });

        it('proves a revoked user gone through the admin API where it offers that: accepted before, rejected after', async () => {
          const a = api();
          // Products without the admin proof prove a revocation by verifying the key (above).
          if (!a.vendor.proveRevoked) return;
          // Prepare
          const user = fresh();
          await h.issue(user);
          // Act
          const before = await a.vendor.proveRevoked(user, CONFORMANCE_CREDENTIAL(user));
          const ofAnother = await a.vendor.proveRevoked(user, CONFORMANCE_CREDENTIAL(`${user}-other`));
          await a.vendor.revoke(user);
          const after = await a.vendor.proveRevoked(user, CONFORMANCE_CREDENTIAL(user));
          // Assess
          expect([before.outcome, ofAnother.outcome, after.outcome]).toEqual([
            'accepted',
            'inconclusive',
            'rejected',
          ]);
        });

        it('rotates its own admin credential between twin admins where it offers that: the new admin works, the retired one is refused', async () => {
          const a = api();
          // Products without admin twins have their admin credential rotated by people (their README).
          if (!a.vendor.adminTwins) return expect(a.admin).toBeUndefined();
          if (!a.admin) throw new Error('a harness of a product with adminTwins needs `api.admin`');
          // Prepare: a first admin of the harness's own (its bootstrap admin stays for the other tests)
          const marker = 'credential-provisioner admin twin (conformance)';
          const first = `${fresh()}-adm`;
          await a.vendor.adminTwins.ensureAdminTwin(a.admin.user, first, marker);
          const firstAdmin = a.admin.vendorWith({ token: (await a.vendor.issueKey(first)).key, user: first });
          // Act
          const twin = `${first}.b`;
          await firstAdmin.adminTwins?.ensureAdminTwin(first, twin, marker);
          await firstAdmin.adminTwins?.ensureAdminTwin(first, twin, marker);
          const twinAdmin = a.admin.vendorWith({ token: (await firstAdmin.issueKey(twin)).key, user: twin });
          const verified = await twinAdmin.adminTwins?.verifyAdmin();
          const retired = await twinAdmin.adminTwins?.retireAdmin(first);
          const selfRetire = await failure(twinAdmin.adminTwins?.retireAdmin(twin) ?? Promise.resolve());
          const oldAdmin = await firstAdmin.adminTwins?.verifyAdmin();
          const unmanaged = fresh();
          a.createUnmanagedUser(unmanaged);
          const hijack = await failure(
            twinAdmin.adminTwins?.ensureAdminTwin(twin, unmanaged, marker) ?? Promise.resolve(),
          );
          // Assess
          expect(verified?.outcome).toBe('accepted');
          expect(retired?.outcome).toBe('rejected');
          expect(a.userExists(first)).toBe(false);
          expect(selfRetire).toBeInstanceOf(FatalError);
          expect(a.userExists(twin)).toBe(true);
          expect(oldAdmin?.outcome).toBe('rejected');
          expect(hijack).toBeInstanceOf(UnmanagedUserError);
        });

        it('refusals are fatal with a clear message: bad admin credential, unknown profile', async () => {
          const a = api();
          // Act
          const badAdmin = await failure(a.vendorWithBadAdmin.ensureUser(userSpec(fresh(), a.callerHost)));
          const badProfile = await failure(
            a.vendor.ensureUser({ ...userSpec(fresh(), a.callerHost), profile: 'no-such-profile' }),
          );
          // Assess
          expect(badAdmin).toBeInstanceOf(FatalError);
          expect(badAdmin.message).toMatch(/admin token|trusted hosts/);
          expect(badProfile).toBeInstanceOf(FatalError);
          expect(badProfile.message).toMatch(/unknown profile/);
        });
      });

    if (issuance === 'operator')
      describe('operator-issued products', () => {
        const operator = (): { vendor: OperatorVendor; malformedFiles: readonly string[] } => {
          if (!h.operator) throw new Error('an operator product harness needs `operator`');
          return { vendor: asOperatorVendor(h.vendor), ...h.operator };
        };

        it('refuses a malformed credential file with a ValidationError that does not echo it', async () => {
          const o = operator();
          for (const text of o.malformedFiles) {
            // Act
            let error: unknown;
            try {
              o.vendor.parseCredentialFile(text, {});
            } catch (thrown) {
              error = thrown;
            }
            // Assess
            expect(error).toBeInstanceOf(ValidationError);
            if (text.length >= 8) expect((error as Error).message).not.toContain(text);
          }
        });

        it.each(['provision', 'rotate'] as const)(
          'gives %s instructions that name the user, the ticket and what to submit',
          (purpose) => {
            // Prepare
            const o = operator();
            // Act
            const instructions = o.vendor.instructions(
              { apiUser: 'ci-reader', ticket: 'CHG1', serviceUser: 'svc-ci@example.com' },
              purpose,
            );
            // Assess
            expect(instructions.summary).toContain('ci-reader');
            expect(instructions.summary).toContain('CHG1');
            expect(instructions.steps.length).toBeGreaterThan(0);
            expect(instructions.expects.length).toBeGreaterThan(0);
          },
        );
      });
  });
}
