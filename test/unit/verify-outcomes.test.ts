/**
 * Every step that reads a verification reads `inconclusive` (an answer that proves neither that the
 * product accepts nor that it refuses the credential) deliberately: a new credential is not yet
 * valid, an old one is not proven refused, and reconciliation reports it apart from the broken.
 * The steps run over a fake vendor and an in-memory store.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { EventPublisher } from '#core/events.ts';
import { TAG } from '#core/names.ts';
import type { Vendor, VerifyResult } from '#core/products/vendor.ts';
import type { CredentialStore, SecretDescription } from '#core/secrets.ts';
import { verifyCredential } from '#core/workflows/provision.ts';
import { type ReconcileDeps, reconcileTarget, reportDrift } from '#core/workflows/reconcile.ts';
import { refreshAccessToken } from '#core/workflows/refresh.ts';
import { proveRevoked, reportRevocation } from '#core/workflows/revoke.ts';
import {
  provePreviousRevoked,
  type RotationState,
  retirePreviousKey,
  verifyPendingKey,
} from '#core/workflows/rotate.ts';
import { failure } from '../failure.ts';

const KEY = 'Zq9xKEY0000material0000xyz1234';
const ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:provisioner/fgt/bot-AbCdEf';
const INCONCLUSIVE: VerifyResult = {
  outcome: 'inconclusive',
  reason: 'HTTP 403: the caller is authenticated but may not read the probe',
};
const secret: SecretDescription = {
  arn: ARN,
  name: 'provisioner/fgt/bot',
  tags: { [TAG.status]: 'active', [TAG.owner]: 'alice@example.com' },
  versions: { v1: ['AWSCURRENT'], v2: ['AWSPENDING'] },
};

const verify = vi.fn<(material: unknown) => Promise<VerifyResult>>();
const revoke = vi.fn(async () => ({ removed: true }));
const publish = vi.fn<EventPublisher['publish']>(async () => {});
let issuance: 'api' | 'operator' = 'api';
let tokenBroker = false;
/** The product's admin proof of a deleted user (FortiOS), by user name; absent: none. */
let proveRevokedByAdmin: ((apiUser: string) => Promise<VerifyResult>) | undefined;

function fakeVendor(): Vendor {
  const capabilities = { issuance, accessProfiles: false, twinUsers: true, tokenBroker };
  return {
    name: 'fortios',
    capabilities,
    verify,
    revoke,
    // Every user it is asked about serves this credential (the marker check lets the delete through).
    findManagedUser: async (name: string) => ({
      name,
      requestId: 'provision-x-1',
      credential: { target: 'fgt', apiUser: 'bot' },
    }),
    listManagedUsers: async () => [],
    ...(proveRevokedByAdmin && { proveRevoked: proveRevokedByAdmin }),
  } as unknown as Vendor;
}

const store = {
  loadTarget: async () => ({ vendor: 'fortios', baseUrl: 'https://fgt.example.net' }),
  describe: async () => secret,
  readVersion: async () => ({ vendor: 'fortios', target: 'fgt', apiUser: 'bot', key: KEY }),
  readCurrent: async () => ({ vendor: 'fortios', target: 'fgt', apiUser: 'bot', key: KEY }),
  listByTarget: async () => [secret],
} as unknown as CredentialStore;

const deps: ReconcileDeps = {
  store,
  tasks: { list: async () => [] } as never,
  vendorFor: fakeVendor,
  events: { publish },
  now: () => new Date('2030-01-01T00:00:00Z'),
  schedules: { ensure: async () => {}, remove: async () => {} },
  holdEnds: { ensure: async () => {}, remove: async () => {} },
  executionRecent: async () => false,
  rotations: {
    start: async () => {
      throw new Error('no rotation is started here');
    },
  },
};

