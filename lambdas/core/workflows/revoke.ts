import * as z from 'zod';
import type { WorkflowStarter } from '../deactivation.ts';
import { FatalError, NotFoundError, RevocationIncompleteError, UNPROVEN_ERROR_NAME } from '../errors.ts';
import { continuationNameFor, ExecutionName } from '../execution-names.ts';
import { holdEndsAt } from '../hold-ends.ts';
import { CURRENT, legacyAccessTokenSecretName, PENDING, SECRET_PREFIX, TAG } from '../names.ts';
import {
  CALLBACK_TASK_FIELDS,
  openOperatorTask,
  revocationInstructions,
  revocationTaskId,
} from '../operator-tasks.ts';
import { consumerCount, offboardingDecision } from '../ownership.ts';
import { asApiVendor, asOperatorVendor } from '../products/adapters.ts';
import { materialOf } from '../products/index.ts';
import { proveUsersGone, removeCredentialUser, twinsOf } from '../products/managed-user.ts';
import type { SharedOffboarding } from '../products/policy.ts';
import { OwnerRef, ownerKind, parseInput } from '../schemas.ts';
import { credentialStatus, type SecretDescription, versionWithStage } from '../secrets.ts';
import { causeMessage, failureReason } from '../step-error.ts';
import type { WorkflowDeps } from '../workflow-deps.ts';
import { requireRefusal, vendorOf } from '../workflow-deps.ts';

/**
 * At most this many credentials per execution; the rest continue in a new execution. Two AWS
 * limits bound it: a state's 256 KiB (the Map's results: measured 168,626 bytes for 500 failed
 * credentials, test/workflow/revoke-at-scale.test.ts) and the 25,000 events of an execution's
 * history (about 19 per credential revoked).
 */
const CREDENTIALS_PER_EXECUTION = 100;

/**
 * Listings per revocation: the first, then one after each pass that revoked something, each once
 * the listing lag has passed (ListSecrets may miss the last minutes' writes). A credential the last
 * listing still brings up is reported, not revoked.
 */
export const MAX_LISTINGS_PER_REVOCATION = 3;

/** The error a credential found by the last listing is reported with (the run fails; a new one revokes it). */
export const FOUND_LATE_ERROR_NAME = 'FoundAfterLastListing';

