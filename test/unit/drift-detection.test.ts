/**
 * Twin-user drift detection as a pure function of what reconciliation read (`detectTwinDrift`), and
 * how the drift report counts its findings (`reportDrift`): what a person must still look at.
 */
import { describe, expect, it } from 'vitest';
import type { ManagedUser, Vendor } from '#core/products/vendor.ts';
import type { CredentialStore } from '#core/secrets.ts';
import type { WorkflowDeps } from '#core/workflow-deps.ts';
import {
  type DriftFinding,
  detectTwinDrift,
  type ReconcileDeps,
  reconcileTarget,
  reportDrift,
} from '#core/workflows/reconcile.ts';

const credential = { target: 'fgt', apiUser: 'bot' };
const user = (name: string, requestId: string, apiUser = 'bot'): ManagedUser => ({
  name,
  requestId,
  credential: { target: 'fgt', apiUser },
});
/** bot.b holds AWSCURRENT (one rotation done); bot is the retired twin. */
const observed = {
  apiUser: 'bot',
  currentUser: 'bot.b',
  currentVersion: 'v2',
  rotating: false,
  keyRefused: false,
};

describe('detectTwinDrift', () => {
  it('finds the retired twin back beside the current one, excused only by their executions', () => {
    // Act
    const found = detectTwinDrift({
      target: 'fgt',
      credentials: [observed],
      users: [user('bot', 'provision-T-1-aaaaaaaaaa'), user('bot.b', 'rotate-T-2-bbbbbbbbbb')],
      members: [],
    });
    // Assess
    expect(found).toEqual([
      expect.objectContaining({
        kind: 'retired-twin-restored',
        credential,
        user: 'bot',
        currentVersion: 'v2',
        excusedBy: ['provision-T-1-aaaaaaaaaa', 'rotate-T-2-bbbbbbbbbb'],
      }),
    ]);
  });

  it('judges nothing of a credential whose rotation is between issuing and promoting', () => {
    // Act
    const found = detectTwinDrift({
      target: 'fgt',
      credentials: [{ ...observed, rotating: true, keyRefused: true }],
      users: [user('bot', 'rotate-T-3-cccccccccc'), user('bot.b', 'rotate-T-2-bbbbbbbbbb')],
      members: [],
    });
    // Assess
    expect(found).toEqual([]);
  });

  it("leaves a twin name held by another credential's user or another target's alone", () => {
    // Act
    const found = detectTwinDrift({
      target: 'fgt',
      credentials: [observed],
      users: [
        user('bot.b', 'rotate-T-2-bbbbbbbbbb'),
        user('bot', 'provision-T-9-dddddddddd', 'other'),
        {
          name: 'bot',
          requestId: 'provision-T-8-eeeeeeeeee',
          credential: { target: 'fgt-vdom2', apiUser: 'bot' },
        },
      ],
      members: [],
    });
    // Assess
    expect(found).toEqual([]);
  });

  it('finds a broken current key only while its user exists', () => {
    // Act
    const withUser = detectTwinDrift({
      target: 'fgt',
      credentials: [{ ...observed, keyRefused: true }],
      users: [user('bot.b', 'rotate-T-2-bbbbbbbbbb')],
      members: [],
    });
    const gone = detectTwinDrift({
      target: 'fgt',
      credentials: [{ ...observed, keyRefused: true }],
      users: [],
      members: [],
    });
    // Assess
    expect(withUser).toEqual([expect.objectContaining({ kind: 'current-key-broken', user: 'bot.b' })]);
    expect(gone).toEqual([]);
  });

  it('reports each HA member that lacks a user, holds one the primary does not, or holds another', () => {
    // Act
    const found = detectTwinDrift({
      target: 'fgt',
      credentials: [],
      users: [user('a', 'provision-T-a-aaaaaaaaaa', 'a'), user('c', 'provision-T-c-cccccccccc', 'c')],
      members: [
        {
          host: 'fgt-2.example.net',
          users: [user('b', 'provision-T-b-bbbbbbbbbb', 'b'), user('c', 'provision-T-x-xxxxxxxxxx', 'c')],
        },
      ],
    });
    // Assess
    expect(found.map((f) => [f.kind, f.user, f.detail.split(':')[0]])).toEqual([
      ['ha-member-out-of-sync', 'a', 'HA member fgt-2.example.net lacks API user a, which the primary holds'],
      [
        'ha-member-out-of-sync',
        'c',
        'HA member fgt-2.example.net holds another API user c (created by provision-T-x-xxxxxxxxxx) than the primary (created by provision-T-c-cccccccccc)',
      ],
      [
        'ha-member-out-of-sync',
        'b',
        'HA member fgt-2.example.net holds API user b, which the primary does not',
      ],
    ]);
  });
});

