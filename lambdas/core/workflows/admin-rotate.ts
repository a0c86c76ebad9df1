/**
 * The admin-rotate workflow's steps: a target's own admin credential (the admin API token of
 * FortiOS or FortiManager, or FortiManager's SSH login) rotates between two admin users, as a
 * credential rotates between twin users. With the current admin token, the twin (`<admin>.b`, and
 * back) is made a copy of the current admin and gets a new key (or password), stored as the
 * AWSPENDING version of the target's secret; the new credential must work (an admin read, or a
 * login) before it becomes AWSCURRENT; then the old admin user is deleted and proven gone through
 * the admin API, so no dead credential is ever presented (lockouts count refused logins).
 * A failure before the promotion leaves the current admin credential current and working.
 */
import { randomBytes } from 'node:crypto';
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
import type { AdminTwins, ApiVendor, LoginTwins, Vendor, VerifyResult } from '../products/vendor.ts';
import type { TargetDefinition } from '../requests.ts';
import { adminRotationSchedule, adminScheduleSecretName } from '../schedules.ts';
import { ApiUserName, parseInput, TargetName } from '../schemas.ts';
import { clientRequestToken, versionWithStage } from '../secrets.ts';
import { failureReason, StepError } from '../step-error.ts';
import { requireRefusal, type WorkflowDeps } from '../workflow-deps.ts';

const AdminCredentialKind = z.enum(['api-token', 'ssh']);
type AdminCredentialKind = z.output<typeof AdminCredentialKind>;

export const AdminRotateRequest = z
  .object({
    target: TargetName.describe('Target whose admin credential rotates'),
    credential: AdminCredentialKind.default('api-token').describe(
      'which: the admin API token, or the SSH login keys are generated with (FortiManager)',
    ),
  })
  .strict();
export type AdminRotateRequest = z.output<typeof AdminRotateRequest>;

/** The schedules of a target just added (`provisioner target add`), before its first rotation. */
export const AdminSchedulesRequest = z
  .object({
    target: TargetName.describe('Target whose admin credentials get their rotation schedules'),
    schedulesOnly: z.literal(true),
  })
  .strict();

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

type Admin = ApiVendor & { adminTwins: AdminTwins };

/** What a rotation needs to put a new credential on the twin. */
interface TwinIssue {
  readonly admin: Admin;
  readonly target: TargetDefinition;
  readonly current: string;
  readonly twin: string;
  readonly marker: string;
  readonly issuedAt: string;
}

/** How each kind of admin credential is named in a target, issued on the twin and proven. */
interface AdminCredentialRotation {
  /** What the messages call it. */
  readonly what: string;
  /** The field naming the admin user it belongs to. */
  readonly userField: string;
  /** The admin user it belongs to and when it was issued, as the target's definition holds them. */
  read(target: TargetDefinition): { readonly user?: string; readonly issuedAt?: string } | undefined;
  /** Whether the product's adapter rotates it. */
  rotatesOn(vendor: Admin): boolean;
  /** The twin made a copy of the current admin, a new credential on it, as the target's next definition. */
  issue(issue: TwinIssue): Promise<TargetDefinition>;
  /** The product's word on the credential of the adapter's target. */
  verify(admin: Admin): Promise<VerifyResult>;
}

/** The adapter's CLI login twins, which `rotatesOn` made sure of. */
function loginTwinsOf(admin: Admin): LoginTwins {
  if (!admin.loginTwins) throw new ValidationError(`${admin.name} has no SSH login twins`);
  return admin.loginTwins;
}

const ADMIN_CREDENTIALS: Record<AdminCredentialKind, AdminCredentialRotation> = {
  'api-token': {
    what: 'admin credential',
    userField: 'adminCredential.user',
    read: (target) =>
      'adminCredential' in target
        ? (target.adminCredential as { user?: string; issuedAt?: string })
        : undefined,
    rotatesOn: () => true,
    async issue({ admin, target, current, twin, marker, issuedAt }) {
      await admin.adminTwins.ensureAdminTwin(current, twin, marker);
      const { key } = await admin.issueKey(twin);
      return { ...target, adminCredential: { token: key, user: twin, issuedAt } } as TargetDefinition;
    },
    verify: (admin) => admin.adminTwins.verifyAdmin(),
  },
  ssh: {
    what: 'SSH credential',
    userField: 'ssh.username',
    read: (target) => {
      const ssh = 'ssh' in target ? (target.ssh as { username: string; issuedAt?: string }) : undefined;
      return ssh && { user: ssh.username, issuedAt: ssh.issuedAt };
    },
    rotatesOn: (vendor) => vendor.loginTwins !== undefined,
    async issue({ admin, target, current, twin, marker, issuedAt }) {
      // 192 random bits, generated here: only this invocation, Secrets Manager and the product see it.
      const password = randomBytes(24).toString('base64url');
      await loginTwinsOf(admin).ensureLoginTwin(current, twin, marker, password);
      const { ssh } = target as TargetDefinition & { ssh: object };
      return { ...target, ssh: { ...ssh, username: twin, password, issuedAt } } as TargetDefinition;
    },
    verify: (admin) => loginTwinsOf(admin).verifyLogin(),
  },
};

