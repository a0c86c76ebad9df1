/**
 * Operator tasks (wire facts: README.md beside this file): where a product issues credentials only in its own UI, the
 * workflow pauses on a Step Functions callback, tells a person what to do through a
 * `credential.action-required` event, and an operator answers with `provisioner submit`, which
 * hands the answer to the AcceptOperatorAnswer function (`acceptOperatorAnswer`): it compares the
 * credential with the task's and the target's, verifies it at the product, stores it and answers
 * the workflow with the secret ARN and version id only. The task token is kept in the task's
 * record (operator-task-store.ts) that only the workflow's steps and that function read, never in
 * an event; the operator reads neither tokens nor credentials.
 */
import { createHash, randomUUID } from 'node:crypto';
import * as z from 'zod';
import {
  ConflictError,
  CredentialNotYetValidError,
  excerpt,
  FatalError,
  NotFoundError,
  OPERATOR_REFUSED,
  TaskGoneError,
  ValidationError,
} from './errors.ts';
import { EXECUTION_NAME_PATTERN } from './execution-names.ts';
import { CURRENT, PENDING, PREVIOUS, TAG } from './names.ts';
import type { OperatorTaskRecord, OperatorTaskSummary, TaskStore } from './operator-task-store.ts';
import { asOperatorVendor } from './products/adapters.ts';
import type { CredentialMaterial, OperatorVendor, Vendor, VendorContext } from './products/vendor.ts';
import { parseInput } from './schemas.ts';
import { type CredentialStore, type CredentialValue, credentialStatus, versionWithStage } from './secrets.ts';
import { keepAccessToken, type WorkflowDeps } from './workflow-deps.ts';

/** A task is named after its execution, so a person can tell which ticket it serves. */
export const TaskId = z
  .string()
  .regex(EXECUTION_NAME_PATTERN, 'must be a task id as `provisioner tasks` lists it');

