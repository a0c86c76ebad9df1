/**
 * The rotate workflow's steps. Twin-user products (API-issued): a
 * new key on the idle twin. Operator products (issued only in their UI): a person
 * hands in a second credential beside the current one. Either way the new credential is stored as
 * AWSPENDING, verified, promoted to AWSCURRENT (the old one becomes AWSPREVIOUS), consumers get a
 * grace period to re-read, then the old credential is retired (the twin removed, or the operator
 * asked) and proven refused. A consumer reading AWSCURRENT never holds a dead key. A rotation that
 * fails before promotion leaves the current credential untouched and working.
 */
import * as z from 'zod';
import { storedExpiry } from '../credential-expiry.ts';
import { ConflictError, CredentialNotYetValidError, FatalError, ValidationError } from '../errors.ts';
import { ExecutionName } from '../execution-names.ts';
import { CURRENT, credentialSecretName, PENDING, PREVIOUS, TAG } from '../names.ts';
import {
  CALLBACK_TASK_FIELDS,
  checkKeyLimit,
  openOperatorTask,
  revocationInstructions,
  revocationTaskId,
} from '../operator-tasks.ts';
import { asApiVendor, asOperatorVendor } from '../products/adapters.ts';
import { materialOf } from '../products/index.ts';
import { removeCredentialUser, twinsOf } from '../products/managed-user.ts';
import { provesRefusal, type VerifyResult } from '../products/vendor.ts';
import { parseRotationTag, type RotationTiming, windowStart } from '../rotation-timing.ts';
import { scheduleFor } from '../schedules.ts';
import { ApiUserName, CredentialTarget, parseInput, RpcPermit } from '../schemas.ts';
import { type CredentialValue, clientRequestToken, credentialStatus, versionWithStage } from '../secrets.ts';
import { failureReason, StepError } from '../step-error.ts';
import type { WorkflowDeps } from '../workflow-deps.ts';
import { keepAccessToken, requireRefusal, vendorOf, withEgressAddresses } from '../workflow-deps.ts';

export const RotateRequest = z
  .object({
    target: CredentialTarget.describe(
      'Target of the credential (`<fleet>.<device>` for one FortiGate of a fleet)',
    ),
    apiUser: ApiUserName.describe('The API user name the credential was provisioned under'),
    startNow: z
      .boolean()
      .optional()
      .describe(
        "An operator's rotation that starts at once: outside the credential's window, without the notice's lead time",
      ),
    dryRun: z
      .boolean()
      .optional()
      .describe(
        'true: the execution only returns the plan (what it would create, call, ask and when) and changes nothing',
      ),
  })
  .strict();
export type RotateRequest = z.output<typeof RotateRequest>;

const UserSpec = z
  .object({
    profile: z.string(),
    trustedHosts: z.array(z.string()).min(1),
    vdom: z.string(),
    rpcPermit: RpcPermit.optional(),
  })
  .strict();

export const RotationState = z
  .object({
    request: RotateRequest,
    requestId: ExecutionName,
    secretName: z.string().max(512),
    secretArn: z.string().max(2048),
    /** `api`: twin users; `operator`: a person hands in the new credential. */
    issuance: z.enum(['api', 'operator']),
    /** The user holding the current key, and the one getting the new key (the same user for operator products). */
    currentUser: ApiUserName,
    idleUser: ApiUserName,
    currentVersionId: z.string().max(64),
    /** How long the previous credential stays valid after promotion (the credential's grace period). */
    graceSeconds: z.number().int().positive(),
    userSpec: UserSpec.optional(),
    /** The product user whose key limit the overlap counts against (operator products). */
    serviceUser: z.string().max(254).optional(),
    twin: z.object({ createdByThisRequest: z.boolean() }).strict().optional(),
    pending: z
      .object({ versionId: z.string().max(64) })
      .strict()
      .optional(),
    retired: z.object({ needsOperator: z.boolean() }).strict().optional(),
    error: StepError.optional(),
  })
  .strict();
export type RotationState = z.output<typeof RotationState>;

function parseState(input: unknown): RotationState {
  return parseInput(RotationState, input, 'rotation state');
}

