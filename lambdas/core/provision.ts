/**
 * The provision workflow's steps (DESIGN.md section 2), one function per Task state.
 * Each receives the workflow state, does its work idempotently and returns only names,
 * ARNs and version ids. Key material exists only inside `issueKeyAndStore` and `verifyCredential`.
 */
import { z } from 'zod';
import { ConflictError, CredentialNotYetValidError, FatalError, ValidationError } from './errors.ts';
import type { EventPublisher } from './events.ts';
import { ProvisionRequest, parseInput, parseProvisionRequest, type TargetDefinition } from './requests.ts';
import {
  type CredentialStore,
  CURRENT,
  clientRequestToken,
  credentialSecretName,
  PENDING,
  PREVIOUS,
  TAG,
  versionWithStage,
} from './secrets.ts';
import type { Vendor, VendorContext } from './vendors/vendor.ts';

export interface ProvisionDeps {
  readonly store: CredentialStore;
  readonly vendorFor: (context: VendorContext) => Vendor;
  readonly events: EventPublisher;
  readonly now: () => Date;
}

/** Step Functions execution names: 1-80 characters, no whitespace or wildcard / control characters. */
const ExecutionName = z.string().regex(/^[A-Za-z0-9_-]{1,80}$/, 'must be a Step Functions execution name');

const Ensured = z.object({ createdByThisRequest: z.boolean() }).strict();

/** The state the workflow carries between steps: no key material by construction. */
export const ProvisionState = z
  .object({
    request: ProvisionRequest,
    requestId: ExecutionName,
    secretName: z.string().max(512),
    accessProfile: Ensured.optional(),
    apiUser: Ensured.optional(),
    credential: z
      .object({ secretArn: z.string().max(2048), versionId: z.string().max(64) })
      .strict()
      .optional(),
    error: z.object({ Error: z.string(), Cause: z.string().optional() }).optional(),
  })
  .strict();
export type ProvisionState = z.output<typeof ProvisionState>;

export function parseProvisionState(input: unknown): ProvisionState {
  return parseInput(ProvisionState, input, 'workflow state');
}

const ISSUE_KEY_STEP = 'issue-key-and-store';

async function vendorOf(
  deps: ProvisionDeps,
  targetName: string,
): Promise<{ vendor: Vendor; target: TargetDefinition }> {
  const target = await deps.store.loadTarget(targetName);
  return { vendor: deps.vendorFor({ target }), target };
}

/** ValidateRequest: schema, size and allow-lists, the target exists, nothing active is in the way. */
export async function validateRequest(
  deps: ProvisionDeps,
  input: { request: unknown; executionName: unknown },
): Promise<Pick<ProvisionState, 'request' | 'requestId' | 'secretName'>> {
  const request = parseProvisionRequest(input.request);
  const requestId = parseInput(ExecutionName, input.executionName, 'execution name');
  // Loading the target proves it exists and holds a valid definition before anything is created.
  await deps.store.loadTarget(request.target);
  const secretName = credentialSecretName(request.target, request.apiUser);
  const existing = await deps.store.describe(secretName);
  if (existing?.deletedDate) {
    throw new ConflictError(
      `${secretName} is scheduled for deletion: restore it or wait for its recovery window`,
    );
  }
  const status = existing?.tags[TAG.status];
  const sameRequest = existing?.tags[TAG.createdBy] === requestId;
  if (existing && !sameRequest && (status === 'active' || status === 'provisioning')) {
    throw new ConflictError(
      `${request.apiUser} on ${request.target} already has a credential (${secretName}, status ${status}): rotate it instead of provisioning again`,
    );
  }
  return { request, requestId, secretName };
}

export async function ensureAccessProfile(deps: ProvisionDeps, state: ProvisionState) {
  const { vendor } = await vendorOf(deps, state.request.target);
  return vendor.ensureAccessProfile(state.request.accessProfile);
}

export async function createApiUser(deps: ProvisionDeps, state: ProvisionState) {
  const { vendor } = await vendorOf(deps, state.request.target);
  const { request } = state;
  return vendor.ensureUser({
    name: request.apiUser,
    profile: request.accessProfile.name,
    trustedHosts: request.trustedHosts,
    vdom: request.vdom,
    requestId: state.requestId,
    comment: request.comment,
  });
}

/**
 * IssueKeyAndStore: the only step that sees a new key. The version id is derived from the request,
 * so a retry after a lost answer finds the stored version and issues nothing new.
 */
