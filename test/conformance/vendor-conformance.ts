/**
 * The one conformance suite every product adapter passes against its simulator (DESIGN.md
 * section 4): idempotent create-if-absent / delete-if-present, key material returned once,
 * verify telling accepted from rejected, typed errors for faults and refusals, no key in errors.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FatalError, RetryableError, UnmanagedUserError } from '#core/errors.ts';
import type { ApiUserSpec, Vendor } from '#core/vendors/vendor.ts';
import { failure } from '../failure.ts';

export interface ConformanceHarness {
  readonly vendor: Vendor;
  /** An adapter for the same product whose admin credential is wrong. */
  readonly vendorWithBadAdmin: Vendor;
  readonly userExists: (name: string) => boolean;
  /** Creates a user on the product behind the system's back (an unmanaged user). */
  readonly createUnmanagedUser: (name: string) => void;
  /** Makes every call whose path starts with `pathPrefix` fail with the fault. */
  readonly injectFault: (pathPrefix: string, kind: '429' | '5xx') => void;
  readonly clearFaults: () => void;
  /** The trusted host under which this process can use a key. */
  readonly callerHost: string;
  readonly close: () => Promise<void>;
}

export function describeVendorConformance(name: string, setup: () => Promise<ConformanceHarness>): void {
  describe(`${name} adapter conformance`, () => {
    let h: ConformanceHarness;
    let counter = 0;
    const profile = { name: 'conformance-ro', permissions: { 'fwgrp.address': 'read' } } as const;
    const spec = (user: string, requestId = 'provision-conformance-1'): ApiUserSpec => ({
      name: user,
      profile: profile.name,
      trustedHosts: [h.callerHost],
      vdom: 'root',
      requestId,
    });
    const fresh = () => `conf-user-${++counter}`;

    beforeAll(async () => {
      h = await setup();
      await h.vendor.ensureAccessProfile(profile);
    });
    afterAll(async () => h?.close());
    beforeEach(() => h.clearFaults());

    it('ensures an access profile and a user idempotently', async () => {
      // Prepare
      const user = fresh();
      // Act
      const again = await h.vendor.ensureAccessProfile(profile);
      const first = await h.vendor.ensureUser(spec(user));
      const retry = await h.vendor.ensureUser(spec(user));
      const adopted = await h.vendor.ensureUser(spec(user, 'provision-other-2'));
      // Assess
      expect(again.createdByThisRequest).toBe(false);
      expect(first.createdByThisRequest).toBe(true);
      expect(retry.createdByThisRequest).toBe(true);
      expect(adopted.createdByThisRequest).toBe(false);
      expect(await h.vendor.findManagedUser(user)).toEqual({
        name: user,
        requestId: 'provision-conformance-1',
      });
    });

    it('refuses to adopt a user this system did not create', async () => {
      // Prepare
      const user = fresh();
      h.createUnmanagedUser(user);
      // Act
      const error = await failure(h.vendor.ensureUser(spec(user)));
      // Assess
      expect(error).toBeInstanceOf(UnmanagedUserError);
      expect(await h.vendor.findManagedUser(user)).toBeUndefined();
    });

    it('issues key material once; a new key kills the old one', async () => {
      // Prepare
      const user = fresh();
      await h.vendor.ensureUser(spec(user));
      // Act
      const { key: first } = await h.vendor.issueKey(user);
      const { key: second } = await h.vendor.issueKey(user);
      // Assess
      expect(first).not.toBe(second);
      expect(await h.vendor.verify(first)).toBe('rejected');
      expect(await h.vendor.verify(second)).toBe('accepted');
    });

    it('revokes idempotently, and a revoked credential is rejected', async () => {
      // Prepare
      const user = fresh();
      await h.vendor.ensureUser(spec(user));
      const { key } = await h.vendor.issueKey(user);
      // Act
      const first = await h.vendor.revoke(user);
      const second = await h.vendor.revoke(user);
      // Assess
      expect(first).toEqual({ removed: true });
      expect(second).toEqual({ removed: false });
      expect(h.userExists(user)).toBe(false);
      expect(await h.vendor.verify(key)).toBe('rejected');
    });

    it('a key used from outside its trusted hosts is rejected', async () => {
      // Prepare
      const user = fresh();
      await h.vendor.ensureUser({ ...spec(user), trustedHosts: ['10.20.100.99/32'] });
      // Act
      const { key } = await h.vendor.issueKey(user);
      // Assess
      expect(await h.vendor.verify(key)).toBe('rejected');
    });

    it.each(['429', '5xx'] as const)('a %s from the product is a retryable error', async (kind) => {
      // Prepare
      h.injectFault('/', kind);
      // Act
      const error = await failure(h.vendor.ensureUser(spec(fresh())));
      // Assess
      expect(error).toBeInstanceOf(RetryableError);
    });

    it('refusals are fatal with a clear message: bad admin credential, unknown profile', async () => {
      // Act
      const badAdmin = await failure(h.vendorWithBadAdmin.ensureUser(spec(fresh())));
      const badProfile = await failure(h.vendor.ensureUser({ ...spec(fresh()), profile: 'no-such-profile' }));
      // Assess
      expect(badAdmin).toBeInstanceOf(FatalError);
      expect(badAdmin.message).toMatch(/admin token|trusted hosts/);
      expect(badProfile).toBeInstanceOf(FatalError);
      expect(badProfile.message).toMatch(/unknown profile/);
    });

    it('never puts key material into an error', async () => {
      // Prepare
      const user = fresh();
      await h.vendor.ensureUser(spec(user));
      const { key } = await h.vendor.issueKey(user);
      h.injectFault('/', '5xx');
      // Act
      const error = await failure(h.vendor.verify(key));
      // Assess
      expect(error.message).not.toContain(key);
    });
  });
}
