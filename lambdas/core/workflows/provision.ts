/**
 * The provision workflow's steps (docs/architecture.md), one function per Task state.
 * Each receives the workflow state, does its work idempotently and returns only names,
 * ARNs and version ids. Key material exists only inside `issueKeyAndStore` and `verifyCredential`,
 * and `finalizeCredential`, which reads an expiring credential's stored version for its expiry alone.
 */
import * as z from 'zod';
import { storedExpiry } from '../credential-expiry.ts';
import { ConflictError, CredentialNotYetValidError, FatalError, ValidationError } from '../errors.ts';
import { ExecutionName } from '../execution-names.ts';
import {
  ACCESS_TOKEN_STAGE,
  CURRENT,
  credentialSecretName,
  legacyAccessTokenSecretName,
  PENDING,
  PREVIOUS,
  TAG,
} from '../names.ts';
import { CALLBACK_TASK_FIELDS, checkKeyLimit, openOperatorTask } from '../operator-tasks.ts';
import { asApiVendor, asOperatorVendor } from '../products/adapters.ts';
import { materialOf, productOf } from '../products/index.ts';
import { twinNameIssues } from '../products/managed-user.ts';
import { policyIssues } from '../products/policy.ts';
import { type ProductDefinition, requestVdom } from '../products/product.ts';
import type { Vendor } from '../products/vendor.ts';
import { ProvisionRequest, parseProvisionRequest, type TargetDefinition } from '../requests.ts';
import { rotationTagValue } from '../rotation-timing.ts';
import { scheduleFor } from '../schedules.ts';
import { ownerKind, parseInput, VdomName } from '../schemas.ts';
import {
  type CredentialStore,
  clientRequestToken,
  credentialStatus,
  type SecretDescription,
  versionWithStage,
} from '../secrets.ts';
import { failureReason, StepError } from '../step-error.ts';
import { keepAccessToken, vendorOf, type WorkflowDeps, withEgressAddresses } from '../workflow-deps.ts';

const Ensured = z.object({ createdByThisRequest: z.boolean() }).strict();

/** The state the workflow carries between steps: no key material by construction. */
export const ProvisionState = z
  .object({
    /** The request as validated: its VDOM resolved against the target's. */
    request: ProvisionRequest.extend({ vdom: VdomName }),
    requestId: ExecutionName,
    secretName: z.string().max(512),
    /** Who issues the credential: the product's API, or an operator through a callback task. */
    issuance: z.enum(['api', 'operator']),
    accessProfile: Ensured.optional(),
    apiUser: Ensured.optional(),
    credential: z
      .object({ secretArn: z.string().max(2048), versionId: z.string().max(64) })
      .strict()
      .optional(),
    error: StepError.optional(),
  })
  .strict();
export type ProvisionState = z.output<typeof ProvisionState>;

export function parseProvisionState(input: unknown): ProvisionState {
  return parseInput(ProvisionState, input, 'workflow state');
}

const ISSUE_KEY_STEP = 'issue-key-and-store';

/**
 * What each kind of product needs of a request: API products a profile and trusted hosts; products
 * whose keys belong to a named product user, that user. Fields a product cannot use are refused
 * rather than silently ignored, and so is what the target's own policy forbids.
 */