/** The admin user the target's credential belongs to, as its definition names it. */
function adminUserOf(target: TargetDefinition, name: string, kind: AdminCredentialKind): string {
  const { what, userField, read } = ADMIN_CREDENTIALS[kind];
  const user = read(target)?.user;
  if (!user) {
    throw new ValidationError(
      `target ${name} does not name the admin user its ${what} belongs to (${userField}): add it with \`provisioner target add\` before rotating`,
    );
  }
  return user;
}

/** Whether the product's adapter rotates its admin credential here (admin twins). */
export function rotatesAdminCredentials(vendor: Vendor): vendor is Admin {
  return vendor.capabilities.issuance === 'api' && 'adminTwins' in vendor && vendor.adminTwins !== undefined;
}

/** The adapter's admin twins (refused where the product has none), acting with `target`'s admin credential. */
async function adminOf(deps: WorkflowDeps, target: TargetDefinition, name: string): Promise<Admin> {
  const vendor = await deps.vendorFor({ target });
  if (!rotatesAdminCredentials(vendor)) {
    throw new ValidationError(
      `${vendor.name} has no admin twins: the admin credential of target ${name} is rotated by a person (see the product's README), then stored with \`provisioner target add\``,
    );
  }
  return vendor;
}

/** The admin credentials of `target` its product rotates here. */
async function rotatedKinds(deps: WorkflowDeps, target: TargetDefinition): Promise<AdminCredentialKind[]> {
  const vendor = await deps.vendorFor({ target });
  if (!rotatesAdminCredentials(vendor)) return [];
  return AdminCredentialKind.options.filter((kind) => ADMIN_CREDENTIALS[kind].rotatesOn(vendor));
}

/** How old the target's admin credential may grow (its policy, else the default). */
function adminKeyMaxAgeDays(target: TargetDefinition): number {
  const policy =
    'policy' in target ? (target.policy as { adminKeyMaxAgeDays?: number } | undefined) : undefined;
  return policy?.adminKeyMaxAgeDays ?? ADMIN_KEY_MAX_AGE_DAYS;
}

/** Each admin credential's own schedule, at half the policy's maximum age. */
function adminScheduleOf(name: string, target: TargetDefinition, kind: AdminCredentialKind) {
  return {
    secretName: adminScheduleSecretName(name, kind),
    target: name,
    apiUser: adminUserOf(target, name, kind),
    ...adminRotationSchedule(adminKeyMaxAgeDays(target), kind),
  };
}

const DAY_MS = 86_400_000;

/**
 * Reconciliation's findings on a target whose admin credentials rotate here (admin twins): a line
 * for each one older than the target's policy allows, from when the rotation issued it, or, never
 * rotated, from when its definition was stored.
 */
export async function staleAdminCredentials(
  deps: WorkflowDeps,
  name: string,
  target: TargetDefinition,
): Promise<string[]> {
  const kinds = await rotatedKinds(deps, target);
  if (kinds.length === 0) return [];
  const storedAt = kinds.some((kind) => !ADMIN_CREDENTIALS[kind].read(target)?.issuedAt)
    ? (await deps.store.targetStoredAt(name))?.toISOString()
    : undefined;
  const maxDays = adminKeyMaxAgeDays(target);
  return kinds.flatMap((kind) => {
    const { what, read } = ADMIN_CREDENTIALS[kind];
    const issuedAt = read(target)?.issuedAt ?? storedAt;
    if (!issuedAt) return [];
    const days = Math.floor((deps.now().getTime() - Date.parse(issuedAt)) / DAY_MS);
    if (days <= maxDays) return [];
    const command = `provisioner target rotate ${name}${kind === 'api-token' ? '' : ` --credential ${kind}`}`;
    return [
      `${name}: ${what} issued ${issuedAt}, ${days} days ago, over the policy's ${maxDays} (${command})`,
    ];
  });
}

/** Whether a step's input is EnsureAdminSchedules' (`{request: {schedulesOnly: true, ...}}`). */
export function isSchedulesOnly(input: unknown): input is { request: unknown } {
  const request = (input as { request?: { schedulesOnly?: unknown } } | null)?.request;
  return request?.schedulesOnly === true;
}

/**
 * EnsureAdminSchedules: each admin credential the target's product rotates here gets its schedule,
 * at half its policy's `adminKeyMaxAgeDays` (created, or replaced when the policy changed); one whose admin user the target
 * does not name is left unscheduled, and the output says why (its rotation would be refused).
 */
