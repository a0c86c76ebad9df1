import * as z from 'zod';
import type { WorkflowStarter } from '../deactivation.ts';
import { RevocationIncompleteError, UNPROVEN_ERROR_NAME } from '../errors.ts';
import { continuationNameFor, ExecutionName } from '../execution-names.ts';
import { accessTokenSecretName, CURRENT, PENDING, SECRET_PREFIX, TAG } from '../names.ts';
import {
  CALLBACK_TASK_FIELDS,
  openOperatorTask,
  revocationInstructions,
  revocationTaskId,
} from '../operator-tasks.ts';
import { materialOf } from '../products/index.ts';
import { twinsOf } from '../products/managed-user.ts';
import { asApiVendor, asOperatorVendor } from '../products/registry.ts';
import { OwnerId, parseInput } from '../schemas.ts';
import { versionWithStage } from '../secrets.ts';
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
): Promise<{
  owner: string;
  reason: string;
  requestId: string;
  credentials: RevocationTarget[];
  continueAfter: string | null;
}> {
  const { continueAfter, ...request } = parseInput(RevocationInput, input.request, 'revoke request');
  const requestId = parseInput(ExecutionName, input.executionName, 'execution name');
  // In name order (ListSecrets promises none), so a continuation takes up exactly after its predecessor.
  const held = (await deps.store.listByOwner(request.owner))
    .filter((s) => !s.deletedDate && s.tags[TAG.status] !== 'revoked')
    .filter((s) => continueAfter === undefined || s.name > continueAfter)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const batch = held.slice(0, CREDENTIALS_PER_EXECUTION);
  const credentials = batch.map((s) => {
    const [target = '', ...user] = s.name.slice(SECRET_PREFIX.length).split('/');
    return { secretName: s.name, secretArn: s.arn, target, apiUser: user.join('/') };
  });
  const more = held.length > batch.length ? (batch.at(-1)?.name ?? null) : null;
  return { owner: request.owner, reason: request.reason, requestId, credentials, continueAfter: more };
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
    // A rotated credential's key may live on either twin: both go.
    const users = vendor.capabilities.twinUsers ? twinsOf(credential.apiUser) : [credential.apiUser];
    for (const user of users) await api.revoke(user);
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
  /** The execution's own input, to start the continuation with. */
  request: RevocationInput,
  continueAfter: z.string().max(512).nullable(),
  results: z
    .array(
      z.object({
        secretName: z.string(),
        status: z.enum(['revoked', 'failed']),
        error: z.string().optional(),
        cause: z.string().optional(),
      }),
    )
    .max(CREDENTIALS_PER_EXECUTION),
});

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
  const { owner, requestId, results, request, continueAfter } = parseInput(
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
      failed,
      unproven,
    });
    const report = [...failed, ...unproven.map((u) => `${u.secretName}: revocation unproven (${u.reason})`)];
    throw new RevocationIncompleteError(
      `${notRevoked.length} of ${results.length} credentials of ${owner} are not revoked: ${report.join('; ')}${continued}`,
    );
  }
  return { owner, requestId, revoked, status: 'revoked' as const, ...(continuation ? { continuation } : {}) };
}