function checkRequestFits(vendor: Vendor, target: TargetDefinition, request: ProvisionRequest): void {
  const issues: string[] = [];
  const product = productOf(target.vendor) as ProductDefinition;
  // accessProfile and trustedHosts follow from how the product issues credentials (below).
  for (const field of ['serviceUser', 'permissionProfile', 'rpcPermit', 'fleet'] as const) {
    if (request[field] !== undefined && !product.requestFields[field])
      issues.push(`${field}: ${vendor.name} does not use it; remove it`);
  }
  issues.push(...(product.checkRequest?.(target, request) ?? []));
  issues.push(...policyIssues(target.policy, request));
  const profile = request.accessProfile?.name.toLowerCase();
  if (profile && product.builtInProfiles?.some((builtIn) => builtIn.toLowerCase() === profile))
    issues.push(
      `accessProfile.name: ${request.accessProfile?.name} is a built-in profile of ${product.displayName}; name a profile of this system's own`,
    );
  if (vendor.capabilities.twinUsers) issues.push(...twinNameIssues(request.apiUser));
  if (request.rotation && vendor.capabilities.tokenBroker)
    issues.push(
      `rotation: ${vendor.name} credentials are not rotated on a schedule (their access token is refreshed); remove it`,
    );
  if (vendor.capabilities.issuance === 'api') {
    if (!request.accessProfile) issues.push(`accessProfile: required for ${vendor.name}`);
    if (!request.trustedHosts?.length) issues.push('trustedHosts: at least one trusted host is required');
  } else {
    if (request.accessProfile) issues.push(`accessProfile: ${vendor.name} has no admin profiles; remove it`);
    if (request.trustedHosts) issues.push(`trustedHosts: ${vendor.name} has no trusted hosts; remove them`);
    if (vendor.capabilities.maxKeysPerUser && !request.serviceUser) {
      issues.push(`serviceUser: required for ${vendor.name} (the product user the key belongs to)`);
    }
  }
  if (issues.length > 0) throw new ValidationError('invalid provision request', issues);
}

type ValidatedCredential = Pick<ProvisionState, 'request' | 'requestId' | 'secretName' | 'issuance'>;

/** A fleet request, validated: one credential's state per device, provisioned by the workflow's Map. */
export interface ValidatedFleet {
  readonly fleet: { readonly target: string; readonly devices: readonly ValidatedCredential[] };
}

/** ValidateRequest: schema, size and allow-lists, the target exists, nothing active is in the way. */
export async function validateRequest(
  deps: WorkflowDeps,
  input: { request: unknown; executionName: unknown },
): Promise<ValidatedCredential | ValidatedFleet> {
  const request = parseProvisionRequest(input.request);
  const requestId = parseInput(ExecutionName, input.executionName, 'execution name');
  // Loading the target proves it exists and holds a valid definition before anything is created.
  const { vendor, target } = await vendorOf(deps, request.target);
  checkRequestFits(vendor, target, request);
  if (request.fleet) return validateFleet(deps, vendor, target, request, requestId);
  return validateCredential(deps, vendor, target, request, requestId);
}

async function validateCredential(
  deps: WorkflowDeps,
  vendor: Vendor,
  target: TargetDefinition,
  request: ProvisionRequest,
  requestId: string,
): Promise<ValidatedCredential> {
  const vdom = requestVdom('vdom' in target ? target : {}, request);
  const secretName = credentialSecretName(request.target, request.apiUser);
  const existing = await deps.store.describe(secretName);
  if (existing?.deletedDate) {
    throw new ConflictError(
      `${secretName} is scheduled for deletion: restore it or wait for its recovery window`,
    );
  }
  if (existing) refuseIfHeld(existing, request, requestId);
  const trustedHosts =
    request.trustedHosts && withEgressAddresses(deps, request.trustedHosts, 'invalid provision request');
  return {
    request: { ...request, vdom, ...(trustedHosts ? { trustedHosts } : {}) },
    requestId,
    secretName,
    issuance: vendor.capabilities.issuance,
  };
}

/**
 * The devices a fleet request names (its manager lists a group's or an ADOM's), each checked as a
 * request of its own against its device's target `<fleet>.<device>` before any device is called;
 * one device the fleet target does not name, or whose credential is held, refuses the whole request.
 */