export async function ensureAdminSchedules(deps: WorkflowDeps, input: { request: unknown }) {
  const request = parseInput(AdminSchedulesRequest, input.request, 'admin schedules request');
  const target = await deps.store.loadTarget(request.target);
  const scheduled: AdminCredentialKind[] = [];
  const unscheduled: string[] = [];
  for (const kind of await rotatedKinds(deps, target)) {
    if (!ADMIN_CREDENTIALS[kind].read(target)?.user) {
      unscheduled.push(
        `${kind}: the target does not name its admin user (${ADMIN_CREDENTIALS[kind].userField})`,
      );
      continue;
    }
    await deps.schedules.ensure(adminScheduleOf(request.target, target, kind), { replaceExisting: true });
    scheduled.push(kind);
  }
  return { target: request.target, scheduled, unscheduled, status: 'admin-scheduled' };
}

/**
 * ValidateAdminRotation: the product rotates this admin credential, the target names its admin
 * user, and no other admin rotation has a pending version (a repeat of this one's own step is fine).
 */
export async function validateAdminRotation(
  deps: WorkflowDeps,
  input: { request: unknown; executionName: unknown },
): Promise<AdminRotationState> {
  const request = parseInput(AdminRotateRequest, input.request, 'admin rotate request');
  const requestId = parseInput(ExecutionName, input.executionName, 'execution name');
  const target = await deps.store.loadTarget(request.target);
  const admin = await adminOf(deps, target, request.target);
  if (!ADMIN_CREDENTIALS[request.credential].rotatesOn(admin)) {
    throw new ValidationError(
      `${admin.name} has no ${request.credential} admin credential to rotate (target ${request.target})`,
    );
  }
  const currentAdmin = adminUserOf(target, request.target, request.credential);
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
 * IssueAdminKey: the twin admin exists as a copy of the current one, a new key (or password) is on
 * it and stored as the target's AWSPENDING definition under a token derived from this rotation, so
 * a retry finds it and issues nothing new. This invocation is the only one that sees the material.
 */
export async function issueAdminKey(deps: WorkflowDeps, input: unknown): Promise<{ versionId: string }> {
  const state = parseState(input);
  const token = clientRequestToken(state.requestId, ISSUE_STEP);
  const secret = await deps.store.describe(state.secretArn);
  if (secret?.versions[token]) return { versionId: token };
  const target = await deps.store.loadTarget(state.request.target, state.currentVersionId);
  const next = await ADMIN_CREDENTIALS[state.request.credential].issue({
    admin: await adminOf(deps, target, state.request.target),
    target,
    current: state.currentAdmin,
    twin: state.idleAdmin,
    marker: adminTwinMarker(state.request.target),
    issuedAt: deps.now().toISOString(),
  });
  return { versionId: await deps.store.storePending(state.secretArn, next, token) };
}

/** VerifyAdminKey: the new credential works (retried while it propagates); never promoted otherwise. */
export async function verifyAdminKey(deps: WorkflowDeps, input: unknown): Promise<void> {
  const state = parseState(input);
  const { what, verify } = ADMIN_CREDENTIALS[state.request.credential];
  const next = await deps.store.loadTarget(state.request.target, requirePending(state).versionId);
  const result = await verify(await adminOf(deps, next, state.request.target));
  if (result.outcome === 'broken') {
    throw new FatalError(`${state.request.target} refuses the new ${what}: ${result.reason}`);
  }
  if (result.outcome !== 'accepted') {
    throw new CredentialNotYetValidError(
      `${state.request.target} does not accept the new ${what} of ${state.idleAdmin} yet${result.reason ? ` (${result.reason})` : ''}`,
    );
  }
}

/** PromoteAdminKey: AWSCURRENT moves to the new admin credential; the old one stays readable as AWSPREVIOUS. */
export async function promoteAdminKey(deps: WorkflowDeps, input: unknown): Promise<void> {
  const state = parseState(input);
  await deps.store.promote(state.secretArn, requirePending(state).versionId);
}

/**
 * RetireAdminKey: with the new admin credentials, the old admin user is deleted and must be gone
 * (retried, then reported): proven through the admin API, never by presenting the old credential.
 */
export async function retireAdminKey(deps: WorkflowDeps, input: unknown): Promise<void> {
  const state = parseState(input);
  const target = await deps.store.loadTarget(state.request.target);
  if (adminUserOf(target, state.request.target, state.request.credential) !== state.idleAdmin) {
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
 * FinalizeAdminRotation: the credential's rotation schedule exists at half its target policy's
 * maximum age (created or replaced), and the rotation is announced (names and version ids only).
 */
export async function finalizeAdminRotation(deps: WorkflowDeps, input: unknown) {
  const state = parseState(input);
  const { versionId } = requirePending(state);
  const target = await deps.store.loadTarget(state.request.target);
  await deps.schedules.ensure(adminScheduleOf(state.request.target, target, state.request.credential), {
    replaceExisting: true,
  });
  await deps.events.publish('credential.admin-rotated', {
    target: state.request.target,
    adminUser: state.idleAdmin,
    requestId: state.requestId,
    secretArn: state.secretArn,
    versionId,
  });
  return {
    target: state.request.target,
    credential: state.request.credential,
    adminUser: state.idleAdmin,
    versionId,
    status: 'admin-rotated',
  };
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