/** The credential a rotate request names, refused unless it is active and its product can rotate it. */
export async function rotatableCredential(deps: WorkflowDeps, request: RotateRequest) {
  const { vendor } = await vendorOf(deps, request.target);
  const { issuance, twinUsers } = vendor.capabilities;
  if (issuance === 'api' && !twinUsers) {
    throw new ValidationError(`${vendor.name} has no twin users to rotate between`);
  }
  const secretName = credentialSecretName(request.target, request.apiUser);
  const secret = await deps.store.describe(secretName);
  if (!secret || secret.deletedDate || credentialStatus(secret) !== 'active') {
    throw new ConflictError(`${secretName} is not an active credential: nothing to rotate`);
  }
  return { vendor, issuance, secretName, secret };
}

export const RotationStart = z
  .object({
    request: RotateRequest,
    executionName: ExecutionName,
    /** When the rotation may change something: the notice's lead time on, inside the window. */
    startAt: z.string().datetime(),
  })
  .strict();
export type RotationStart = z.output<typeof RotationStart>;

/** The notice's lead time from now, then the next moment inside the window; now for `startNow`. */
export function rotationStartAt(timing: RotationTiming, request: RotateRequest, now: Date): Date {
  if (request.startNow) return now;
  return windowStart(new Date(now.getTime() + timing.noticeMinutes * 60_000), timing);
}

/**
 * ScheduleRotation: when this rotation may start (the notice's lead time from now, then the next
 * moment inside the credential's window; at once for an operator's `startNow`), announced as
 * `credential.rotation-scheduled` before anything changes. The workflow waits until then.
 */
export async function scheduleRotation(
  deps: WorkflowDeps,
  input: { request: unknown; executionName: unknown },
): Promise<RotationStart> {
  const request = parseInput(RotateRequest, input.request, 'rotate request');
  const executionName = parseInput(ExecutionName, input.executionName, 'execution name');
  const { secret } = await rotatableCredential(deps, request);
  const timing = parseRotationTag(secret.tags[TAG.rotation]);
  const startAt = rotationStartAt(timing, request, deps.now());
  await deps.events.publish('credential.rotation-scheduled', {
    target: request.target,
    apiUser: request.apiUser,
    owner: secret.tags[TAG.owner] ?? 'unknown',
    ticket: secret.tags[TAG.ticket] ?? 'none',
    requestId: executionName,
    secretArn: secret.arn,
    startAt: startAt.toISOString(),
    gracePeriodMinutes: timing.gracePeriodMinutes,
  });
  return { request, executionName, startAt: startAt.toISOString() };
}

/**
 * ValidateRotation (once the start has come): an active credential, no rotation already in flight;
 * twin users or an operator task. It reads the credential afresh: another rotation may have run
 * while this one waited.
 */
export async function validateRotation(
  deps: WorkflowDeps,
  input: { request: unknown; executionName: unknown },
): Promise<RotationState> {
  const request = parseInput(RotateRequest, input.request, 'rotate request');
  const requestId = parseInput(RotationState.shape.requestId, input.executionName, 'execution name');
  const { issuance, secretName, secret } = await rotatableCredential(deps, request);
  const pending = versionWithStage(secret, PENDING);
  const currentVersionId = versionWithStage(secret, CURRENT);
  if (pending && pending !== currentVersionId) {
    throw new ConflictError(`${secretName} has a pending version: another rotation is in flight`);
  }
  if (!currentVersionId) throw new FatalError(`${secretName} has no current version`);
  const graceSeconds = parseRotationTag(secret.tags[TAG.rotation]).gracePeriodMinutes * 60;
  const common = { request, requestId, secretName, secretArn: secret.arn, currentVersionId, graceSeconds };
  if (issuance === 'operator') {
    const serviceUser = secret.tags[TAG.serviceUser];
    return {
      ...common,
      issuance,
      currentUser: request.apiUser,
      idleUser: request.apiUser,
      ...(serviceUser ? { serviceUser } : {}),
    };
  }
  const current = await deps.store.readVersion(secret.arn, currentVersionId);
  const userSpec = parseInput(UserSpec, current.userSpec, `user spec stored with ${secretName}`);
  const [first, second] = twinsOf(request.apiUser);
  const currentUser = current.apiUser === second ? second : first;
  return {
    ...common,
    issuance,
    currentUser,
    idleUser: currentUser === first ? second : first,
    // The twin is a new API user: it trusts the egress addresses too, even if its first did not.
    userSpec: {
      ...userSpec,
      trustedHosts: withEgressAddresses(deps, userSpec.trustedHosts, `cannot rotate ${secretName}`),
    },
  };
}