async function validateFleet(
  deps: WorkflowDeps,
  vendor: Vendor,
  target: TargetDefinition,
  request: ProvisionRequest,
  requestId: string,
): Promise<ValidatedFleet> {
  const { fleet, ...perDevice } = request;
  const listDevices = asApiVendor(vendor).fleetDevices?.bind(vendor);
  if (!fleet || !listDevices || target.vendor !== 'fortigate-fleet')
    throw new ValidationError('invalid provision request', [`fleet: ${vendor.name} has no fleet of devices`]);
  const devices = await listDevices(fleet);
  const unknown = devices.filter((device) => !target.devices[device]);
  if (devices.length === 0 || unknown.length > 0)
    throw new ValidationError('invalid provision request', [
      devices.length === 0
        ? 'fleet: the manager lists no device for it'
        : `fleet: the manager lists devices the fleet target does not name: ${unknown.join(', ')}`,
    ]);
  const states: ValidatedCredential[] = [];
  for (const device of devices) {
    const deviceRequest = { ...perDevice, target: `${request.target}.${device}` };
    const { vendor: deviceVendor, target: deviceTarget } = await vendorOf(deps, deviceRequest.target);
    checkRequestFits(deviceVendor, deviceTarget, deviceRequest);
    states.push(await validateCredential(deps, deviceVendor, deviceTarget, deviceRequest, requestId));
  }
  return { fleet: { target: request.target, devices: states } };
}

/**
 * A secret another request still holds: active or provisioning (rotate instead), or left revoking
 * by an unfinished revocation (its key may still be live; reusing the secret would hand it over).
 */
function refuseIfHeld(secret: SecretDescription, request: ProvisionRequest, requestId: string): void {
  const status = credentialStatus(secret);
  if (secret.tags[TAG.createdBy] !== requestId && (status === 'active' || status === 'provisioning')) {
    throw new ConflictError(
      `${request.apiUser} on ${request.target} already has a credential (${secret.name}, status ${status}): rotate it instead of provisioning again`,
    );
  }
  if (status === 'revoking') {
    throw new ConflictError(
      `${secret.name} is still being revoked (status revoking): the revocation must finish first; run the revocation again (the revoke workflow for its owner), then provision`,
    );
  }
}

function requiredOf<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new ValidationError(`workflow state has no ${what}`);
  return value;
}

export async function ensureAccessProfile(deps: WorkflowDeps, state: ProvisionState) {
  const { vendor } = await vendorOf(deps, state.request.target);
  return asApiVendor(vendor).ensureAccessProfile(requiredOf(state.request.accessProfile, 'accessProfile'));
}

export async function createApiUser(deps: WorkflowDeps, state: ProvisionState) {
  const { vendor } = await vendorOf(deps, state.request.target);
  const { request } = state;
  const ensured = await asApiVendor(vendor).ensureUser({
    name: request.apiUser,
    profile: requiredOf(request.accessProfile, 'accessProfile').name,
    trustedHosts: requiredOf(request.trustedHosts, 'trustedHosts'),
    vdom: request.vdom,
    requestId: state.requestId,
    credential: { target: request.target, apiUser: request.apiUser },
    comment: request.comment,
    rpcPermit: request.rpcPermit,
  });
  // Another request of this system made the user: a provision running at the same time, or an
  // orphan reconciliation removes. Issuing a key on it would kill that request's key.
  if (!ensured.createdByThisRequest) {
    throw new ConflictError(
      `API user ${request.apiUser} on ${request.target} was created by another request (running now, or an orphan reconciliation removes)`,
    );
  }
  return ensured;
}

/** Tags of an earlier request that must not outlive it when its revoked secret is reused. */
const EARLIER_REQUEST_TAGS = [TAG.serviceUser, TAG.expiresAt, TAG.shared, TAG.heldUntil] as const;

/**
 * The credential's secret, created by the first step that needs it (create-if-absent, tagged for the
 * inventory), refused when a secret of that name belongs to another target or product. A revoked
 * secret of an earlier request is retagged as this request's: the inventory, an owner's offboarding
 * and the service user's key count read these tags, and the earlier owner's would hide the new key.
 */
