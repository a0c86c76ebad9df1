/**
 * The admin-rotate workflow's steps: a target's own admin credential (FortiOS's admin token)
 * rotates between two admin users, as a credential rotates between twin users. With the current
 * admin, its twin (`<admin>.b`, and back) is made a copy of it and gets a new key, stored as the
 * AWSPENDING version of the target's secret; the new key must administer (an admin read with it)
 * before it becomes AWSCURRENT; then the new admin deletes the old admin user and proves it gone
 * through the admin API, so no dead key is ever presented (FortiOS's lockout counts refused keys).
 * A failure before the promotion leaves the current admin credential current and working.
 */
import * as z from 'zod';
import {
  ConflictError,
  CredentialNotYetValidError,
  FatalError,
  NotFoundError,
  ValidationError,
} from '../errors.ts';
import { ExecutionName } from '../execution-names.ts';
import { CURRENT, PENDING, targetSecretName } from '../names.ts';
import { ADMIN_KEY_MAX_AGE_DAYS } from '../products/policy.ts';
import type { AdminTwins, ApiVendor } from '../products/vendor.ts';
import type { TargetDefinition } from '../requests.ts';
import { adminRotationSchedule } from '../schedules.ts';
import { ApiUserName, parseInput, TargetName } from '../schemas.ts';
import { clientRequestToken, versionWithStage } from '../secrets.ts';
import { failureReason, StepError } from '../step-error.ts';
import { requireRefusal, type WorkflowDeps } from '../workflow-deps.ts';

export const AdminRotateRequest = z
  .object({ target: TargetName.describe('Target whose admin credential rotates') })
  .strict();
export type AdminRotateRequest = z.output<typeof AdminRotateRequest>;

export const AdminRotationState = z
  .object({
    request: AdminRotateRequest,
    requestId: ExecutionName,
    secretArn: z.string().max(2048),
    currentVersionId: z.string().max(64),
    /** The admin user holding the current admin credential, and the twin getting the new one. */
    currentAdmin: ApiUserName,
    idleAdmin: ApiUserName,
    pending: z
      .object({ versionId: z.string().max(64) })
      .strict()
      .optional(),
    error: StepError.optional(),
  })
  .strict();
export type AdminRotationState = z.output<typeof AdminRotationState>;

const ISSUE_STEP = 'issue-admin-key';

function parseState(input: unknown): AdminRotationState {
  return parseInput(AdminRotationState, input, 'admin rotation state');
}

/** The twin of an admin user: `<admin>.b`, and back (the target schema keeps names within 33 characters). */
export function adminTwinOf(admin: string): string {
  return admin.endsWith('.b') ? admin.slice(0, -2) : `${admin}.b`;
}

/**
 * What an admin twin carries in its comments: not the managed-user marker, so reconciliation never
 * takes an admin for a credential's orphan; the same for every rotation of the target, so a twin
 * an earlier failed rotation left is adopted and re-keyed.
 */
function adminTwinMarker(target: string): string {
  return `credential-provisioner admin twin of target ${target}`;
}

/** The admin user the target's token belongs to, as its definition names it. */
function adminUserOf(target: TargetDefinition, name: string): string {
  const credential = 'adminCredential' in target ? target.adminCredential : undefined;
  const user = credential && 'user' in credential ? (credential.user as string | undefined) : undefined;
  if (!user) {
    throw new ValidationError(
      `target ${name} does not name the admin user its token belongs to (adminCredential.user): add it with \`provisioner target add\` before rotating`,
    );
  }
  return user;
}

/** The adapter acting with `target`'s admin credential, and its admin twins (refused where the product has none). */
async function adminOf(
  deps: WorkflowDeps,
  target: TargetDefinition,
  name: string,
): Promise<ApiVendor & { adminTwins: AdminTwins }> {
  const vendor = await deps.vendorFor({ target });
  if (vendor.capabilities.issuance !== 'api' || !('adminTwins' in vendor) || !vendor.adminTwins) {
    throw new ValidationError(
      `${vendor.name} has no admin twins: the admin credential of target ${name} is rotated by a person (see the product's README), then stored with \`provisioner target add\``,
    );
  }
  return vendor as ApiVendor & { adminTwins: AdminTwins };
}

/** How old the target's admin credential may grow (its policy, else the default). */
function adminKeyMaxAgeDays(target: TargetDefinition): number {
  const policy =
    'policy' in target ? (target.policy as { adminKeyMaxAgeDays?: number } | undefined) : undefined;
  return policy?.adminKeyMaxAgeDays ?? ADMIN_KEY_MAX_AGE_DAYS;
}