const RotationTaskInput = z.object({ state: RotationState, ...CALLBACK_TASK_FIELDS }).strict();

async function operatorTaskContext(deps: WorkflowDeps, input: unknown) {
  const { state, ...bounds } = parseInput(RotationTaskInput, input, 'rotation task input');
  const { vendor: anyVendor, target } = await vendorOf(deps, state.request.target);
  const description = await deps.store.describe(state.secretArn);
  const task = {
    ...bounds,
    requestId: state.requestId,
    secretName: state.secretName,
    secretArn: state.secretArn,
    vendor: target.vendor,
    target: state.request.target,
    apiUser: state.request.apiUser,
    owner: description?.tags[TAG.owner] ?? 'unknown',
    ticket: description?.tags[TAG.ticket] ?? 'none',
  };
  return { state, vendor: asOperatorVendor(anyVendor), target, task };
}

/**
 * RequestRotatedCredential (operator products, a callback task): a person creates a second
 * credential beside the current one and hands it in; AcceptOperatorAnswer verifies it, stores it
 * as AWSCURRENT (the old one becomes AWSPREVIOUS) and answers with its version id. The key limit must allow the old and the new key at once.
 */
export async function requestRotatedCredential(deps: WorkflowDeps, input: unknown) {
  const { state, vendor, task } = await operatorTaskContext(deps, input);
  await checkKeyLimit(
    deps,
    vendor,
    { target: task.target, serviceUser: state.serviceUser, secretName: task.secretName },
    2,
  );
  return openOperatorTask(deps, {
    ...task,
    taskId: state.requestId,
    action: 'rotate',
    instructions: vendor.instructions(
      { apiUser: task.apiUser, ticket: task.ticket, serviceUser: state.serviceUser },
      'rotate',
    ),
  });
}

/**
 * RequestPreviousRevocation (operator products, after the grace period, a callback task): the
 * previous credential still works, so a person removes it in the product and confirms with --done.
 */
export async function requestPreviousRevocation(deps: WorkflowDeps, input: unknown) {
  const { state, vendor, target, task } = await operatorTaskContext(deps, input);
  const previous = await deps.store.readVersion(state.secretArn, state.currentVersionId);
  const { operatorAction } = await vendor.revoke(materialOf(target.vendor, previous));
  const taskId = revocationTaskId(state.requestId, state.secretName);
  return openOperatorTask(deps, {
    ...task,
    taskId,
    action: 'revoke',
    instructions: revocationInstructions(
      `Rotation of ${task.secretName}: consumers now use the new ${vendor.name} credential; remove the previous one in the product, then confirm`,
      operatorAction ?? 'remove the previous credential in the product',
      taskId,
    ),
  });
}

/**
 * A revocation may run while a rotation does: after each step that issues or promotes, the rotation
 * re-reads the credential's status and stops (its compensation removes what it made) unless it is
 * still active, so nothing is issued for a revoked credential.
 */
async function assertStillActive(deps: WorkflowDeps, state: RotationState): Promise<void> {
  const secret = await deps.store.describe(state.secretArn);
  if (!secret || secret.deletedDate || credentialStatus(secret) !== 'active') {
    throw new ConflictError(`${state.secretName} is no longer active (revoked meanwhile): rotation stopped`);
  }
}

/** EnsureTwinUser: the idle twin exists with the same profile and trusted hosts (create-if-absent, adopt our own). */
export async function ensureTwinUser(deps: WorkflowDeps, input: unknown) {
  const state = parseState(input);
  const { vendor } = await vendorOf(deps, state.request.target);
  const spec = state.userSpec;
  if (!spec) throw new ValidationError('rotation state has no user spec: twin users need one');
  const ensured = await asApiVendor(vendor).ensureUser({
    name: state.idleUser,
    profile: spec.profile,
    trustedHosts: spec.trustedHosts,
    vdom: spec.vdom,
    requestId: state.requestId,
    credential: state.request,
    comment: `twin of ${state.request.apiUser}`,
    rpcPermit: spec.rpcPermit,
  });
  await assertStillActive(deps, state);
  return ensured;
}