async function ensureRequestSecret(
  deps: WorkflowDeps,
  state: ProvisionState,
  target: TargetDefinition,
): Promise<SecretDescription> {
  const { request, requestId, secretName } = state;
  const tags: Record<string, string> = {
    [TAG.owner]: request.owner,
    [TAG.ownerKind]: ownerKind(request.owner),
    [TAG.requestedBy]: request.requestedBy ?? request.owner,
    ...(request.shared ? { [TAG.shared]: 'true' } : {}),
    [TAG.target]: request.target,
    [TAG.vendor]: target.vendor,
    [TAG.ticket]: request.ticket,
    [TAG.status]: 'provisioning',
    [TAG.createdBy]: requestId,
    ...(request.serviceUser ? { [TAG.serviceUser]: request.serviceUser } : {}),
    ...(request.rotation ? { [TAG.rotation]: rotationTagValue(request.rotation) } : {}),
  };
  const secret = await deps.store.ensureCredentialSecret(secretName, tags);
  if (secret.tags[TAG.target] !== request.target || secret.tags[TAG.vendor] !== target.vendor) {
    throw new FatalError(`${secretName} exists but is not a credential of target ${request.target}`);
  }
  const ours = secret.tags[TAG.createdBy] === requestId ? secret : await takeOver(deps, state, secret, tags);
  // Before any value is stored: only the consumers and the stack's readers will ever read it.
  await deps.store.restrictReads(secret.arn, request.consumers ?? []);
  return ours;
}

/** A revoked secret of an earlier request, retagged as this request's. */
async function takeOver(
  deps: WorkflowDeps,
  { request, requestId }: ProvisionState,
  secret: SecretDescription,
  tags: Record<string, string>,
): Promise<SecretDescription> {
  // Checked again here: another request may have taken the secret over since ValidateRequest.
  refuseIfHeld(secret, request, requestId);
  // Its AWSCURRENT is the earlier request's revoked key: `reprovisioning` until FinalizeCredential
  // tags it active, so it never reads active on that key (credentialStatus).
  const reused: Record<string, string> = { ...tags, [TAG.status]: 'reprovisioning' };
  await deps.store.tag(secret.arn, reused);
  const stale = EARLIER_REQUEST_TAGS.filter(
    (key) => secret.tags[key] !== undefined && reused[key] === undefined,
  );
  if (stale.length > 0) await deps.store.untag(secret.arn, stale);
  const kept = Object.fromEntries(
    Object.entries(secret.tags).filter(([key]) => !stale.includes(key as never)),
  );
  return { ...secret, tags: { ...kept, ...reused } };
}

/**
 * IssueKeyAndStore: the only step that sees a new key. The version id is derived from the request,
 * so a retry after a lost answer finds the stored version and issues nothing new.
 */
export async function issueKeyAndStore(
  deps: WorkflowDeps,
  state: ProvisionState,
): Promise<{ secretArn: string; versionId: string }> {
  const { request, requestId } = state;
  const { vendor, target } = await vendorOf(deps, request.target);
  const api = asApiVendor(vendor);
  const secret = await ensureRequestSecret(deps, state, target);
  const token = clientRequestToken(requestId, ISSUE_KEY_STEP);
  if (secret.versions[token]) return { secretArn: secret.arn, versionId: token };
  const { key } = await api.issueKey(request.apiUser);
  const versionId = await deps.store.storePending(
    secret.arn,
    {
      vendor: target.vendor,
      target: request.target,
      apiUser: request.apiUser,
      key,
      issuedAt: deps.now().toISOString(),
      // What rotation needs to create the twin user like this one (names and CIDRs, no secret).
      userSpec: {
        profile: requiredOf(request.accessProfile, 'accessProfile').name,
        trustedHosts: requiredOf(request.trustedHosts, 'trustedHosts'),
        vdom: request.vdom,
        rpcPermit: request.rpcPermit,
      },
    },
    token,
    { firstVersion: Object.keys(secret.versions).length === 0 },
  );
  return { secretArn: secret.arn, versionId };
}

/**
 * VerifyCredential: the stored credential must be accepted by the product (retried while it
 * propagates); a credential the product calls broken fails at once. Token-broker products keep
 * the bearer token the check minted, so the broker stays the only minter.
 */