const revocationItem = {
  owner: 'alice@example.com',
  reason: 'left the company',
  requestId: 'revoke-2030-01-01-0123456789',
  credential: { secretName: secret.name, secretArn: ARN, target: 'fgt', apiUser: 'bot' },
};
const rotation = (over: Partial<RotationState> = {}): RotationState => ({
  request: { target: 'fgt', apiUser: 'bot' },
  requestId: 'rotate-2030-01-01-0123456789',
  secretName: secret.name,
  secretArn: ARN,
  issuance: 'api',
  currentUser: 'bot',
  idleUser: 'bot.b',
  currentVersionId: 'v1',
  graceSeconds: 7200,
  pending: { versionId: 'v2' },
  ...over,
});
const provisionState = {
  request: {
    target: 'fgt',
    apiUser: 'bot',
    owner: 'alice@example.com',
    ticket: 'CHG1',
    vdom: 'root',
  },
  requestId: 'provision-CHG1-0123456789',
  secretName: secret.name,
  issuance: 'api' as const,
  credential: { secretArn: ARN, versionId: 'v2' },
};

beforeEach(() => {
  vi.clearAllMocks();
  issuance = 'api';
  tokenBroker = false;
  proveRevokedByAdmin = undefined;
  verify.mockResolvedValue(INCONCLUSIVE);
});

describe('a new credential answered inconclusively is not yet valid', () => {
  it('VerifyCredential asks for a retry, naming the reason, and keeps no token', async () => {
    // Act
    const error = await failure(verifyCredential(deps, provisionState as never));
    // Assess
    expect(error.name).toBe('CredentialNotYetValid');
    expect(error.message).toContain(INCONCLUSIVE.reason);
    expect(error.message).not.toContain(KEY);
  });

  it('VerifyPendingKey asks for a retry, naming the reason: the key is never promoted on it', async () => {
    // Act
    const error = await failure(verifyPendingKey(deps, rotation()));
    // Assess
    expect(error.name).toBe('CredentialNotYetValid');
    expect(error.message).toContain(INCONCLUSIVE.reason);
  });
});

describe('a brokered token is not refreshed on an inconclusive answer', () => {
  it('RefreshAccessToken fails, saying the answer was inconclusive rather than a refusal', async () => {
    // Prepare
    tokenBroker = true;
    // Act
    const error = await failure(
      refreshAccessToken(deps, { request: { target: 'fgt', apiUser: 'bot' }, executionName: 'refresh-1' }),
    );
    // Assess
    expect(error.name).toBe('FatalError');
    expect(error.message).toBe(
      `fgt answers inconclusively for the credential of bot (${INCONCLUSIVE.reason}): consumers keep the last token until it expires`,
    );
  });
});

describe('an old credential answered inconclusively is not proven refused', () => {
  it.each([
    ['rejected', { outcome: 'rejected' }],
    ['broken', { outcome: 'broken', reason: 'the user is deactivated' }],
  ] as const)('ProveRevoked takes %s as the proof', async (_, result) => {
    // Prepare
    verify.mockResolvedValue(result);
    // Act / Assess
    await expect(proveRevoked(deps, revocationItem)).resolves.toBeUndefined();
  });

  it('ProveRevoked retries a credential the product still accepts as still valid', async () => {
    // Prepare
    verify.mockResolvedValue({ outcome: 'accepted' });
    // Act
    const error = await failure(proveRevoked(deps, revocationItem));
    // Assess
    expect(error.name).toBe('CredentialStillValid');
  });

  it('ProveRevoked fails an inconclusive answer as unproven, with its reason and without the key', async () => {
    // Act
    const error = await failure(proveRevoked(deps, revocationItem));
    // Assess
    expect(error.name).toBe('RevocationUnproven');
    expect(error.message).toContain(INCONCLUSIVE.reason);
    expect(error.message).not.toContain(KEY);
  });

  it('ProvePreviousRevoked fails an inconclusive answer as unproven', async () => {
    // Act
    const error = await failure(provePreviousRevoked(deps, rotation({ retired: { needsOperator: true } })));
    // Assess
    expect(error.name).toBe('RevocationUnproven');
    expect(error.message).toContain(INCONCLUSIVE.reason);
  });

  it('RetirePreviousKey (twin users) removes the old twin but fails an inconclusive answer as unproven', async () => {
    // Act
    const error = await failure(retirePreviousKey(deps, rotation()));
    // Assess
    expect(revoke).toHaveBeenCalledWith('bot');
    expect(error.name).toBe('RevocationUnproven');
  });

  it('RetirePreviousKey (operator products) asks a person when the answer proves nothing', async () => {
    // Prepare
    issuance = 'operator';
    // Act
    const retired = await retirePreviousKey(deps, rotation({ issuance: 'operator', idleUser: 'bot' }));
    // Assess
    expect(retired).toEqual({ needsOperator: true });
  });
});