/** IssueTwinKey: a key on the idle twin, stored as AWSPENDING under a token derived from this rotation. */
export async function issueTwinKey(deps: WorkflowDeps, input: unknown): Promise<{ versionId: string }> {
  const state = parseState(input);
  const { vendor, target } = await vendorOf(deps, state.request.target);
  const token = clientRequestToken(state.requestId, 'issue-twin-key');
  const secret = await deps.store.describe(state.secretArn);
  if (secret?.versions[token]) return { versionId: token };
  const { key } = await asApiVendor(vendor).issueKey(state.idleUser);
  const value: CredentialValue = {
    vendor: target.vendor,
    target: state.request.target,
    apiUser: state.idleUser,
    key,
    issuedAt: deps.now().toISOString(),
    userSpec: state.userSpec,
  };
  const versionId = await deps.store.storePending(state.secretArn, value, token);
  await assertStillActive(deps, state);
  return { versionId };
}

/**
 * VerifyPendingKey: the product accepts the new credential (retried while it propagates). A token
 * broker's verification mints a token, which becomes the one consumers read.
 */
export async function verifyPendingKey(deps: WorkflowDeps, input: unknown): Promise<void> {
  const state = parseState(input);
  const pending = requirePending(state);
  const { vendor, target } = await vendorOf(deps, state.request.target);
  const stored = await deps.store.readVersion(state.secretArn, pending.versionId);
  const material = materialOf(target.vendor, stored);
  const result = await vendor.verify(material);
  if (result.outcome === 'broken') {
    throw new FatalError(`${state.request.target} refuses the new credential: ${result.reason}`);
  }
  // Rejected or inconclusive: not yet valid, retried, then failed; never promoted on it.
  if (result.outcome !== 'accepted') {
    throw new CredentialNotYetValidError(
      `${state.request.target} does not accept the new credential of ${state.idleUser} yet${result.reason ? ` (${result.reason})` : ''}`,
    );
  }
  if (result.accessToken) {
    await keepAccessToken(deps, state.secretName, result.accessToken);
  }
}

/** PromotePendingKey: AWSCURRENT moves to the new key; the old one stays readable as AWSPREVIOUS. */
export async function promotePendingKey(deps: WorkflowDeps, input: unknown): Promise<void> {
  const state = parseState(input);
  await assertStillActive(deps, state);
  await deps.store.promote(state.secretArn, requirePending(state).versionId);
}

/**
 * RetirePreviousKey (after the grace period): the old twin is removed and its key must now be
 * refused (or, where the product proves users gone through its admin API, the twin gone); a product
 * that still accepts it, or answers inconclusively, is retried, then reported.
 * Operator products: a previous credential the product already refuses (a new download killed it)
 * needs nobody; one it still accepts, or may accept, needs an operator (`needsOperator`).
 */
export async function retirePreviousKey(
  deps: WorkflowDeps,
  input: unknown,
): Promise<{ needsOperator: boolean }> {
  const state = parseState(input);
  const product = await vendorOf(deps, state.request.target);
  const api = state.issuance === 'api' ? asApiVendor(product.vendor) : undefined;
  if (api) await removeCredentialUser(api, state.currentUser, state.request);
  // The old twin gone proves its key dead without presenting it (as ProveRevoked does): rotations
  // in one Scheduler window would otherwise lock the provisioner's address out of FortiOS.
  const answer =
    (await api?.proveRevoked?.(state.currentUser, state.request)) ??
    (await verifyPrevious(deps, state, product));
  if (state.issuance === 'operator') return { needsOperator: !provesRefusal(answer) };
  requireRefusal(answer, state.request.target, previousCredential(state));
  return { needsOperator: false };
}

async function verifyPrevious(
  deps: WorkflowDeps,
  state: RotationState,
  { vendor, target }: Awaited<ReturnType<typeof vendorOf>>,
): Promise<VerifyResult> {
  const previous = await deps.store.readVersion(state.secretArn, state.currentVersionId);
  return vendor.verify(materialOf(target.vendor, previous));
}