const DAY_MS = 86_400_000;

/**
 * Reconciliation's finding on a target whose admin credential rotates here (admin twins): a line
 * when it is older than the target's policy allows, from when the rotation issued it, or, never
 * rotated, from when its definition was stored; undefined otherwise.
 */
export async function staleAdminCredential(
  deps: WorkflowDeps,
  name: string,
  target: TargetDefinition,
): Promise<string | undefined> {
  const vendor = await deps.vendorFor({ target });
  if (vendor.capabilities.issuance !== 'api' || !('adminTwins' in vendor) || !vendor.adminTwins)
    return undefined;
  const credential = 'adminCredential' in target ? target.adminCredential : undefined;
  const rotatedAt =
    credential && 'issuedAt' in credential ? (credential.issuedAt as string | undefined) : undefined;
  const issuedAt = rotatedAt ?? (await deps.store.targetStoredAt(name))?.toISOString();
  if (!issuedAt) return undefined;
  const maxDays = adminKeyMaxAgeDays(target);
  const days = Math.floor((deps.now().getTime() - Date.parse(issuedAt)) / DAY_MS);
  if (days <= maxDays) return undefined;
  return `${name}: admin credential issued ${issuedAt}, ${days} days ago, over the policy's ${maxDays} (provisioner target rotate ${name})`;
}

/**
 * ValidateAdminRotation: the product rotates admin twins, the target names its admin user, and no
 * other admin rotation has a pending version (a repeat of this one's own step is fine).
 */
export async function validateAdminRotation(
  deps: WorkflowDeps,
  input: { request: unknown; executionName: unknown },
): Promise<AdminRotationState> {
  const request = parseInput(AdminRotateRequest, input.request, 'admin rotate request');
  const requestId = parseInput(ExecutionName, input.executionName, 'execution name');
  const target = await deps.store.loadTarget(request.target);
  await adminOf(deps, target, request.target);
  const currentAdmin = adminUserOf(target, request.target);
  const secretName = targetSecretName(request.target);
  const secret = await deps.store.describe(secretName);
  if (!secret) throw new NotFoundError(`unknown target "${request.target}"`);
  const currentVersionId = versionWithStage(secret, CURRENT);
  if (!currentVersionId) throw new FatalError(`${secretName} has no current version`);
  const pending = versionWithStage(secret, PENDING);
  if (pending && pending !== currentVersionId && pending !== clientRequestToken(requestId, ISSUE_STEP)) {
    throw new ConflictError(
      `${secretName} has a pending admin credential: another admin rotation is in flight`,
    );
  }
  return {
    request,
    requestId,
    secretArn: secret.arn,
    currentVersionId,
    currentAdmin,
    idleAdmin: adminTwinOf(currentAdmin),
  };
}

/**
 * IssueAdminKey: the twin admin exists as a copy of the current one, a key is generated on it and
 * stored as the target's AWSPENDING definition under a token derived from this rotation, so a
 * retry finds it and generates nothing new. This invocation is the only one that sees the key.
 */
export async function issueAdminKey(deps: WorkflowDeps, input: unknown): Promise<{ versionId: string }> {
  const state = parseState(input);
  const token = clientRequestToken(state.requestId, ISSUE_STEP);
  const secret = await deps.store.describe(state.secretArn);
  if (secret?.versions[token]) return { versionId: token };
  const target = await deps.store.loadTarget(state.request.target, state.currentVersionId);
  const admin = await adminOf(deps, target, state.request.target);
  await admin.adminTwins.ensureAdminTwin(
    state.currentAdmin,
    state.idleAdmin,
    adminTwinMarker(state.request.target),
  );
  const { key } = await admin.issueKey(state.idleAdmin);
  const next = {
    ...target,
    adminCredential: { token: key, user: state.idleAdmin, issuedAt: deps.now().toISOString() },
  } as TargetDefinition;
  return { versionId: await deps.store.storePending(state.secretArn, next, token) };
}

