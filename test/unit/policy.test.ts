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
