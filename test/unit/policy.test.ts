/**
 * The per-target access policy's rules on their own (lambdas/core/products/policy.ts): the
 * read-only defaults, ceilings per group and sub-permission, and the product schemas that take
 * only their own rules.
 */
import { describe, expect, it } from 'vitest';
import { FortiCnappTarget } from '#core/products/forticnapp/target.ts';
import { type AccessPolicy, policyIssues } from '#core/products/policy.ts';
import type { ProvisionRequest } from '#core/requests.ts';

const request = (permissions: Record<string, 'none' | 'read' | 'read-write'>): ProvisionRequest => ({
  target: 'fgt',
  apiUser: 'bot',
  owner: 'ann@example.com',
  ticket: 'T-1',
  accessProfile: { name: 'p', permissions },
  trustedHosts: ['10.0.0.0/24'],
});

describe('policyIssues', () => {
  it('allows read and refuses any write when the target has no policy (the read-only default)', () => {
    // Act
    const read = policyIssues(undefined, request({ 'fwgrp.address': 'read', sysgrp: 'read' }));
    const write = policyIssues(undefined, request({ 'fwgrp.address': 'read-write' }));
    // Assess
    expect(read).toEqual([]);
    expect(write).toEqual([
      "accessProfile.permissions.fwgrp.address: read-write is beyond the target policy's ceiling (read)",
    ]);
  });

  it("lets a sub-permission's own ceiling win over its group's and over maxPermission", () => {
    // Prepare
    const policy = {
      maxPermission: 'read',
      permissions: { fwgrp: 'none', 'fwgrp.address': 'read-write' },
    } as const;
    // Act
    const address = policyIssues(policy, request({ 'fwgrp.address': 'read-write' }));
    const service = policyIssues(policy, request({ 'fwgrp.service': 'read' }));
    // Assess
    expect(address).toEqual([]);
    expect(service).toEqual([
      "accessProfile.permissions.fwgrp.service: read is beyond the target policy's ceiling (none)",
    ]);
  });

  it('reports every rule broken, one issue each', () => {
    // Prepare
    const policy: AccessPolicy = {
      accessProfiles: ['ro'],
      minTrustedHostPrefix: 28,
      ticketSources: ['jira'],
    };
    // Act
    const issues = policyIssues(policy, request({ sysgrp: 'read-write' }));
    // Assess
    expect(issues).toHaveLength(4);
  });
});

describe('product policy schemas', () => {
  it('take only the rules of their product', () => {
    // Prepare
    const target = { vendor: 'forticnapp', baseUrl: 'https://acme.lacework.net/' };
    // Act
    const own = FortiCnappTarget.safeParse({ ...target, policy: { serviceUsers: ['svc'] } });
    const foreign = FortiCnappTarget.safeParse({ ...target, policy: { maxPermission: 'read-write' } });
    // Assess
    expect(own.success).toBe(true);
    expect(foreign.success).toBe(false);
  });
});

describe('ownership rules (teamOwners, requestedBy, shared)', () => {
  const team = 'team:00g1TEAM';
  const asked = (fields: Partial<ProvisionRequest>): ProvisionRequest => ({ ...request({}), ...fields });

  it.each([
    [
      'a team owner on a target whose policy names no teamOwners',
      {},
      { owner: team, requestedBy: 'ann@example.com' },
      "owner: team:00g1TEAM may not own credentials on this target (the target policy's teamOwners: none)",
    ],
    [
      'a team owner the policy does not name',
      { teamOwners: ['00g2OTHER'] },
      { owner: team, requestedBy: 'ann@example.com' },
      "owner: team:00g1TEAM may not own credentials on this target (the target policy's teamOwners: 00g2OTHER)",
    ],
    [
      'a team owner without an accountable person',
      { teamOwners: ['00g1TEAM'] },
      { owner: team },
      'requestedBy: required when a team owns the credential (the person accountable for the request)',
    ],
    [
      "a person's credential requested by someone else",
      {},
      { requestedBy: 'bob@example.com' },
      "requestedBy: bob@example.com may not request ann@example.com's personal credential: a person requests their own",
    ],
    [
      'a team credential marked shared',
      { teamOwners: ['00g1TEAM'] },
      { owner: team, requestedBy: 'ann@example.com', shared: true },
      "shared: a team's credential is shared already; shared marks a person's credential that others use",
    ],
  ])('refuses %s', (_, policy, fields, issue) => {
    // Act
    const issues = policyIssues(policy as AccessPolicy, asked(fields));
    // Assess
    expect(issues).toEqual([issue]);
  });

  it('allows a named team with its accountable person, and a shared personal credential', () => {
    // Act
    const forTeam = policyIssues(
      { teamOwners: ['00g1TEAM'] },
      asked({ owner: team, requestedBy: 'ann@example.com' }),
    );
    const shared = policyIssues({}, asked({ shared: true, requestedBy: 'ann@example.com' }));
    // Assess
    expect(forTeam).toEqual([]);
    expect(shared).toEqual([]);
  });

  it('every product takes teamOwners and offboarding; a hold of 0 days is refused', () => {
    // Prepare
    const target = { vendor: 'forticnapp', baseUrl: 'https://acme.lacework.net/' };
    // Act
    const held = FortiCnappTarget.safeParse({
      ...target,
      policy: { teamOwners: ['00g1TEAM'], offboarding: { shared: { holdDays: 14 } } },
    });
    const zero = FortiCnappTarget.safeParse({
      ...target,
      policy: { offboarding: { shared: { holdDays: 0 } } },
    });
    // Assess
    expect(held.success).toBe(true);
    expect(zero.success).toBe(false);
  });
});

describe('consumerRolePrefixes', () => {
  it('lets every product target limit the consumer roles a request may name, by ARN prefix', () => {
    // Prepare
    const policy = { consumerRolePrefixes: ['arn:aws:iam::111122223333:role/apps/'] };
    const target = { vendor: 'forticnapp', baseUrl: 'https://acme.lacework.net/', policy };
    const consumers = [
      'arn:aws:iam::111122223333:role/apps/sync',
      'arn:aws:iam::444455556666:role/apps/sync',
    ];
    // Act
    const parsed = FortiCnappTarget.parse(target);
    const issues = policyIssues(parsed.policy, { ...request({}), consumers });
    // Assess
    expect(issues).toEqual([
      "consumers: arn:aws:iam::444455556666:role/apps/sync is not under the target policy's consumerRolePrefixes (arn:aws:iam::111122223333:role/apps/)",
    ]);
    expect(FortiCnappTarget.safeParse({ ...target, policy: { consumerRolePrefixes: ['*'] } }).success).toBe(
      false,
    );
  });
});