/** VerifyAdminKey: the new key administers (retried while it propagates); never promoted otherwise. */
export async function verifyAdminKey(deps: WorkflowDeps, input: unknown): Promise<void> {
  const state = parseState(input);
  const next = await deps.store.loadTarget(state.request.target, requirePending(state).versionId);
  const result = await (await adminOf(deps, next, state.request.target)).adminTwins.verifyAdmin();
  if (result.outcome === 'broken') {
    throw new FatalError(`${state.request.target} refuses the new admin credential: ${result.reason}`);
  }
  if (result.outcome !== 'accepted') {
    throw new CredentialNotYetValidError(
      `${state.request.target} does not accept the new admin credential of ${state.idleAdmin} yet${result.reason ? ` (${result.reason})` : ''}`,
    );
  }
}

/** PromoteAdminKey: AWSCURRENT moves to the new admin credential; the old one stays readable as AWSPREVIOUS. */
export async function promoteAdminKey(deps: WorkflowDeps, input: unknown): Promise<void> {
  const state = parseState(input);
  await deps.store.promote(state.secretArn, requirePending(state).versionId);
}

/**
 * RetireAdminKey: with the new admin credential, the old admin user is deleted and must be gone
 * (retried, then reported): proven through the admin API, never by presenting the old key.
 */
export async function retireAdminKey(deps: WorkflowDeps, input: unknown): Promise<void> {
  const state = parseState(input);
  const target = await deps.store.loadTarget(state.request.target);
  if (adminUserOf(target, state.request.target) !== state.idleAdmin) {
    throw new ConflictError(
      `the admin credential of ${state.request.target} changed during the rotation: ${state.currentAdmin} is not retired`,
    );
  }
  const answer = await (await adminOf(deps, target, state.request.target)).adminTwins.retireAdmin(
    state.currentAdmin,
  );
  requireRefusal(answer, state.request.target, `the previous admin credential (${state.currentAdmin})`);
}

/**
 * FinalizeAdminRotation: the target's rotation schedule exists (create-if-absent, at half its
 * policy's maximum age), and the rotation is announced (names and version ids only).
 */
export async function finalizeAdminRotation(deps: WorkflowDeps, input: unknown) {
  const state = parseState(input);
  const { versionId } = requirePending(state);
  const target = await deps.store.loadTarget(state.request.target);
  await deps.schedules.ensure({
    secretName: targetSecretName(state.request.target),
    target: state.request.target,
    apiUser: state.idleAdmin,
    ...adminRotationSchedule(adminKeyMaxAgeDays(target)),
  });
  await deps.events.publish('credential.admin-rotated', {
    target: state.request.target,
    adminUser: state.idleAdmin,
    requestId: state.requestId,
    secretArn: state.secretArn,
    versionId,
  });
  return { target: state.request.target, adminUser: state.idleAdmin, versionId, status: 'admin-rotated' };
}

/**
 * CompensateAdminRotation: before the promotion, the pending version is unstaged and the twin
 * admin removed (its key is in no current secret), so the current admin credential is untouched.
 * After it, the new admin credential is current and works; the old admin may still exist, which
 * the failure event reports.
 */
export async function compensateAdminRotation(deps: WorkflowDeps, input: unknown) {
  const state = parseState(input);
  const secret = await deps.store.describe(state.secretArn);
  const pendingId = state.pending?.versionId ?? clientRequestToken(state.requestId, ISSUE_STEP);
  const promoted = secret ? versionWithStage(secret, CURRENT) === pendingId : false;
  if (!promoted) {
    if (secret?.versions[pendingId]?.includes(PENDING)) {
      await deps.store.removeStage(state.secretArn, PENDING, pendingId);
    }
    const target = await deps.store.loadTarget(state.request.target);
    // Only a twin carrying the admin-twin marker goes: one someone else made is left alone.
    await (await adminOf(deps, target, state.request.target)).adminTwins.retireAdmin(
      state.idleAdmin,
      adminTwinMarker(state.request.target),
    );
  }
  const why = failureReason(state.error?.Error, state.error?.Cause);
  await deps.events.publish('credential.admin-rotation-failed', {
    target: state.request.target,
    adminUser: promoted ? state.idleAdmin : state.currentAdmin,
    requestId: state.requestId,
    secretArn: state.secretArn,
    error: state.error?.Error ?? 'unknown',
    reason: promoted
      ? `the new admin credential is current; the previous admin user ${state.currentAdmin} may still exist: ${why}`
      : `the current admin credential is untouched: ${why}`,
  });
  return { promoted };
}

function requirePending(state: AdminRotationState): { versionId: string } {
  if (!state.pending)
    throw new ValidationError('admin rotation state has no pending version: IssueAdminKey has not run');
  return state.pending;
}