export async function verifyCredential(deps: WorkflowDeps, state: ProvisionState): Promise<void> {
  const credential = requireCredential(state);
  const { request, secretName } = state;
  const { vendor, target } = await vendorOf(deps, request.target);
  // The state names a version: it must be this request's own secret's.
  const secret = await deps.store.describe(secretName);
  if (!secret || secret.arn !== credential.secretArn || !secret.versions[credential.versionId]) {
    throw new FatalError(`the credential handed to this workflow is not a version of ${secretName}`);
  }
  const stored = await deps.store.readVersion(credential.secretArn, credential.versionId);
  const material = materialOf(target.vendor, stored);
  const result = await vendor.verify(material);
  if (result.outcome === 'broken') {
    throw new FatalError(`${request.target} refuses the credential of ${request.apiUser}: ${result.reason}`);
  }
  // Rejected or inconclusive: not yet valid, retried, then compensated; never finalized on it.
  if (result.outcome !== 'accepted') {
    throw new CredentialNotYetValidError(
      `${request.target} does not accept the new credential of ${request.apiUser} yet${result.reason ? ` (${result.reason})` : ''}`,
    );
  }
  if (result.accessToken) {
    await keepAccessToken(deps, secretName, result.accessToken);
  }
}

export interface ProvisionResult {
  readonly target: string;
  readonly apiUser: string;
  readonly owner: string;
  readonly ticket: string;
  readonly secretName: string;
  readonly secretArn: string;
  readonly versionId: string;
  readonly status: 'active';
}

/**
 * FinalizeCredential: AWSCURRENT on the verified version and no AWSPENDING left, which makes it
 * `active` (credentialStatus) without a tag write, except on a reused secret; `credential.provisioned`.
 */
export async function finalizeCredential(
  deps: WorkflowDeps,
  state: ProvisionState,
): Promise<ProvisionResult> {
  const credential = requireCredential(state);
  const { request, requestId, secretName } = state;
  await deps.store.promote(credential.secretArn, credential.versionId);
  const promoted = await deps.store.describe(credential.secretArn);
  if (credentialStatus(promoted) !== 'active')
    await deps.store.tag(credential.secretArn, { [TAG.status]: 'active' });
  const { vendor, target } = await vendorOf(deps, request.target);
  const expiresAt = await storedExpiry(deps.store, target.vendor, credential.secretArn, credential.versionId);
  const schedule = scheduleFor(vendor.capabilities, expiresAt, deps.now(), request.rotation);
  if (schedule)
    await deps.schedules.ensure({
      secretName,
      target: request.target,
      apiUser: request.apiUser,
      ...schedule,
    });
  await deps.events.publish('credential.provisioned', {
    target: request.target,
    apiUser: request.apiUser,
    owner: request.owner,
    ticket: request.ticket,
    requestId,
    secretArn: credential.secretArn,
    versionId: credential.versionId,
  });
  return {
    target: request.target,
    apiUser: request.apiUser,
    owner: request.owner,
    ticket: request.ticket,
    secretName,
    secretArn: credential.secretArn,
    versionId: credential.versionId,
    status: 'active',
  };
}

export interface CompensationResult {
  readonly userRemoved: boolean;
  readonly secret: 'deleted' | 'version-discarded' | 'untouched';
  /** What a person must still undo in the product's UI (operator products). */
  readonly operatorAction?: string;
}

/**
 * CompensateProvision: undo what this request created, decided from what exists rather than from
 * which step failed, so a failure whose answer was lost after the product committed is undone too.
 */
