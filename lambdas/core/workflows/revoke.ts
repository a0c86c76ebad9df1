import * as z from 'zod';
import { FatalError, RevocationIncompleteError, UNPROVEN_ERROR_NAME } from '../errors.ts';
import { ExecutionName } from '../execution-names.ts';
import { accessTokenSecretName, CURRENT, PENDING, SECRET_PREFIX, TAG } from '../names.ts';
import {
  CALLBACK_TASK_FIELDS,
  openOperatorTask,
  revocationInstructions,
  revocationTaskId,
} from '../operator-tasks.ts';
import { materialOf } from '../products/index.ts';
import { removeCredentialUser, twinsOf } from '../products/managed-user.ts';
import { asApiVendor, asOperatorVendor } from '../products/registry.ts';
import { OwnerId, parseInput } from '../schemas.ts';
import { versionWithStage } from '../secrets.ts';
import { causeMessage } from '../step-error.ts';
import type { WorkflowDeps } from '../workflow-deps.ts';
import { requireRefusal, vendorOf } from '../workflow-deps.ts';

/** At most this many credentials per execution: Map input stays well under Step Functions' 256 KiB. */
const MAX_CREDENTIALS_PER_REVOCATION = 500;

export const RevokeRequest = z
  .object({
    owner: OwnerId.describe('Whose credentials to revoke (the provisioner:owner tag)'),
    reason: z
      .string()
      .min(3)
      .max(200)
      .regex(/^[\w .,:;@()/+'-]*$/, "may only hold letters, digits, spaces and .,:;@()/+'-")
      .default('owner deactivated')
      .describe('Why, for the events and the report'),
    source: z
      .enum(['directory', 'identity-provider', 'ticket', 'operator'])
      .default('operator')
      .describe('Who asked: a directory or identity-provider event, an offboarding ticket, an operator'),
  })
  .strict();
export type RevokeRequest = z.output<typeof RevokeRequest>;

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
    owner: OwnerId,
    reason: z.string().max(200),
    requestId: ExecutionName,
    credential: RevocationTarget,
    revoked: z.object({ needsOperator: z.boolean() }).strict().optional(),
    operator: z.unknown().optional(),
  })
  .strict();

/** FindOwnerCredentials: every credential of the owner that is not already revoked or deleted. */
export async function findOwnerCredentials(
  deps: WorkflowDeps,
  input: { request: unknown; executionName: unknown },
): Promise<{ owner: string; reason: string; requestId: string; credentials: RevocationTarget[] }> {
  const request = parseInput(RevokeRequest, input.request, 'revoke request');
  const requestId = parseInput(ExecutionName, input.executionName, 'execution name');
  const held = (await deps.store.listByOwner(request.owner)).filter(
    (s) => !s.deletedDate && s.tags[TAG.status] !== 'revoked',
  );
  if (held.length > MAX_CREDENTIALS_PER_REVOCATION) {
    throw new FatalError(
      `${request.owner} holds ${held.length} credentials, over the ${MAX_CREDENTIALS_PER_REVOCATION} one execution revokes: start it again after this one`,
    );
  }
  const credentials = held.map((s) => {
    const [target = '', ...user] = s.name.slice(SECRET_PREFIX.length).split('/');
    return { secretName: s.name, secretArn: s.arn, target, apiUser: user.join('/') };
  });
  return { owner: request.owner, reason: request.reason, requestId, credentials };
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
 * answer `RevocationUnproven`; both are retried, then reported.
 */
export async function proveRevoked(deps: WorkflowDeps, input: unknown): Promise<void> {
  const { credential } = parseInput(RevocationItem, input, 'revocation item');
  const { vendor, target } = await vendorOf(deps, credential.target);
  const stored = await deps.store.readCurrent(credential.secretArn);
  requireRefusal(
    await vendor.verify(materialOf(target.vendor, stored)),
    credential.target,
    `the credential of ${credential.apiUser} after its revocation`,
  );
}

/**
 * RetireCredential: status `revoked`, brokered token gone, no pending version left, secret scheduled
 * for deletion, `credential.revoked`.
 */
export async function retireCredential(deps: WorkflowDeps, input: unknown) {
  const { credential, owner, requestId, reason } = parseInput(RevocationItem, input, 'revocation item');
  const description = await deps.store.describe(credential.secretName);
  // A retry after the secret was scheduled for deletion (its answer lost) finds it read-only.
  const retiredBefore = description?.deletedDate !== undefined;
  if (!retiredBefore) await deps.store.tag(credential.secretArn, { [TAG.status]: 'revoked' });
  await deps.store.deleteNow(accessTokenSecretName(credential.secretName));
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
  return { secretName: credential.secretName, status: 'revoked' as const };
}

const RevocationResults = z.object({
  owner: OwnerId,
  requestId: ExecutionName,
  results: z
    .array(
      z.object({
        secretName: z.string(),
        status: z.enum(['revoked', 'failed']),
        error: z.string().optional(),
        cause: z.string().optional(),
      }),
    )
    .max(MAX_CREDENTIALS_PER_REVOCATION),
});

/**
 * ReportRevocation: success only when every credential is revoked; otherwise the precise report
 * fails the run. A credential whose product never refused it plainly (`RevocationUnproven`) is
 * reported as "revocation unproven", apart from the ones that failed.
 */
export async function reportRevocation(deps: WorkflowDeps, input: unknown) {
  const { owner, requestId, results } = parseInput(RevocationResults, input, 'revocation results');
  const notRevoked = results.filter((r) => r.status === 'failed');
  const revoked = results.filter((r) => r.status === 'revoked').map((r) => r.secretName);
  if (notRevoked.length > 0) {
    const failed = notRevoked
      .filter((r) => r.error !== UNPROVEN_ERROR_NAME)
      .map((f) => `${f.secretName}: ${f.error ?? 'failed'} (${causeMessage(f.cause)})`);
    const unproven = notRevoked
      .filter((r) => r.error === UNPROVEN_ERROR_NAME)
      .map((u) => ({ secretName: u.secretName, reason: causeMessage(u.cause) }));
    await deps.events.publish('credential.revocation-failed', {
      owner,
      requestId,
      revoked,
      failed,
      unproven,
    });
    const report = [...failed, ...unproven.map((u) => `${u.secretName}: revocation unproven (${u.reason})`)];
    throw new RevocationIncompleteError(
      `${notRevoked.length} of ${results.length} credentials of ${owner} are not revoked: ${report.join('; ')}`,
    );
  }
  return { owner, requestId, revoked, status: 'revoked' as const };
}