function previousCredential(state: RotationState): string {
  return `the previous credential of ${state.currentUser}`;
}

/** ProvePreviousRevoked: the product refuses the previous credential now (retried while it forgets it). */
export async function provePreviousRevoked(deps: WorkflowDeps, input: unknown): Promise<void> {
  const state = parseState(input);
  const answer = await verifyPrevious(deps, state, await vendorOf(deps, state.request.target));
  requireRefusal(answer, state.request.target, previousCredential(state));
}

/** FinalizeRotation: tags the rotation and announces it (names and version ids only). */
export async function finalizeRotation(deps: WorkflowDeps, input: unknown) {
  const state = parseState(input);
  const pending = requirePending(state);
  const description = await deps.store.describe(state.secretArn);
  // A credential that expires rotates again before its new expiry: its one-time schedule moves.
  const { vendor, target } = await vendorOf(deps, state.request.target);
  const expiresAt = await storedExpiry(deps.store, target.vendor, state.secretArn, pending.versionId);
  const schedule = scheduleFor(vendor.capabilities, expiresAt, deps.now());
  if (schedule?.at) {
    await deps.schedules.remove(state.secretName);
    await deps.schedules.ensure({ ...state.request, secretName: state.secretName, ...schedule });
  }
  await deps.events.publish('credential.rotated', {
    target: state.request.target,
    apiUser: state.idleUser,
    owner: description?.tags[TAG.owner] ?? 'unknown',
    ticket: description?.tags[TAG.ticket] ?? 'none',
    requestId: state.requestId,
    secretArn: state.secretArn,
    versionId: pending.versionId,
  });
  return {
    secretName: state.secretName,
    apiUser: state.idleUser,
    versionId: pending.versionId,
    status: 'rotated',
  };
}

/**
 * CompensateRotation: before promotion, the pending version is unstaged and a twin this rotation
 * created is removed, so the current key is untouched. After promotion the new key is current and
 * works; the old one may still work too, which the failure event reports.
 */
export async function compensateRotation(deps: WorkflowDeps, input: unknown) {
  const state = parseState(input);
  const description = await deps.store.describe(state.secretArn);
  const pendingId = state.pending?.versionId ?? clientRequestToken(state.requestId, 'issue-twin-key');
  const promoted = description ? versionWithStage(description, CURRENT) === pendingId : false;
  if (!promoted) {
    // A secret a revocation scheduled for deletion takes no more writes, nor needs them.
    if (!description?.deletedDate && description?.versions[pendingId]?.includes(PENDING)) {
      await deps.store.removeStage(state.secretArn, PENDING, pendingId);
    }
    const { vendor } = await vendorOf(deps, state.request.target);
    if (state.issuance === 'api') {
      const api = asApiVendor(vendor);
      const twin = await api.findManagedUser(state.idleUser);
      if (twin?.requestId === state.requestId) await api.revoke(state.idleUser);
    }
  }
  // An operator task this rotation opened waits for nobody now.
  await deps.tasks.delete(state.requestId);
  await deps.tasks.delete(revocationTaskId(state.requestId, state.secretName));
  const owner = description?.tags[TAG.owner] ?? 'unknown';
  await deps.events.publish('credential.rotation-failed', {
    target: state.request.target,
    apiUser: state.request.apiUser,
    owner,
    ticket: description?.tags[TAG.ticket] ?? 'none',
    requestId: state.requestId,
    secretArn: state.secretArn,
    error: state.error?.Error ?? 'unknown',
    reason: promoted
      ? `the new key is current; the previous key may still work: ${failureReason(state.error?.Error, state.error?.Cause)}`
      : `the current key is untouched${state.issuance === 'operator' && state.pending ? '; the credential handed in for this rotation was not promoted, delete it in the product' : ''}: ${failureReason(state.error?.Error, state.error?.Cause)}`,
  });
  return { promoted, previousVersion: description ? versionWithStage(description, PREVIOUS) : undefined };
}

function requirePending(state: RotationState): { versionId: string } {
  if (!state.pending)
    throw new ValidationError('rotation state has no pending version: IssueTwinKey has not run');
  return state.pending;
}