export const RevokeRequest = z
  .object({
    owner: OwnerRef.describe(
      'Whose credentials to revoke (the provisioner:owner tag): a person, or a team (`team:<group id>`)',
    ),
    reason: z
      .string()
      .min(3)
      .max(200)
      .regex(/^[\w .,:;@()/+'-]*$/, "may only hold letters, digits, spaces and .,:;@()/+'-")
      .default('owner deactivated')
      .describe('Why, for the events and the report'),
    source: z
      .enum(['directory', 'identity-provider', 'ticket', 'operator', 'schedule'])
      .default('operator')
      .describe(
        "Who asked: a directory or identity-provider event, an offboarding ticket, an operator, a held credential's schedule at its hold's end",
      ),
    credential: z
      .string()
      .max(512)
      .optional()
      .describe(
        "Only this credential of the owner (its secret name): a held credential's revocation when its hold ends; the owner is checked again, so a credential transferred meanwhile is not revoked",
      ),
    deactivatedAt: z.iso
      .datetime({ offset: true })
      .optional()
      .describe('When the directory or identity provider reported the deactivation (its event time)'),
    dryRun: z
      .boolean()
      .optional()
      .describe(
        'true: the execution only returns the plan (what it would revoke, call, ask and unschedule) and changes nothing',
      ),
  })
  .strict();
export type RevokeRequest = z.output<typeof RevokeRequest>;

/** A revoke execution's input: the request, and for a continuation the last secret its predecessor took. */
const RevocationInput = RevokeRequest.extend({
  continueAfter: z.string().max(512).optional(),
}).strict();

export const RevocationTarget = z
  .object({
    secretName: z.string().max(512),
    secretArn: z.string().max(2048),
    target: z.string().max(63),
    apiUser: z.string().max(128),
  })
  .strict();
export type RevocationTarget = z.output<typeof RevocationTarget>;

/** One Map iteration's input: the credential and the request it belongs to. */
const RevocationItem = z
  .object({
    owner: OwnerRef,
    reason: z.string().max(200),
    requestId: ExecutionName,
    credential: RevocationTarget,
    revoked: z.object({ needsOperator: z.boolean() }).strict().optional(),
    operator: z.unknown().optional(),
  })
  .strict();

/**
 * The owner's credentials that ListSecrets shows not revoked or deleted, in name order (ListSecrets
 * promises none), so a continuation takes up exactly after its predecessor.
 */
export async function heldBy(
  deps: WorkflowDeps,
  owner: string,
  /** Only this one (by secret name), if it is still the owner's. */
  only?: string | null,
): Promise<SecretDescription[]> {
  return (await deps.store.listByOwner(owner))
    .filter((s) => !s.deletedDate && credentialStatus(s) !== 'revoked' && (!only || s.name === only))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * A credential its owner's revocation leaves usable for now (a held offboarding), why, and when its
 * schedule revokes it (`revokesAt`, the hold's end to the second).
 */
const HeldCredential = z
  .object({
    secretName: z.string().max(512),
    heldUntil: z.string().max(40),
    revokesAt: z.string().max(40),
    reason: z.string().max(200),
  })
  .strict();
type HeldCredential = z.output<typeof HeldCredential>;
const HeldList = z.array(HeldCredential).max(MAX_LISTINGS_PER_REVOCATION * CREDENTIALS_PER_EXECUTION);
/** Teams' credentials the leaver requested, which stay the teams'. */
const KeptList = z.array(z.string().max(512)).max(MAX_LISTINGS_PER_REVOCATION * CREDENTIALS_PER_EXECUTION);

/**
 * The owner's offboarding decision for each credential found (offboardingDecision): those to revoke
 * now, and those held. A new hold is announced (`credential.offboarding-held`) before it is tagged,
 * so a retry may repeat the notice but never lose it; every held credential's hold-end schedule is
 * then ensured (create-if-absent: a repeated offboarding, or a retry after the tag, makes no second
 * one, and a schedule lost between the tag and its creation is made by the next).
 */
async function decideEach(
  deps: WorkflowDeps,
  request: { owner: string; requestId: string; reason: string },
  found: readonly SecretDescription[],
): Promise<{ revoke: SecretDescription[]; held: HeldCredential[] }> {
  const revoke: SecretDescription[] = [];
  const held: HeldCredential[] = [];
  const policies = new Map<string, Promise<{ shared?: SharedOffboarding } | undefined>>();
  const offboardingOf = (target: string) => {
    if (!policies.has(target))
      policies.set(
        target,
        deps.store.loadTarget(target).then(
          (t) => t.policy?.offboarding,
          // A target no longer registered holds nothing: its credential is revoked, and
          // RevokeAtProduct reports why it cannot be, apart from the owner's others.
          (error: unknown) => {
            if (error instanceof NotFoundError) return undefined;
            throw error;
          },
        ),
      );
    return policies.get(target);
  };
  for (const secret of found) {
    const credential = revocationTarget(secret);
    // Only a person's credential's decision depends on its target: a team's needs no target read.
    const shared =
      ownerKind(secret.tags[TAG.owner] ?? '') === 'person'
        ? (await offboardingOf(credential.target))?.shared
        : undefined;
    const consumers = await consumerCount((arn) => deps.store.readAccess(arn), secret, shared);
    const decision = offboardingDecision({ tags: secret.tags, shared, consumers, now: deps.now() });
    if (decision.action === 'revoke') {
      revoke.push(secret);
      continue;
    }
    const revokesAt = holdEndsAt(decision.heldUntil);
    if (decision.newlyHeld) {
      await deps.events.publish('credential.offboarding-held', {
        target: credential.target,
        apiUser: credential.apiUser,
        owner: request.owner,
        ticket: secret.tags[TAG.ticket] ?? 'none',
        requestId: request.requestId,
        secretArn: secret.arn,
        heldUntil: decision.heldUntil,
        revokesAt,
        reason: `${request.reason}; ${decision.reason}`,
      });
      await deps.store.tag(secret.arn, { [TAG.heldUntil]: decision.heldUntil });
    }
    await deps.holdEnds.ensure({
      secretName: secret.name,
      owner: request.owner,
      heldUntil: decision.heldUntil,
    });
    held.push({ secretName: secret.name, heldUntil: decision.heldUntil, revokesAt, reason: decision.reason });
  }
  return { revoke, held };
}

/**
 * A person's revocation leaves the teams' credentials they requested alone (their owner is the
 * team) and tells each team which ones it keeps (`credential.team-member-left`).
 */
async function tellTeams(
  deps: WorkflowDeps,
  request: { owner: string; requestId: string; reason: string },
): Promise<string[]> {
  if (ownerKind(request.owner) === 'team') return [];
  const byTeam = new Map<string, string[]>();
  for (const secret of await deps.store.listRequestedForTeams(request.owner)) {
    if (credentialStatus(secret) === 'revoked') continue;
    const team = secret.tags[TAG.owner] ?? '';
    byTeam.set(team, [...(byTeam.get(team) ?? []), secret.name]);
  }
  for (const [team, credentials] of byTeam) {
    await deps.events.publish('credential.team-member-left', {
      team,
      member: request.owner,
      requestId: request.requestId,
      reason: request.reason,
      credentials: credentials.sort(),
    });
  }
  return [...byTeam.values()].flat().sort();
}

export function revocationTarget(s: SecretDescription): RevocationTarget {
  const [target = '', ...user] = s.name.slice(SECRET_PREFIX.length).split('/');
  return { secretName: s.name, secretArn: s.arn, target, apiUser: user.join('/') };
}

/**
 * RevokeByLane's two lanes (lib/workflows/revoke-workflow.ts): the credentials the API revokes, a
 * few at a time, and those a person revokes in the product's UI, whose operator tasks all open at
 * once (each holds its lane's slot until the person answers: hours, maybe). In one Map of 5, five
 * operator tasks held every slot: bench/offboarding.ts measured the last of 30 tasks open 35 s
 * after the event, its person answering 5 s after each. A target that cannot be read goes with
 * the operator lane: its RevokeAtProduct reports why.
 */
const RevocationLanes = z
  .object({ byApi: z.array(RevocationTarget), byOperator: z.array(RevocationTarget) })
  .strict();
type RevocationLanes = z.output<typeof RevocationLanes>;

/** The batch split into its lanes, each in the batch's (name) order. */
async function inLanes(deps: WorkflowDeps, batch: readonly RevocationTarget[]): Promise<RevocationLanes> {
  const issuance = new Map<string, Promise<string | undefined>>();
  const issuanceOf = (target: string) => {
    if (!issuance.has(target))
      issuance.set(
        target,
        vendorOf(deps, target).then(
          ({ vendor }) => vendor.capabilities.issuance,
          () => undefined,
        ),
      );
    return issuance.get(target);
  };
  const byApi = await Promise.all(batch.map(async (c) => (await issuanceOf(c.target)) === 'api'));
  return { byApi: batch.filter((_, i) => byApi[i]), byOperator: batch.filter((_, i) => !byApi[i]) };
}

/**
 * FindOwnerCredentials: the first listing of the owner's credentials not already revoked or
 * deleted, at most one execution's batch; `continueAfter` names the last one taken when more remain.
 */
export async function findOwnerCredentials(
  deps: WorkflowDeps,
  input: { request: unknown; executionName: unknown },
): Promise<{
  owner: string;
  reason: string;
  requestId: string;
  credentials: RevocationLanes;
  held: HeldCredential[];
  keptByTeams: string[];
  continueAfter: string | null;
  continuedAfter: string | null;
  credential: string | null;
}> {
  const { continueAfter, ...request } = parseInput(RevocationInput, input.request, 'revoke request');
  const requestId = parseInput(ExecutionName, input.executionName, 'execution name');
  const found = (await heldBy(deps, request.owner, request.credential)).filter(
    (s) => continueAfter === undefined || s.name > continueAfter,
  );
  const decided = await decideEach(deps, { ...request, requestId }, found);
  const batch = decided.revoke.slice(0, CREDENTIALS_PER_EXECUTION).map(revocationTarget);
  // The continuation takes up after the last name of this batch, whichever lane takes it.
  const more = decided.revoke.length > batch.length ? (batch.at(-1)?.secretName ?? null) : null;
  const credentials = await inLanes(deps, batch);
  // The first execution tells the teams; its continuations revoke the rest of the same person's. A
  // hold's end revokes one credential: the person left before, and the teams were told then.
  const keptByTeams =
    continueAfter === undefined && request.credential === undefined
      ? await tellTeams(deps, { ...request, requestId })
      : [];
  return {
    owner: request.owner,
    reason: request.reason,
    requestId,
    credentials,
    held: decided.held,
    keptByTeams,
    continueAfter: more,
    continuedAfter: continueAfter ?? null,
    credential: request.credential ?? null,
  };
}

/**
 * RevokeAtProduct: marks the credential `revoking` (so a crash is picked up by the next run), then
 * revokes what the system can: an API product's user is deleted; a broker product's tokens are
 * revoked. Says whether a person must still act in the product's UI.
 */
export async function revokeAtProduct(
  deps: WorkflowDeps,
  input: unknown,
): Promise<{ needsOperator: boolean }> {
  const { credential } = parseInput(RevocationItem, input, 'revocation item');
  await deps.store.tag(credential.secretArn, { [TAG.status]: 'revoking' });
  const { vendor, target } = await vendorOf(deps, credential.target);
  if (vendor.capabilities.issuance === 'api') {
    const api = asApiVendor(vendor);
    // A rotated credential's key may live on either twin: both go, each only if its marker names
    // this credential (a same-named user of another credential or target stays).
    const users = vendor.capabilities.twinUsers ? twinsOf(credential.apiUser) : [credential.apiUser];
    for (const user of users) await removeCredentialUser(api, user, credential);
    return { needsOperator: false };
  }
  const stored = await deps.store.readCurrent(credential.secretArn);
  const token = await deps.store.readAccessToken(credential.secretName);
  const { operatorAction } = await asOperatorVendor(vendor).revoke(
    materialOf(target.vendor, stored),
    token && { token: token.accessToken, expiresAt: token.expiresAt },
  );
  return { needsOperator: operatorAction !== undefined };
}

const OperatorRevocationInput = z.object({ item: RevocationItem, ...CALLBACK_TASK_FIELDS }).strict();

/** RequestOperatorRevocation (callback task): asks a person to revoke in the product's UI, then to confirm. */
export async function requestOperatorRevocation(deps: WorkflowDeps, input: unknown) {
  const { item, ...bounds } = parseInput(OperatorRevocationInput, input, 'operator revocation input');
  const { credential, owner, requestId } = item;
  const { vendor, target } = await vendorOf(deps, credential.target);
  const stored = await deps.store.readCurrent(credential.secretArn);
  const { operatorAction } = await asOperatorVendor(vendor).revoke(materialOf(target.vendor, stored));
  const taskId = revocationTaskId(requestId, credential.secretName);
  const description = await deps.store.describe(credential.secretName);
  return openOperatorTask(deps, {
    ...bounds,
    taskId,
    action: 'revoke',
    requestId,
    secretName: credential.secretName,
    secretArn: credential.secretArn,
    vendor: target.vendor,
    target: credential.target,
    apiUser: credential.apiUser,
    owner,
    ticket: description?.tags[TAG.ticket] ?? 'none',
    instructions: revocationInstructions(
      `Revoke the ${vendor.name} credential ${credential.secretName} of ${owner} in the product, then confirm`,
      operatorAction ?? 'remove the credential in the product',
      taskId,
    ),
  });
}

/**
 * ProveRevoked: the old credential must now be refused by its product (retried while that
 * propagates). Only a refusal proves it: an acceptance is `CredentialStillValid`, an inconclusive
 * answer `RevocationUnproven`; both are retried, then reported. A product that can prove its users
 * gone through its admin API is asked that instead: an owner's dead keys presented at once would
 * lock the provisioner's address out where the product counts refused logins (FortiOS).
 */
export async function proveRevoked(deps: WorkflowDeps, input: unknown): Promise<void> {
  const { credential } = parseInput(RevocationItem, input, 'revocation item');
  const { vendor, target } = await vendorOf(deps, credential.target);
  const answer =
    (vendor.capabilities.issuance === 'api' && (await proveUsersGone(asApiVendor(vendor), credential))) ||
    (await vendor.verify(materialOf(target.vendor, await deps.store.readCurrent(credential.secretArn))));
  requireRefusal(answer, credential.target, `the credential of ${credential.apiUser} after its revocation`);
}

/**
 * RetireCredential: brokered token gone, no pending version left, secret scheduled for deletion,
 * `credential.revoked`. The deletion is what makes the credential `revoked` (credentialStatus): one
 * write, so no retired secret is left tagged revoked but undeleted, or the reverse.
 */
export async function retireCredential(deps: WorkflowDeps, input: unknown) {
  const { credential, owner, requestId, reason } = parseInput(RevocationItem, input, 'revocation item');
  const description = await deps.store.describe(credential.secretName);
  // A retry after the secret was scheduled for deletion (its answer lost) finds it read-only.
  const retiredBefore = description?.deletedDate !== undefined;
  // The token lives in the credential's secret (ACCESS_TOKEN_STAGE) and goes with it; a broker's
  // credential not refreshed since that release may still have a legacy token secret beside it.
  // DeleteSecret is a write even for a secret that does not exist: asked only when DescribeSecret finds one.
  const tokenSecret = await deps.store.describe(legacyAccessTokenSecretName(credential.secretName));
  if (tokenSecret) await deps.store.deleteNow(tokenSecret.arn);
  await deps.schedules.remove(credential.secretName);
  // A rotation cut short by this revocation may have left a pending version: a retired secret keeps none.
  const pending = description && !retiredBefore ? versionWithStage(description, PENDING) : undefined;
  if (pending && description && pending !== versionWithStage(description, CURRENT)) {
    await deps.store.removeStage(credential.secretArn, PENDING, pending);
  }
  await deps.store.scheduleDeletion(credential.secretArn);
  await deps.events.publish('credential.revoked', {
    target: credential.target,
    apiUser: credential.apiUser,
    owner,
    ticket: description?.tags[TAG.ticket] ?? 'none',
    requestId,
    secretArn: credential.secretArn,
    reason,
  });
  return {
    secretName: credential.secretName,
    status: 'revoked' as const,
    retiredAt: deps.now().toISOString(),
  };
}

const RevocationResult = z.object({
  secretName: z.string(),
  status: z.enum(['revoked', 'failed']),
  /** When RetireCredential retired it, right after its refusal was proven. */
  retiredAt: z.iso.datetime({ offset: true }).optional(),
  error: z.string().optional(),
  cause: z.string().optional(),
});
type RevocationResult = z.output<typeof RevocationResult>;
/** Each pass's batch, and what the last listing found too late: at most one more batch. */
const MAX_RESULTS = MAX_LISTINGS_PER_REVOCATION * CREDENTIALS_PER_EXECUTION;
const RevocationResultList = z.array(RevocationResult).max(MAX_RESULTS);
/** A pass's results as RevokeByLane's lanes leave them, or, after a sweep, every result so far. */
const PassResults = z.union([
  z
    .object({ byApi: RevocationResultList, byOperator: RevocationResultList })
    .strict()
    .transform(({ byApi, byOperator }) => [...byApi, ...byOperator])
    .pipe(RevocationResultList),
  RevocationResultList,
]);

const RevocationResults = z.object({
  owner: OwnerRef,
  requestId: ExecutionName,
  /** The execution's own input, to start the continuation with. */
  request: RevocationInput,
  continueAfter: z.string().max(512).nullable(),
  results: PassResults,
  held: HeldList.default([]),
  keptByTeams: KeptList.default([]),
});

const SweepInput = z
  .object({
    owner: OwnerRef,
    reason: z.string().max(200),
    requestId: ExecutionName,
    /** The pass just done: its credentials and their results. */
    credentials: RevocationLanes,
    results: PassResults,
    /** The results of the passes before it. */
    settled: RevocationResultList.default([]),
    /** How many listings so far (FindOwnerCredentials was the first); this sweep is the next. */
    listings: z.number().int().min(1).max(MAX_LISTINGS_PER_REVOCATION).default(1),
    /** Only the last execution of a continued revocation sweeps: none continues it. */
    continueAfter: z.null().default(null),
    /** Where this execution took up from its predecessors: what they handled is not swept again. */
    continuedAfter: z.string().max(512).nullable().default(null),
    held: HeldList.default([]),
    keptByTeams: KeptList.default([]),
    /** A hold's end: the one credential this revocation takes (the request's `credential`). */
    credential: z.string().max(512).nullable().default(null),
  })
  .strict();

/**
 * SweepOwnerCredentials, once the listing lag has passed since the last listing: lists the owner's
 * credentials again and hands on those no pass has handled yet (a credential provisioned just
 * before, or during, the revocation), with every result so far. What the last allowed listing
 * still finds is reported as not revoked.
 */
export async function sweepOwnerCredentials(deps: WorkflowDeps, input: unknown) {
  const {
    owner,
    reason,
    requestId,
    results,
    settled,
    listings,
    continuedAfter,
    held,
    keptByTeams,
    credential,
  } = parseInput(SweepInput, input, 'revocation sweep');
  const done = [...settled, ...results];
  const handled = new Set([...done.map((r) => r.secretName), ...held.map((h) => h.secretName)]);
  // A predecessor marks what it takes `revoking` before anything else: those it reports, not this one.
  const byPredecessor = (s: SecretDescription) =>
    continuedAfter !== null && s.name <= continuedAfter && credentialStatus(s) === 'revoking';
  const decided = await decideEach(
    deps,
    { owner, requestId, reason },
    (await heldBy(deps, owner, credential)).filter((s) => !handled.has(s.name) && !byPredecessor(s)),
  );
  const found = decided.revoke.map(revocationTarget);
  const last = listings + 1 >= MAX_LISTINGS_PER_REVOCATION;
  const next = found.slice(0, last ? 0 : CREDENTIALS_PER_EXECUTION);
  const late: RevocationResult[] = found.slice(next.length).map((c) => ({
    secretName: c.secretName,
    status: 'failed',
    error: FOUND_LATE_ERROR_NAME,
    cause: `found by listing ${listings + 1} of ${owner}'s credentials, after this revocation's last pass: run the revocation again`,
  }));
  const all = [...done, ...late];
  if (all.length > MAX_RESULTS) {
    throw new FatalError(
      `${owner} holds ${late.length} more credentials than this revocation can revoke: start it again after this one`,
    );
  }
  return {
    owner,
    reason,
    requestId,
    credentials: await inLanes(deps, next),
    results: all,
    settled: all,
    listings: listings + 1,
    continueAfter: null,
    continuedAfter,
    held: [...held, ...decided.held],
    keptByTeams,
    credential,
  };
}

/** How a failed revocation's report names its continuation (the last words of its message). */
const CONTINUATION_MARK = "; the owner's further credentials: ";

/**
 * The execution continuing an ended revoke execution, if it started one: named by its output, or
 * by its failure's report (the CLI and the tests follow a revocation through it).
 */
export function revocationContinuation(described: { output?: string; cause?: string }): string | undefined {
  if (described.output) return (JSON.parse(described.output) as { continuation?: string }).continuation;
  const message = causeMessage(described.cause);
  const at = message.lastIndexOf(CONTINUATION_MARK);
  return at < 0 ? undefined : message.slice(at + CONTINUATION_MARK.length);
}

/**
 * ReportRevocation: first starts the continuation when the owner holds more credentials than one
 * execution revokes; then success only when every credential of this execution is revoked,
 * otherwise the precise report fails the run. A credential whose product never refused it plainly
 * (`RevocationUnproven`) is reported as "revocation unproven", apart from the ones that failed.
 */
export async function reportRevocation(deps: WorkflowDeps, starter: WorkflowStarter, input: unknown) {
  const { owner, requestId, results, request, continueAfter, held, keptByTeams } = parseInput(
    RevocationResults,
    input,
    'revocation results',
  );
  const continuation =
    continueAfter === null
      ? undefined
      : (await starter.start(continuationNameFor(requestId, continueAfter), { ...request, continueAfter }))
          .executionArn;
  const continued = continuation ? `${CONTINUATION_MARK}${continuation}` : '';
  const notRevoked = results.filter((r) => r.status === 'failed');
  const revoked = results.filter((r) => r.status === 'revoked').map((r) => r.secretName);
  if (notRevoked.length > 0) {
    const failed = notRevoked
      .filter((r) => r.error !== UNPROVEN_ERROR_NAME)
      .map((f) => `${f.secretName}: ${f.error ?? 'failed'} (${failureReason(f.error, f.cause)})`);
    const unproven = notRevoked
      .filter((r) => r.error === UNPROVEN_ERROR_NAME)
      .map((u) => ({ secretName: u.secretName, reason: causeMessage(u.cause) }));
    await deps.events.publish('credential.revocation-failed', {
      owner,
      requestId,
      revoked,
      held,
      failed,
      unproven,
    });
    const report = [...failed, ...unproven.map((u) => `${u.secretName}: revocation unproven (${u.reason})`)];
    // Held credentials are no failure, but the report names them too; the continuation stays last.
    const heldNote =
      held.length > 0
        ? `; held, not failed: ${held.map((h) => `${h.secretName} until ${h.heldUntil}, revoked by its schedule at ${h.revokesAt} (${h.reason})`).join(', ')}`
        : '';
    throw new RevocationIncompleteError(
      `${notRevoked.length} of ${results.length} credentials of ${owner} are not revoked: ${report.join('; ')}${heldNote}${continued}`,
    );
  }
  const seconds = continuation ? undefined : deactivationToLastRefusal(request.deactivatedAt, results);
  return {
    owner,
    requestId,
    revoked,
    held,
    keptByTeams,
    status: 'revoked' as const,
    ...(continuation ? { continuation } : {}),
    ...(seconds === undefined ? {} : { deactivationToLastRefusalSeconds: seconds }),
  };
}

/** Seconds from the deactivation event to the last credential retired (each right after its proof). */
function deactivationToLastRefusal(
  deactivatedAt: string | undefined,
  results: readonly RevocationResult[],
): number | undefined {
  const retired = results.flatMap((r) => (r.retiredAt ? [Date.parse(r.retiredAt)] : []));
  if (!deactivatedAt || retired.length === 0) return undefined;
  return Math.max(0, Math.round((Math.max(...retired) - Date.parse(deactivatedAt)) / 1000));
}