describe('a revocation proven through the admin API (both twins), never with the key', () => {
  const answers = (bot: VerifyResult, twin: VerifyResult) => async (apiUser: string) =>
    apiUser === 'bot' ? bot : twin;

  it('ProveRevoked takes both twins gone as the proof, presenting no key', async () => {
    // Prepare
    proveRevokedByAdmin = answers({ outcome: 'rejected' }, { outcome: 'rejected' });
    // Act / Assess
    await expect(proveRevoked(deps, revocationItem)).resolves.toBeUndefined();
    expect(verify).not.toHaveBeenCalled();
  });

  it('ProveRevoked retries a twin still on the product as still valid', async () => {
    // Prepare
    proveRevokedByAdmin = answers({ outcome: 'rejected' }, { outcome: 'accepted', reason: 'still on fgt-b' });
    // Act
    const error = await failure(proveRevoked(deps, revocationItem));
    // Assess
    expect(error.name).toBe('CredentialStillValid');
  });

  it('ProveRevoked fails a twin answered inconclusively as unproven, with its reason', async () => {
    // Prepare
    proveRevokedByAdmin = answers(INCONCLUSIVE, { outcome: 'rejected' });
    // Act
    const error = await failure(proveRevoked(deps, revocationItem));
    // Assess
    expect(error.name).toBe('RevocationUnproven');
    expect(error.message).toContain(INCONCLUSIVE.reason);
    expect(verify).not.toHaveBeenCalled();
  });
});

describe('the revocation report', () => {
  const unprovenCause = JSON.stringify({
    errorType: 'RevocationUnproven',
    errorMessage: `fgt answers inconclusively for the credential of bot after its revocation: ${INCONCLUSIVE.reason}`,
    trace: ['RevocationUnproven: ...'],
  });
  const stillValidCause = JSON.stringify({
    errorType: 'CredentialStillValid',
    errorMessage: 'fmg still accepts the credential of bot after its revocation',
  });
  const results = [
    { secretName: 'provisioner/arm/bot', status: 'revoked' },
    {
      secretName: 'provisioner/fmg/bot',
      status: 'failed',
      error: 'CredentialStillValid',
      cause: stillValidCause,
    },
    {
      secretName: 'provisioner/fgt/bot',
      status: 'failed',
      error: 'RevocationUnproven',
      cause: unprovenCause,
    },
  ];

  const noContinuation = {
    start: () => Promise.reject(new Error('no continuation expected')),
  };
  /** The report of the last execution of a revocation (none continues it) over these results. */
  const report = (of: unknown[]) =>
    reportRevocation(deps, noContinuation, {
      owner: revocationItem.owner,
      requestId: revocationItem.requestId,
      request: { owner: revocationItem.owner },
      continueAfter: null,
      results: of,
    });

  it('names an unproven credential apart from a failed one and fails the run', async () => {
    // Act
    const error = await failure(report(results));
    // Assess
    expect(error.name).toBe('RevocationIncomplete');
    expect(error.message).toBe(
      '2 of 3 credentials of alice@example.com are not revoked: ' +
        'provisioner/fmg/bot: CredentialStillValid (fmg still accepts the credential of bot after its revocation); ' +
        `provisioner/fgt/bot: revocation unproven (fgt answers inconclusively for the credential of bot after its revocation: ${INCONCLUSIVE.reason})`,
    );
    expect(publish).toHaveBeenCalledWith('credential.revocation-failed', {
      owner: revocationItem.owner,
      requestId: revocationItem.requestId,
      revoked: ['provisioner/arm/bot'],
      held: [],
      failed: [
        'provisioner/fmg/bot: CredentialStillValid (fmg still accepts the credential of bot after its revocation)',
      ],
      unproven: [
        {
          secretName: 'provisioner/fgt/bot',
          reason: `fgt answers inconclusively for the credential of bot after its revocation: ${INCONCLUSIVE.reason}`,
        },
      ],
    });
  });

  it('fails the run when the only credential left is unproven', async () => {
    // Act
    const error = await failure(report([results[0], results[2]]));
    // Assess
    expect(error.name).toBe('RevocationIncomplete');
    expect(publish.mock.calls[0]?.[1]).toMatchObject({
      failed: [],
      unproven: [{ secretName: 'provisioner/fgt/bot' }],
    });
  });
});

