/**
 * The revocation's later listings (SweepOwnerCredentials): ListSecrets may miss the last minutes'
 * writes, so after each pass the revocation lists the owner's credentials again, revokes what no
 * pass handled, and reports what its last listing still brings up instead of passing over it.
 * The step runs over an in-memory store.
 */
import { describe, expect, it } from 'vitest';
import type { WorkflowStarter } from '#core/deactivation.ts';
import { NotFoundError } from '#core/errors.ts';
import { TAG } from '#core/names.ts';
import type { CredentialStore, SecretDescription } from '#core/secrets.ts';
import type { WorkflowDeps } from '#core/workflow-deps.ts';
import {
  FOUND_LATE_ERROR_NAME,
  MAX_LISTINGS_PER_REVOCATION,
  reportRevocation,
  sweepOwnerCredentials,
} from '#core/workflows/revoke.ts';
import { failure } from '../failure.ts';

const OWNER = 'lou@example.com';
const REQUEST_ID = 'revoke-lou-1';
const held = (name: string, status = 'active'): SecretDescription => ({
  arn: `arn:aws:secretsmanager:us-east-1:000000000000:secret:provisioner/${name}-AbCdEf`,
  name: `provisioner/${name}`,
  tags: { [TAG.status]: status, [TAG.owner]: OWNER },
  versions: {},
});
let listed: SecretDescription[] = [];
/** The last execution of a revocation sweeps: it starts no continuation. */
const noContinuation: WorkflowStarter = {
  start: async () => {
    throw new Error('a sweeping execution starts no continuation');
  },
};
const deps = {
  // Targets without an offboarding policy: every credential found is revoked.
  store: { listByOwner: async () => listed, loadTarget: async () => ({}) } as unknown as CredentialStore,
  events: { publish: async () => {} },
  now: () => new Date('2030-01-01T00:00:00Z'),
} as unknown as WorkflowDeps;
const pass = (results: { secretName: string; status: 'revoked' | 'failed' }[], listings?: number) => ({
  owner: OWNER,
  reason: 'owner deactivated',
  requestId: REQUEST_ID,
  credentials: { byApi: [], byOperator: [] },
  results,
  ...(listings === undefined ? {} : { listings }),
});

describe('the revocation sweep', () => {
  it('hands on the credentials no pass handled yet, with every result so far', async () => {
    // Prepare: fgt/a was revoked by the first pass (and is listed as it was); fgt/b failed; fgt/c is new
    listed = [held('fgt/a'), held('fgt/b', 'revoking'), held('fgt/c'), held('fgt/d', 'revoked')];
    const results = [
      { secretName: 'provisioner/fgt/a', status: 'revoked' as const },
      { secretName: 'provisioner/fgt/b', status: 'failed' as const },
    ];
    // Act
    const swept = await sweepOwnerCredentials(deps, pass(results));
    // Assess
    // This store registers no product: a target it cannot read goes with the operator lane.
    expect(swept.credentials.byOperator.map((c) => [c.secretName, c.target, c.apiUser])).toEqual([
      ['provisioner/fgt/c', 'fgt', 'c'],
    ]);
    expect(swept.settled).toEqual(results);
    expect(swept.listings).toBe(2);
  });

  it("hands on a credential whose target is no longer registered (its revocation reports it), not failing the owner's others", async () => {
    // Prepare
    listed = [held('gone/a'), held('fgt/b')];
    const unregistered = {
      ...deps,
      store: {
        listByOwner: async () => listed,
        loadTarget: async (name: string) => {
          if (name === 'gone') throw new NotFoundError(`unknown target "${name}"`);
          return {};
        },
      } as unknown as CredentialStore,
    };
    // Act
    const swept = await sweepOwnerCredentials(unregistered, pass([]));
    // Assess
    expect(swept.credentials.byOperator.map((c) => c.secretName)).toEqual([
      'provisioner/fgt/b',
      'provisioner/gone/a',
    ]);
  });

  it('reports what the last listing still finds, and the report fails the revocation naming it', async () => {
    // Prepare
    listed = [held('fgt/a'), held('fmg/late')];
    const results = [{ secretName: 'provisioner/fgt/a', status: 'revoked' as const }];
    // Act
    const swept = await sweepOwnerCredentials(deps, pass(results, MAX_LISTINGS_PER_REVOCATION - 1));
    const report = await failure(
      reportRevocation(deps, noContinuation, {
        owner: OWNER,
        requestId: REQUEST_ID,
        request: { owner: OWNER },
        continueAfter: swept.continueAfter,
        results: swept.results,
      }),
    );
    // Assess
    expect(swept.credentials).toEqual({ byApi: [], byOperator: [] });
    expect(swept.results[1]).toMatchObject({
      secretName: 'provisioner/fmg/late',
      status: 'failed',
      error: FOUND_LATE_ERROR_NAME,
    });
    expect(report.name).toBe('RevocationIncomplete');
    expect(report.message).toMatch(
      /^1 of 2 credentials of lou@example.com are not revoked: provisioner\/fmg\/late: FoundAfterLastListing \(found by listing 3 of lou@example.com's credentials/,
    );
  });

  it("names held credentials apart from the failed ones in a failed revocation's report, the continuation last", async () => {
    // Prepare
    const starter: WorkflowStarter = {
      start: async () => ({
        executionArn: 'arn:aws:states:us-east-1:000000000000:execution:revoke:next',
        alreadyStarted: false,
      }),
    };
    // Act
    const report = await failure(
      reportRevocation(deps, starter, {
        owner: OWNER,
        requestId: REQUEST_ID,
        request: { owner: OWNER },
        continueAfter: 'provisioner/fgt/a',
        results: [{ secretName: 'provisioner/fgt/a', status: 'failed', error: 'Conflict', cause: 'busy' }],
        held: [
          {
            secretName: 'provisioner/fgt/s',
            heldUntil: '2030-01-15T00:00:00.000Z',
            revokesAt: '2030-01-15T00:00:00.000Z',
            reason: 'shared credential',
          },
        ],
      }),
    );
    // Assess
    expect(report.message).toBe(
      "1 of 1 credentials of lou@example.com are not revoked: provisioner/fgt/a: Conflict (busy); held, not failed: provisioner/fgt/s until 2030-01-15T00:00:00.000Z, revoked by its schedule at 2030-01-15T00:00:00.000Z (shared credential); the owner's further credentials: arn:aws:states:us-east-1:000000000000:execution:revoke:next",
    );
  });

  it('refuses a sweep input that is not its own', async () => {
    // Act
    const error = await failure(sweepOwnerCredentials(deps, { ...pass([]), extra: true }));
    // Assess
    expect(error.name).toBe('ValidationError');
  });
});