export async function compensateProvision(
  deps: WorkflowDeps,
  state: ProvisionState,
): Promise<CompensationResult> {
  const { request, requestId, secretName } = state;
  const { vendor, target } = await vendorOf(deps, request.target);
  let userRemoved = false;
  let operatorAction: string | undefined;
  let versionId = clientRequestToken(requestId, ISSUE_KEY_STEP);
  if (vendor.capabilities.issuance === 'api') {
    const api = asApiVendor(vendor);
    const user = await api.findManagedUser(request.apiUser);
    userRemoved = user?.requestId === requestId && (await api.revoke(request.apiUser)).removed;
  } else {
    // The task (and its token) dies with the request; an operator answering late finds nothing.
    await deps.tasks.delete(requestId);
    if (state.credential) {
      versionId = state.credential.versionId;
      const stored = await deps.store.readVersion(state.credential.secretArn, versionId);
      const token = await deps.store.readAccessToken(secretName);
      const revoked = await asOperatorVendor(vendor).revoke(
        materialOf(target.vendor, stored),
        token && { token: token.accessToken, expiresAt: token.expiresAt },
      );
      await deps.store.deleteNow(legacyAccessTokenSecretName(secretName));
      operatorAction = revoked.operatorAction;
    } else {
      operatorAction = `if a credential was already created in ${request.target} for task ${requestId}, delete it there`;
    }
  }
  const secret = await discardThisRequestsVersion(deps.store, secretName, requestId, versionId);
  await deps.events.publish('credential.provision-failed', {
    target: request.target,
    apiUser: request.apiUser,
    owner: request.owner,
    ticket: request.ticket,
    requestId,
    error: state.error?.Error ?? 'unknown',
    reason: failureReason(state.error?.Error, state.error?.Cause),
    ...(operatorAction ? { operatorAction } : {}),
  });
  return { userRemoved, secret, ...(operatorAction ? { operatorAction } : {}) };
}

async function discardThisRequestsVersion(
  store: CredentialStore,
  secretName: string,
  requestId: string,
  versionId: string,
): Promise<CompensationResult['secret']> {
  const description = await store.describe(secretName);
  if (!description || description.deletedDate) return 'untouched';
  const mine = description.tags[TAG.createdBy] === requestId;
  // The broker's token (its own version, under its label) is no earlier credential.
  const token = versionWithStage(description, ACCESS_TOKEN_STAGE);
  const earlierVersions = Object.keys(description.versions).filter((id) => id !== versionId && id !== token);
  // A secret this request created holds nothing but the dead key of a removed user.
  if (mine && earlierVersions.length === 0) {
    await store.deleteNow(description.arn);
    return 'deleted';
  }
  // A secret that stays keeps no token of the credential compensated (the product revoked it).
  if (token) await store.removeStage(description.arn, ACCESS_TOKEN_STAGE, token);
  const labels = description.versions[versionId];
  if (labels) {
    const previous = versionWithStage(description, PREVIOUS);
    if (labels.includes(CURRENT) && previous)
      await store.moveStage(description.arn, CURRENT, previous, versionId);
    if (labels.includes(PENDING)) await store.removeStage(description.arn, PENDING, versionId);
  }
  // A revoked secret this request reused holds only revoked keys again: back to revoked, so a
  // later request is not refused as if this one were still provisioning.
  if (mine) await store.tag(description.arn, { [TAG.status]: 'revoked' });
  return labels ? 'version-discarded' : 'untouched';
}

function requireCredential(state: ProvisionState): NonNullable<ProvisionState['credential']> {
  if (!state.credential)
    throw new ValidationError('workflow state has no credential: IssueKeyAndStore has not run');
  return state.credential;
}

/** The callback task's input: the workflow state, the task token and the task's time bounds. */
const OperatorTaskInput = z.object({ state: ProvisionState, ...CALLBACK_TASK_FIELDS }).strict();

/**
 * RequestOperatorCredential (the callback task's Lambda): checks the product user's key limit
 * before anyone is asked, prepares the credential's secret and opens the task.
 */
export async function requestOperatorCredential(
  deps: WorkflowDeps,
  input: unknown,
): Promise<{ taskId: string; deadline: string }> {
  const { state, ...bounds } = parseInput(OperatorTaskInput, input, 'operator task input');
  const { request, requestId, secretName } = state;
  const { vendor: anyVendor, target } = await vendorOf(deps, request.target);
  const vendor = asOperatorVendor(anyVendor);
  await checkKeyLimit(deps, vendor, { ...request, secretName }, 1);
  const secret = await ensureRequestSecret(deps, state, target);
  return openOperatorTask(deps, {
    ...bounds,
    taskId: requestId,
    action: 'issue',
    requestId,
    secretName,
    secretArn: secret.arn,
    vendor: target.vendor,
    target: request.target,
    apiUser: request.apiUser,
    owner: request.owner,
    ticket: request.ticket,
    instructions: vendor.instructions(request, 'provision'),
  });
}