/** Why an operator refused: free text for the failure event, allow-listed like a ticket comment. */
export const RefusalReason = z
  .string()
  .min(3)
  .max(200)
  .regex(/^[\w .,:;@()/+'-]*$/, "may only hold letters, digits, spaces and .,:;@()/+'-");

/** What every callback task's Lambda gets beside its own input: the token and the task's two bounds. */
export const CALLBACK_TASK_FIELDS = {
  taskToken: z.string().min(1).max(4096),
  timeoutSeconds: z.number().int().positive(),
  heartbeatSeconds: z.number().int().positive(),
};

/** What opening an operator task needs; the deadline and acknowledgement time follow from the two bounds. */
export type OperatorTaskOpening = Omit<OperatorTaskRecord, 'deadline' | 'acknowledgeBy'> & {
  readonly action: NonNullable<OperatorTaskRecord['action']>;
  readonly timeoutSeconds: number;
  readonly heartbeatSeconds: number;
};

/**
 * Records a task (the token stays in its record) and publishes `credential.action-required`: what to
 * do, for which ticket, by when. Repeating it (a retried invocation) rewrites the same task with the
 * newest token.
 */
export async function openOperatorTask(
  deps: Pick<WorkflowDeps, 'tasks' | 'events' | 'now'>,
  opening: OperatorTaskOpening,
): Promise<{ taskId: string; deadline: string }> {
  const { timeoutSeconds, heartbeatSeconds, ...task } = opening;
  const now = deps.now().getTime();
  const deadline = new Date(now + timeoutSeconds * 1000).toISOString();
  const acknowledgeBy = new Date(now + heartbeatSeconds * 1000).toISOString();
  await deps.tasks.put({ ...task, deadline, acknowledgeBy }, new Date(now));
  const { taskId, target, vendor, apiUser, owner, ticket, requestId, instructions } = task;
  await deps.events.publish('credential.action-required', {
    taskId,
    action: task.action,
    target,
    vendor,
    apiUser,
    owner,
    ticket,
    requestId,
    deadline,
    acknowledgeBy,
    ...instructions,
    submit:
      task.action === 'revoke'
        ? `provisioner submit --task ${taskId} --done`
        : `provisioner submit --task ${taskId} --file <${instructions.expects}>`,
  });
  return { taskId, deadline };
}

/**
 * Refuses before anyone is asked when the product user would exceed its documented key limit:
 * `needed` is how many keys of this credential must coexist (1 for a first one, 2 while rotating).
 */
export async function checkKeyLimit(
  deps: Pick<WorkflowDeps, 'store'>,
  vendor: OperatorVendor,
  credential: { target: string; serviceUser?: string; secretName: string },
  needed: 1 | 2,
): Promise<void> {
  const limit = vendor.capabilities.maxKeysPerUser;
  if (!limit || !credential.serviceUser) return;
  const held = await deps.store.countServiceUserCredentials(
    credential.target,
    credential.serviceUser,
    credential.secretName,
  );
  if (held + needed > limit) {
    throw new FatalError(
      `${credential.serviceUser} on ${credential.target} already holds ${held} other keys managed here; ${vendor.name} allows ${limit} per user${needed > 1 ? ' and a rotation needs the old and the new key at once' : ''}: revoke one first`,
    );
  }
}

/** How the operator's side answers a callback task (SendTaskSuccess / Failure / Heartbeat). */
export interface TaskAnswers {
  succeed(taskToken: string, output: Readonly<Record<string, unknown>>): Promise<void>;
  fail(taskToken: string, error: string, cause: string): Promise<void>;
  heartbeat(taskToken: string): Promise<void>;
}

export interface OperatorDeps {
  readonly store: CredentialStore;
  readonly tasks: TaskStore;
  readonly vendorFor: (context: VendorContext) => Vendor | Promise<Vendor>;
  readonly answers: TaskAnswers;
  readonly now: () => Date;
}

async function waitingTask(deps: OperatorDeps, taskId: string) {
  const id = parseInput(TaskId, taskId, 'task id');
  const record = await deps.tasks.read(id);
  if (!record) {
    throw new NotFoundError(
      `no operator task ${id} is waiting: it was answered, refused or has expired (see \`provisioner tasks\`)`,
    );
  }
  if (Date.parse(record.deadline) <= deps.now().getTime()) {
    throw new TaskGoneError(`operator task ${id} expired at ${record.deadline}`);
  }
  return record;
}

/**
 * Answers a task under its recorded token. A step that failed after opening its task is retried
 * under the same task id with a new token, and rewrites the record: when the token read is gone
 * but the record now holds another, the answer goes to the task that waits.
 */
async function answerTask(
  deps: Pick<OperatorDeps, 'tasks'>,
  record: OperatorTaskRecord,
  send: (taskToken: string) => Promise<void>,
): Promise<string> {
  try {
    await send(record.taskToken);
    return record.taskToken;
  } catch (error) {
    if (!(error instanceof TaskGoneError)) throw error;
    const reopened = await deps.tasks.read(record.taskId);
    if (!reopened || reopened.taskToken === record.taskToken) throw error;
    await send(reopened.taskToken);
    return reopened.taskToken;
  }
}

/** Operator credential files are small: anything larger is not one. */
export const MAX_CREDENTIAL_FILE_BYTES = 16 * 1024;

/**
 * `provisioner submit` (in AcceptOperatorAnswer): parses the product's credential file, checks it is
 * new and this task's own, has the product verify it, and only then stores it as AWSCURRENT (one
 * write; on rotation the current one becomes AWSPREVIOUS) and answers the workflow with the secret
 * ARN and version id only. A refusal stores nothing and leaves the task open. If the task is gone
 * meanwhile, AWSCURRENT goes back to the version it left, so nothing waits half-done.
 */
export async function submitOperatorCredential(
  deps: OperatorDeps,
  input: { taskId: string; text: string; expiresAt?: string },
): Promise<{ secretName: string; versionId: string }> {
  const record = await waitingTask(deps, input.taskId);
  if (record.action === 'revoke') {
    throw new ValidationError(
      `task ${record.taskId} asks to confirm a revocation: use --done, not a credential`,
    );
  }
  const target = await deps.store.loadTarget(record.target);
  const vendor = asOperatorVendor(await deps.vendorFor({ target }));
  const material = vendor.parseCredentialFile(input.text, { expiresAt: input.expiresAt });
  const rotation = record.action === 'rotate';
  await assertHandedInCredentialIsOwn(
    deps.store,
    { target: record.target, secretName: record.secretName, rotation },
    material,
  );
  const secret = await deps.store.describe(record.secretName);
  if (!secret || secret.deletedDate)
    throw new NotFoundError(`${record.secretName} is gone: the task's workflow no longer needs a credential`);
  // A revocation may have run while the person worked: a revoked credential gets no new key.
  if (rotation && credentialStatus(secret) !== 'active')
    throw new ConflictError(
      `${record.secretName} is no longer active (revoked meanwhile): nothing was stored`,
    );
  const accessToken = await acceptedByProduct(vendor, record, material, secret.tags[TAG.serviceUser]);
  // The value alone holds the expiry (lambdas/core/credential-expiry.ts): the tag earlier releases
  // wrote would name the expiry of the token this one replaces. Gone before the value is stored, so
  // a failed removal leaves nothing stored for the retried submit to refuse as already current.
  if (secret.tags[TAG.expiresAt] !== undefined) await deps.store.untag(record.secretArn, [TAG.expiresAt]);
  const versionId = await deps.store.storeCurrent(
    record.secretArn,
    {
      vendor: target.vendor,
      target: record.target,
      apiUser: record.apiUser,
      issuedAt: deps.now().toISOString(),
      ...material,
    },
    randomUUID(),
  );
  if (accessToken) await keepAccessToken(deps, record.secretName, accessToken);
  let answered: string;
  try {
    answered = await answerTask(deps, record, (token) =>
      deps.answers.succeed(token, { secretArn: record.secretArn, versionId }),
    );
  } catch (error) {
    // The record stays: the workflow's compensation removes it, or a retried step has just
    // reopened the task under it and the operator is asked again.
    if (error instanceof TaskGoneError) await restoreCurrent(deps.store, record.secretArn, versionId);
    throw error;
  }
  await deps.tasks.delete(record.taskId, answered);
  return { secretName: record.secretName, versionId };
}

/**
 * The product must accept the credential before it is stored. Refused for a reason no retry cures
 * (`broken`: its user lost the role it needs), the operator is told to fix it or create another;
 * refused now (`rejected` includes a key still propagating) or answered inconclusively, to submit
 * the same file again shortly. A token broker's check mints the bearer token consumers will read.
 */
async function acceptedByProduct(
  vendor: OperatorVendor,
  record: OperatorTaskRecord,
  material: CredentialMaterial,
  serviceUser: string | undefined,
) {
  // Where the product names the credential's user (ARM), the same call refuses another user's.
  const result =
    serviceUser && vendor.verifyOwnedBy
      ? await vendor.verifyOwnedBy(material, serviceUser)
      : await vendor.verify(material);
  if (result.outcome === 'broken') {
    throw new ValidationError(
      `${record.target} refuses this credential${result.reason ? ` (${result.reason})` : ''}: nothing was stored; check it in ${vendor.name}, or create a new one, and submit again`,
    );
  }
  if (result.outcome !== 'accepted') {
    throw new CredentialNotYetValidError(
      `${record.target} does not accept this credential yet${result.reason ? ` (${result.reason})` : ''}: nothing was stored; submit the same file again in a minute`,
    );
  }
  return result.accessToken;
}

/** A credential stored for a task that no longer waits: AWSCURRENT back on the version it left, if any. */
async function restoreCurrent(store: CredentialStore, secretArn: string, versionId: string): Promise<void> {
  const secret = await store.describe(secretArn);
  const previous = secret && versionWithStage(secret, PREVIOUS);
  if (previous && versionWithStage(secret, CURRENT) === versionId)
    await store.moveStage(secretArn, CURRENT, previous, versionId);
}

/** The fields that are the credential itself: two secrets sharing one would share one key. */
const CREDENTIAL_FIELDS = ['key', 'keyId', 'secret', 'token', 'password'] as const;

/** Whether a stored credential is the submitted one; another secret's product user counts too. */
function sameCredential(stored: CredentialValue, submitted: CredentialMaterial, own: boolean): boolean {
  const a = stored as Record<string, unknown>;
  const b = submitted as Record<string, unknown>;
  if (!own && typeof b.username === 'string' && a.username === b.username) return true;
  return CREDENTIAL_FIELDS.some((field) => typeof b[field] === 'string' && a[field] === b[field]);
}

/**
 * A handed-in credential must be new and this credential's alone: not what this secret already
 * holds (an ARM token handed in as its own successor would then be revoked as the old one), not
 * what another secret of the target holds (two secrets, one key: revoking one kills the other),
 * and a rotation keeps the product user (a FortiFlex rotation may not switch to another IAM user).
 * AcceptOperatorAnswer checks it before anything is written, so a refusal changes nothing; no
 * answer goes around it, since only the workflow's steps and that function read task tokens.
 */
async function assertHandedInCredentialIsOwn(
  store: CredentialStore,
  credential: { readonly target: string; readonly secretName: string; readonly rotation: boolean },
  material: CredentialMaterial,
): Promise<void> {
  const submitted = material as Record<string, unknown>;
  for (const secret of await store.listByTarget(credential.target)) {
    const own = secret.name === credential.secretName;
    // Its own versions are compared only on rotation (the current credential): while it is being
    // issued, its first version (AWSCURRENT, as Secrets Manager labels any first version) may be
    // this very file, handed in again after a failed answer.
    const stages = own ? (credential.rotation ? [CURRENT] : []) : [CURRENT, PENDING];
    for (const stage of stages) {
      const versionId = versionWithStage(secret, stage);
      if (!versionId) continue;
      const stored = await store.readVersion(secret.arn, versionId);
      const username = (stored as Record<string, unknown>).username;
      if (
        own &&
        typeof username === 'string' &&
        typeof submitted.username === 'string' &&
        username !== submitted.username
      ) {
        throw new ValidationError(
          `a rotation keeps the IAM API user ${username} of ${credential.secretName}; the file is for ${excerpt(submitted.username, 64)}: download the credentials of that user`,
        );
      }
      if (!sameCredential(stored, material, own)) continue;
      throw new ValidationError(
        own
          ? `the credential handed in is the one ${credential.secretName} already holds (AWSCURRENT): create a new one in the product`
          : `the credential handed in is already held by ${secret.name}: each credential needs its own, create a new one in the product`,
      );
    }
  }
}

/** `provisioner submit --done`: the operator revoked the credential in the product's UI; the workflow proves it. */
async function confirmOperatorRevocation(deps: OperatorDeps, input: { taskId: string }): Promise<void> {
  const record = await waitingTask(deps, input.taskId);
  if (record.action !== 'revoke') {
    throw new ValidationError(`task ${record.taskId} waits for a credential: submit the file, not --done`);
  }
  const answered = await answerTask(deps, record, (token) =>
    deps.answers.succeed(token, { confirmedAt: deps.now().toISOString() }),
  );
  await deps.tasks.delete(record.taskId, answered);
}

/** `provisioner submit --refuse`: the operator will not issue the credential; the workflow compensates. */
export async function refuseOperatorTask(
  deps: OperatorDeps,
  input: { taskId: string; reason: string },
): Promise<void> {
  const reason = parseInput(RefusalReason, input.reason, 'refusal reason');
  const record = await waitingTask(deps, input.taskId);
  const answered = await answerTask(deps, record, (token) =>
    deps.answers.fail(token, OPERATOR_REFUSED, `refused by the operator: ${reason}`),
  );
  await deps.tasks.delete(record.taskId, answered);
}

/** `provisioner ack`: someone is on it (a heartbeat); the task's deadline stays. */
async function acknowledgeOperatorTask(deps: OperatorDeps, input: { taskId: string }) {
  const record = await waitingTask(deps, input.taskId);
  await answerTask(deps, record, (token) => deps.answers.heartbeat(token));
  return { deadline: record.deadline };
}

async function describeOperatorTask(deps: Pick<OperatorDeps, 'tasks'>, taskId: string) {
  const record = await deps.tasks.read(parseInput(TaskId, taskId, 'task id'));
  if (!record) throw new NotFoundError(`no operator task ${taskId} is waiting`);
  const { taskToken: _kept, ...shown } = record;
  return shown;
}

export function listOperatorTasks(tasks: TaskStore): Promise<OperatorTaskSummary[]> {
  return tasks.list();
}

/** The task id of one credential's revocation: the execution plus the credential, bounded. */
export function revocationTaskId(requestId: string, secretName: string): string {
  const hash = createHash('sha256').update(secretName).digest('hex').slice(0, 10);
  return `${requestId.slice(0, 69)}-${hash}`;
}

/** What a person does to revoke a credential in a product's UI; the workflow proves it afterwards. */
export function revocationInstructions(summary: string, operatorAction: string, taskId: string) {
  return {
    summary,
    steps: [
      operatorAction,
      `Confirm with provisioner submit --task ${taskId} --done; the workflow then proves the old credential is refused.`,
    ],
    expects: 'nothing: confirm with --done',
  };
}

/**
 * What `provisioner submit`, `ack` and `tasks <id>` hand AcceptOperatorAnswer (lambda:Invoke): a task
 * id and the answer, the credential file's text among them. Strict: anything else is refused.
 */
// Built on the first answer: no other step parses one.
export const OperatorAnswer = z.lazy(() =>
  z.discriminatedUnion('kind', [
    z
      .object({
        kind: z.literal('credential'),
        taskId: TaskId,
        text: z.string().max(MAX_CREDENTIAL_FILE_BYTES),
        expiresAt: z.string().max(64).optional(),
      })
      .strict(),
    z.object({ kind: z.literal('refusal'), taskId: TaskId, reason: z.string().max(400) }).strict(),
    z.object({ kind: z.literal('done'), taskId: TaskId }).strict(),
    z.object({ kind: z.literal('acknowledgement'), taskId: TaskId }).strict(),
    z.object({ kind: z.literal('show'), taskId: TaskId }).strict(),
  ]),
);
export type OperatorAnswer = z.infer<typeof OperatorAnswer>;

/** What each answer gets back: names, version ids and dates, never a token or a credential. */
export interface OperatorAnswerResults {
  credential: { secretName: string; versionId: string };
  refusal: { refused: true };
  done: { confirmed: true };
  acknowledgement: { deadline: string };
  show: Omit<OperatorTaskRecord, 'taskToken'>;
}

/** AcceptOperatorAnswer: one operator answer, checked and carried out under the task's token. */
export async function acceptOperatorAnswer(
  deps: OperatorDeps,
  event: unknown,
): Promise<OperatorAnswerResults[OperatorAnswer['kind']]> {
  const answer = parseInput(OperatorAnswer, event, 'operator answer');
  const { taskId } = answer;
  switch (answer.kind) {
    case 'credential':
      return submitOperatorCredential(deps, answer);
    case 'refusal':
      await refuseOperatorTask(deps, answer);
      return { refused: true };
    case 'done':
      await confirmOperatorRevocation(deps, { taskId });
      return { confirmed: true };
    case 'acknowledgement':
      return acknowledgeOperatorTask(deps, { taskId });
    case 'show':
      return describeOperatorTask(deps, taskId);
  }
}