describe('reconciliation', () => {
  it('reports a credential whose state could not be established, neither broken nor orphan', async () => {
    // Act
    const drift = await reconcileTarget(deps, { target: 'fgt' });
    const report = await reportDrift(deps, { requestId: 'reconcile-1', results: [drift] });
    // Assess
    expect(drift).toMatchObject({
      checked: 1,
      broken: [],
      orphans: [],
      inconclusive: [`provisioner/fgt/bot: ${INCONCLUSIVE.reason}`],
    });
    expect(report).toMatchObject({ broken: [], inconclusive: drift.inconclusive, driftCount: 1 });
    expect(publish).toHaveBeenCalledWith(
      'credential.drift-report',
      expect.objectContaining({ inconclusive: drift.inconclusive, driftCount: 1 }),
    );
  });
});

describe('reconciliation where the product locks out an address after refused key logins', () => {
  it.each([
    // All at once: two refusals, then the next keys are not presented.
    [0, ['rejected', 'rejected', 'inconclusive', 'inconclusive']],
    // 40 s apart: never 2 refusals within 60 s before a check, so every key is presented.
    [40_000, ['rejected', 'rejected', 'rejected', 'rejected']],
  ] as const)(
    'with checks %i ms apart, presents no key that would be the third refusal within 60 s',
    async (apartMs, outcomes) => {
      // Prepare
      let now = Date.parse('2030-01-01T00:00:00Z');
      const secrets = ['a', 'b', 'c', 'd'].map((n) => ({
        ...secret,
        name: `provisioner/fgt/${n}`,
        arn: `${ARN}-${n}`,
      }));
      verify.mockResolvedValue({ outcome: 'rejected' });
      const locking: typeof deps = {
        ...deps,
        now: () => new Date(now),
        store: {
          ...store,
          listByTarget: async () => secrets,
          readVersion: async () => {
            now += apartMs;
            return { vendor: 'fortios', target: 'fgt', apiUser: 'bot', key: KEY };
          },
        } as unknown as CredentialStore,
        vendorFor: () => {
          const vendor = fakeVendor();
          return {
            ...vendor,
            capabilities: { ...vendor.capabilities, keyLockout: { threshold: 3, windowMs: 60_000 } },
          } as Vendor;
        },
      };
      // Act
      const drift = await reconcileTarget(locking, { target: 'fgt' });
      // Assess
      const outcomeOf = (name: string) =>
        drift.inconclusive.some((l) => l.startsWith(`${name}:`)) ? 'inconclusive' : 'rejected';
      expect(secrets.map((s) => outcomeOf(s.name))).toEqual(outcomes);
      expect(verify).toHaveBeenCalledTimes(outcomes.filter((o) => o === 'rejected').length);
    },
  );
});
