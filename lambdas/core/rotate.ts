/**
 * The rotate workflow's steps for twin-user products (DESIGN.md section 2): a new key on the idle
 * twin, stored as AWSPENDING, verified, promoted to AWSCURRENT (the old key becomes AWSPREVIOUS),
 * a grace period for consumers to re-read, then the old twin removed and its key proven refused.
 * A consumer reading AWSCURRENT never holds a dead key. A rotation that fails before promotion
 * leaves the current key untouched and working.
 */
import { z } from 'zod';
import {
  ConflictError,
  CredentialNotYetValidError,
  CredentialStillValidError,
  FatalError,
  ValidationError,
} from './errors.ts';
import type { ProvisionDeps } from './provision.ts';
import { causeMessage, vendorOf } from './provision.ts';
import { ApiUserName, parseInput, TargetName } from './requests.ts';
import {
  type CredentialValue,
  CURRENT,
  clientRequestToken,
  credentialSecretName,
  PENDING,
  PREVIOUS,
  TAG,
  versionWithStage,
} from './secrets.ts';
import { twinsOf } from './vendors/managed-user.ts';
import { materialOf } from './vendors/material.ts';
import { asApiVendor } from './vendors/registry.ts';

export const RotateRequest = z
  .object({
    target: TargetName.describe('Target of the credential'),
    apiUser: ApiUserName.describe('The API user name the credential was provisioned under'),
  })
  .strict();
export type RotateRequest = z.output<typeof RotateRequest>;

const UserSpec = z
  .object({ profile: z.string(), trustedHosts: z.array(z.string()).min(1), vdom: z.string() })
  .strict();

export const RotationState = z
  .object({
    request: RotateRequest,
    requestId: z.string().regex(/^[A-Za-z0-9_-]{1,80}$/),
    secretName: z.string().max(512),
    secretArn: z.string().max(2048),
    currentUser: ApiUserName,
    idleUser: ApiUserName,
    currentVersionId: z.string().max(64),
    userSpec: UserSpec,
    twin: z.object({ createdByThisRequest: z.boolean() }).strict().optional(),
    pending: z
      .object({ versionId: z.string().max(64) })
      .strict()
      .optional(),
    error: z.object({ Error: z.string(), Cause: z.string().optional() }).optional(),
  })
  .strict();
export type RotationState = z.output<typeof RotationState>;

function parseState(input: unknown): RotationState {
  return parseInput(RotationState, input, 'rotation state');
}

/** ValidateRotation: an active credential of a twin-user product, no rotation already in flight. */
export async function validateRotation(
  deps: ProvisionDeps,
  input: { request: unknown; executionName: unknown },
): Promise<RotationState> {
  const request = parseInput(RotateRequest, input.request, 'rotate request');
  const requestId = parseInput(RotationState.shape.requestId, input.executionName, 'execution name');
  const { vendor } = await vendorOf(deps, request.target);
  if (!vendor.capabilities.twinUsers) {
    throw new ValidationError(
      vendor.capabilities.tokenBroker
        ? `${vendor.name} access tokens are refreshed by the refresh workflow on their schedule; its long-lived credential rotates through an operator task with overlap, not automated yet`
        : `${vendor.name} credentials rotate through an operator task with overlap, not twin users: not automated yet`,
    );
  }
  const secretName = credentialSecretName(request.target, request.apiUser);
  const secret = await deps.store.describe(secretName);
  if (!secret || secret.deletedDate || secret.tags[TAG.status] !== 'active') {
    throw new ConflictError(`${secretName} is not an active credential: nothing to rotate`);
  }
  const pending = versionWithStage(secret, PENDING);
  const currentVersionId = versionWithStage(secret, CURRENT);
  if (pending && pending !== currentVersionId) {
    throw new ConflictError(`${secretName} has a pending version: another rotation is in flight`);
  }
  if (!currentVersionId) throw new FatalError(`${secretName} has no current version`);
  const current = await deps.store.readVersion(secret.arn, currentVersionId);
  const userSpec = parseInput(UserSpec, current.userSpec, `user spec stored with ${secretName}`);
  const [first, second] = twinsOf(request.apiUser);
  const currentUser = current.apiUser === second ? second : first;
  return {
    request,
    requestId,
    secretName,
    secretArn: secret.arn,
    currentUser,
    idleUser: currentUser === first ? second : first,
    currentVersionId,
    userSpec,
  };
}

/** EnsureTwinUser: the idle twin exists with the same profile and trusted hosts (create-if-absent, adopt our own). */
export async function ensureTwinUser(deps: ProvisionDeps, input: unknown) {
  const state = parseState(input);
  const { vendor } = await vendorOf(deps, state.request.target);
  return asApiVendor(vendor).ensureUser({
    name: state.idleUser,
    profile: state.userSpec.profile,
    trustedHosts: state.userSpec.trustedHosts,
    vdom: state.userSpec.vdom,
    requestId: state.requestId,
    comment: `twin of ${state.request.apiUser}`,
  });
}

/** IssueTwinKey: a key on the idle twin, stored as AWSPENDING under a token derived from this rotation. */
export async function issueTwinKey(deps: ProvisionDeps, input: unknown): Promise<{ versionId: string }> {
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
  return { versionId: await deps.store.storePending(state.secretArn, value, token) };
}