export async function issueKeyAndStore(
  deps: ProvisionDeps,
  state: ProvisionState,
): Promise<{ secretArn: string; versionId: string }> {
  const { request, requestId, secretName } = state;
  const { vendor, target } = await vendorOf(deps, request.target);
  const secret = await deps.store.ensureCredentialSecret(secretName, {
    [TAG.owner]: request.owner,
    [TAG.target]: request.target,
    [TAG.vendor]: target.vendor,
    [TAG.ticket]: request.ticket,
    [TAG.status]: 'provisioning',
    [TAG.createdBy]: requestId,
  });
  if (secret.tags[TAG.target] !== request.target || secret.tags[TAG.vendor] !== target.vendor) {
    throw new FatalError(`${secretName} exists but is not a credential of target ${request.target}`);
  }
  const token = clientRequestToken(requestId, ISSUE_KEY_STEP);
  if (secret.versions[token]) return { secretArn: secret.arn, versionId: token };
  const { key } = await vendor.issueKey(request.apiUser);
  const versionId = await deps.store.storePending(
    secret.arn,
    {
      vendor: target.vendor,
      target: request.target,
      apiUser: request.apiUser,
      key,
      issuedAt: deps.now().toISOString(),
    },
    token,
  );
  return { secretArn: secret.arn, versionId };
}

/** VerifyCredential: the stored key must be accepted by the product (retried while it propagates). */
export async function verifyCredential(deps: ProvisionDeps, state: ProvisionState): Promise<void> {
  const credential = requireCredential(state);
  const { vendor } = await vendorOf(deps, state.request.target);
  const { key } = await deps.store.readVersion(credential.secretArn, credential.versionId);
  if ((await vendor.verify(key)) !== 'accepted') {
    throw new CredentialNotYetValidError(
      `${state.request.target} does not accept the new key of ${state.request.apiUser} yet`,
    );
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

/** FinalizeCredential: AWSCURRENT on the verified version, status tag active, `credential.provisioned`. */
export async function finalizeCredential(
  deps: ProvisionDeps,
  state: ProvisionState,
): Promise<ProvisionResult> {
  const credential = requireCredential(state);
  const { request, requestId, secretName } = state;
  await deps.store.promote(credential.secretArn, credential.versionId);
  await deps.store.tag(credential.secretArn, { [TAG.status]: 'active' });
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
}

/** The message of a Lambda error cause (`{"errorType","errorMessage",...}`), or the cause text itself. */
export function causeMessage(cause: string | undefined): string {
  if (!cause) return 'unknown failure';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // Not JSON: Step Functions' own errors (States.Timeout, ...) carry plain text.
  }
  return cause;
}

/**
 * CompensateProvision: undo what this request created, decided from what exists rather than from
 * which step failed, so a failure whose answer was lost after the product committed is undone too.
 */
export async function compensateProvision(
  deps: ProvisionDeps,
  state: ProvisionState,
): Promise<CompensationResult> {
  const { request, requestId, secretName } = state;
  const { vendor } = await vendorOf(deps, request.target);
  const user = await vendor.findManagedUser(request.apiUser);
  const userRemoved = user?.requestId === requestId && (await vendor.revoke(request.apiUser)).removed;
  const secret = await discardThisRequestsVersion(deps.store, secretName, requestId);
  await deps.events.publish('credential.provision-failed', {
    target: request.target,
    apiUser: request.apiUser,
    owner: request.owner,
    ticket: request.ticket,
    requestId,
    error: state.error?.Error ?? 'unknown',
    reason: causeMessage(state.error?.Cause),
  });
  return { userRemoved, secret };
}

async function discardThisRequestsVersion(
  store: CredentialStore,
  secretName: string,
  requestId: string,
): Promise<CompensationResult['secret']> {
  const description = await store.describe(secretName);
  if (!description || description.deletedDate) return 'untouched';
  // A secret this request created holds nothing but the dead key of a removed user.
  if (description.tags[TAG.createdBy] === requestId) {
    await store.deleteNow(description.arn);
    return 'deleted';
  }
  const versionId = clientRequestToken(requestId, ISSUE_KEY_STEP);
  const labels = description.versions[versionId];
  if (!labels) return 'untouched';
  const previous = versionWithStage(description, PREVIOUS);
  if (labels.includes(CURRENT) && previous)
    await store.moveStage(description.arn, CURRENT, previous, versionId);
  if (labels.includes(PENDING)) await store.removeStage(description.arn, PENDING, versionId);
  return 'version-discarded';
}

function requireCredential(state: ProvisionState): NonNullable<ProvisionState['credential']> {
  if (!state.credential)
    throw new ValidationError('workflow state has no credential: IssueKeyAndStore has not run');
  return state.credential;
}