describe('reportDrift counts findings', () => {
  it('counts what is only reported; a removed twin and a key a rotation re-issues count as repaired', async () => {
    // Prepare
    const finding = (kind: DriftFinding['kind'], repair: DriftFinding['repair']): DriftFinding => ({
      kind,
      credential: 'provisioner/fgt/bot',
      user: 'bot',
      detail: 'detail',
      repair,
    });
    const published: unknown[] = [];
    const deps = {
      events: { publish: async (_type: string, detail: unknown) => published.push(detail) },
      tasks: { list: async () => [] },
      now: () => new Date('2030-01-01T00:00:00Z'),
    };
    // Act
    const report = await reportDrift(deps as unknown as WorkflowDeps, {
      requestId: 'reconcile-1',
      results: [
        {
          target: 'fgt',
          checked: 2,
          orphans: [],
          repaired: [],
          broken: ['provisioner/fgt/bot: rejected', 'provisioner/fgt/bot2: rejected'],
          inconclusive: [],
          unverified: [],
          expiring: [],
          staleAdmins: [],
          findings: [
            finding('retired-twin-restored', 'removed'),
            finding('retired-twin-restored', 'reported'),
            finding('current-key-broken', 'rotation-started'),
            finding('current-key-broken', 'reported'),
            finding('ha-member-out-of-sync', 'reported'),
          ],
        },
      ],
    });
    // Assess: 2 broken - 1 re-issued + 1 twin reported + 1 HA member
    expect(report.driftCount).toBe(3);
    expect(published).toEqual([expect.objectContaining({ driftCount: 3, findings: report.findings })]);
  });
});

describe('repair of a broken current key', () => {
  /** One credential whose key the product refuses while its user exists, under the given policy. */
  function brokenKeyDeps(repair: 'report' | 'fix', started: string[]): ReconcileDeps {
    const secret = {
      arn: 'arn:aws:secretsmanager:eu-west-1:000000000000:secret:provisioner/fgt/bot-AbCdEf',
      name: 'provisioner/fgt/bot',
      tags: { 'provisioner:status': 'active' },
      versions: { v1: ['AWSCURRENT'] },
    };
    const vendor = {
      name: 'fortios',
      capabilities: { issuance: 'api', twinUsers: true, accessProfiles: true, tokenBroker: false },
      listManagedUsers: async () => [user('bot', 'provision-T-1-aaaaaaaaaa')],
      verify: async () => ({ outcome: 'rejected' }),
    } as unknown as Vendor;
    return {
      store: {
        loadTarget: async () => ({
          vendor: 'fortios',
          baseUrl: 'https://fgt.example.net',
          policy: { repair },
        }),
        listByTarget: async () => [secret],
        describe: async () => secret,
        readVersion: async () => ({ vendor: 'fortios', target: 'fgt', apiUser: 'bot', key: 'k'.repeat(30) }),
      } as unknown as CredentialStore,
      tasks: {} as never,
      vendorFor: () => vendor,
      events: { publish: async () => {} },
      now: () => new Date('2030-01-01T00:00:00Z'),
      schedules: { ensure: async () => {}, remove: async () => {} },
      holdEnds: { ensure: async () => {}, remove: async () => {} },
      executionRecent: async () => false,
      rotations: {
        start: async (name) => {
          started.push(name);
          return {
            executionArn: `arn:aws:states:::execution:rotate:${name}`,
            alreadyStarted: started.length > 1,
          };
        },
      },
    };
  }

  it('starts one rotation per broken version: a repeated reconciliation names the same execution', async () => {
    // Prepare
    const started: string[] = [];
    const deps = brokenKeyDeps('fix', started);
    // Act
    const first = await reconcileTarget(deps, { target: 'fgt' });
    const second = await reconcileTarget(deps, { target: 'fgt' });
    // Assess
    expect(started).toHaveLength(2);
    expect(new Set(started).size).toBe(1);
    expect(started[0]).toMatch(/^rotate-repair-bot-[0-9a-f]{10}$/);
    for (const drift of [first, second])
      expect(drift.findings).toEqual([
        expect.objectContaining({
          kind: 'current-key-broken',
          repair: 'rotation-started',
          execution: started[0],
        }),
      ]);
  });

  it('starts nothing under repair: report', async () => {
    // Prepare
    const started: string[] = [];
    // Act
    const drift = await reconcileTarget(brokenKeyDeps('report', started), { target: 'fgt' });
    // Assess
    expect(started).toEqual([]);
    expect(drift.findings).toEqual([
      expect.objectContaining({ kind: 'current-key-broken', repair: 'reported' }),
    ]);
  });
});