/** VerifyPendingKey: the product accepts the new key (retried while it propagates). */
export async function verifyPendingKey(deps: ProvisionDeps, input: unknown): Promise<void> {
  const state = parseState(input);
  const pending = requirePending(state);
  const { vendor, target } = await vendorOf(deps, state.request.target);
  const stored = await deps.store.readVersion(state.secretArn, pending.versionId);
  const result = await vendor.verify(materialOf(target.vendor, stored));
  if (result.outcome !== 'accepted') {
    throw new CredentialNotYetValidError(
      `${state.request.target} does not accept the key of ${state.idleUser} yet`,
    );
  }
}

/** PromotePendingKey: AWSCURRENT moves to the new key; the old one stays readable as AWSPREVIOUS. */
export async function promotePendingKey(deps: ProvisionDeps, input: unknown): Promise<void> {
  const state = parseState(input);
  await deps.store.promote(state.secretArn, requirePending(state).versionId);
}

/**
 * RetirePreviousKey (after the grace period): the old twin is removed and its key must now be
 * refused; a product that still accepts it is retried, then reported.
 */
export async function retirePreviousKey(deps: ProvisionDeps, input: unknown): Promise<void> {
  const state = parseState(input);
  const { vendor, target } = await vendorOf(deps, state.request.target);
  await asApiVendor(vendor).revoke(state.currentUser);
  const previous = await deps.store.readVersion(state.secretArn, state.currentVersionId);
  if ((await vendor.verify(materialOf(target.vendor, previous))).outcome === 'accepted') {
    throw new CredentialStillValidError(
      `${state.request.target} still accepts the previous key of ${state.currentUser}`,
    );
  }
}

/** FinalizeRotation: tags the rotation and announces it (names and version ids only). */
export async function finalizeRotation(deps: ProvisionDeps, input: unknown) {
  const state = parseState(input);
  const pending = requirePending(state);
  const description = await deps.store.describe(state.secretArn);
  await deps.store.tag(state.secretArn, { [TAG.rotatedAt]: deps.now().toISOString() });
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
export async function compensateRotation(deps: ProvisionDeps, input: unknown) {
  const state = parseState(input);
  const description = await deps.store.describe(state.secretArn);
  const pendingId = state.pending?.versionId ?? clientRequestToken(state.requestId, 'issue-twin-key');
  const promoted = description ? versionWithStage(description, CURRENT) === pendingId : false;
  if (!promoted) {
    if (description?.versions[pendingId]?.includes(PENDING)) {
      await deps.store.removeStage(state.secretArn, PENDING, pendingId);
    }
    const { vendor } = await vendorOf(deps, state.request.target);
    const api = asApiVendor(vendor);
    const twin = await api.findManagedUser(state.idleUser);
    if (twin?.requestId === state.requestId) await api.revoke(state.idleUser);
  }
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
      ? `the new key is current; the previous key may still work: ${causeMessage(state.error?.Cause)}`
      : `the current key is untouched: ${causeMessage(state.error?.Cause)}`,
  });
  return { promoted, previousVersion: description ? versionWithStage(description, PREVIOUS) : undefined };
}

function requirePending(state: RotationState): { versionId: string } {
  if (!state.pending)
    throw new ValidationError('rotation state has no pending version: IssueTwinKey has not run');
  return state.pending;
}

/**
 * RefreshAccessToken (the refresh workflow, token-broker products): mints a new bearer token from
 * the stored credential before the last one expires and keeps it for consumers. The product keeps
 * one live token per user, so this is the only place that mints one.
 */
export async function refreshAccessToken(
  deps: ProvisionDeps,
  input: { request: unknown; executionName: unknown },
): Promise<{ secretName: string; expiresAt: string }> {
  const request = parseInput(RotateRequest, input.request, 'refresh request');
  const { vendor, target } = await vendorOf(deps, request.target);
  if (!vendor.capabilities.tokenBroker) {
    throw new ValidationError(`${vendor.name} credentials have no brokered access token to refresh`);
  }
  const secretName = credentialSecretName(request.target, request.apiUser);
  const secret = await deps.store.describe(secretName);
  if (!secret || secret.deletedDate || secret.tags[TAG.status] !== 'active') {
    throw new ConflictError(`${secretName} is not an active credential: nothing to refresh`);
  }
  const result = await vendor.verify(materialOf(target.vendor, await deps.store.readCurrent(secret.arn)));
  if (result.outcome !== 'accepted' || !result.accessToken) {
    throw new FatalError(
      `${request.target} refuses the credential of ${request.apiUser} (${result.reason ?? result.outcome}): consumers keep the last token until it expires`,
    );
  }
  await deps.store.putAccessToken(
    secretName,
    {
      accessToken: result.accessToken.token,
      expiresAt: result.accessToken.expiresAt,
      mintedAt: deps.now().toISOString(),
    },
    { [TAG.target]: request.target, [TAG.vendor]: target.vendor },
  );
  return { secretName, expiresAt: result.accessToken.expiresAt };
}
