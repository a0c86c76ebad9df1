/**
 * Operator tasks (wire facts: README.md beside this file): where a product issues credentials only in its own UI, the
 * workflow pauses on a Step Functions callback, tells a person what to do through a
 * `credential.action-required` event, and an operator answers with `provisioner submit`: the
 * downloaded credential goes straight into Secrets Manager and only its ARN and version id go back
 * to the workflow. The task token is kept in a `provisioner.tasks/<id>` secret, never in an event.
 */
import { createHash, randomUUID } from 'node:crypto';
import * as z from 'zod';
import {
  excerpt,
  FatalError,
  NotFoundError,
  OPERATOR_REFUSED,
  TaskGoneError,
  ValidationError,
} from './errors.ts';
import { EXECUTION_NAME_PATTERN } from './execution-names.ts';
import { CURRENT, PENDING, TAG } from './names.ts';
import { asOperatorVendor } from './products/adapters.ts';
import type { CredentialMaterial, OperatorVendor, Vendor, VendorContext } from './products/vendor.ts';
import { parseInput } from './schemas.ts';
import {
  type CredentialStore,
  type CredentialValue,
  type OperatorTaskRecord,
  type OperatorTaskSummary,
  versionWithStage,
} from './secrets.ts';
import type { WorkflowDeps } from './workflow-deps.ts';

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
 * Records a task (the token stays in its secret) and publishes `credential.action-required`: what to
 * do, for which ticket, by when. Repeating it (a retried invocation) rewrites the same task with the
 * newest token.
 */
export async function openOperatorTask(
  deps: Pick<WorkflowDeps, 'store' | 'events' | 'now'>,
  opening: OperatorTaskOpening,
): Promise<{ taskId: string; deadline: string }> {
  const { timeoutSeconds, heartbeatSeconds, ...task } = opening;
  const now = deps.now().getTime();
  const deadline = new Date(now + timeoutSeconds * 1000).toISOString();
  const acknowledgeBy = new Date(now + heartbeatSeconds * 1000).toISOString();
  await deps.store.putTask({ ...task, deadline, acknowledgeBy });
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
  readonly vendorFor: (context: VendorContext) => Vendor;
  readonly answers: TaskAnswers;
  readonly now: () => Date;
}

async function waitingTask(deps: OperatorDeps, taskId: string) {
  const id = parseInput(TaskId, taskId, 'task id');
  const record = await deps.store.readTask(id);
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
  deps: Pick<OperatorDeps, 'store'>,
  record: OperatorTaskRecord,
  send: (taskToken: string) => Promise<void>,
): Promise<void> {
  try {
    await send(record.taskToken);
  } catch (error) {
    if (!(error instanceof TaskGoneError)) throw error;
    const reopened = await deps.store.readTask(record.taskId);
    if (!reopened || reopened.taskToken === record.taskToken) throw error;
    await send(reopened.taskToken);
  }
}

/**
 * `provisioner submit`: parses the product's credential file, writes it as a new AWSPENDING version
 * of the task's secret and answers the workflow with the secret ARN and version id only. If the
 * task is gone meanwhile, the version written is unstaged again so nothing waits half-done.
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
  const vendor = asOperatorVendor(deps.vendorFor({ target }));
  const material = vendor.parseCredentialFile(input.text, { expiresAt: input.expiresAt });
  await assertHandedInCredentialIsOwn(
    deps.store,
    { target: record.target, secretName: record.secretName, rotation: record.action === 'rotate' },
    material,
  );
  const serviceUser = (await deps.store.describe(record.secretName))?.tags[TAG.serviceUser];
  if (serviceUser) await vendor.assertBelongsTo?.(material, serviceUser);
  const versionId = await deps.store.storePending(
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
  if ('expiresAt' in material)
    await deps.store.tag(record.secretArn, { [TAG.expiresAt]: material.expiresAt });
  try {
    await answerTask(deps, record, (token) =>
      deps.answers.succeed(token, { secretArn: record.secretArn, versionId }),
    );
  } catch (error) {
    // The record stays: the workflow's compensation removes it, or a retried step has just
    // reopened the task under it and the operator is asked again.
    if (error instanceof TaskGoneError) await deps.store.removeStage(record.secretArn, PENDING, versionId);
    throw error;
  }
  await deps.store.deleteTask(record.taskId);
  return { secretName: record.secretName, versionId };
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
 * `provisioner submit` checks it before anything is written, so a refusal changes nothing; the
 * workflow checks it again before the credential is verified (VerifyCredential, VerifyPendingKey),
 * so an answer sent around the CLI is refused too.
 */
export async function assertHandedInCredentialIsOwn(
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
export async function confirmOperatorRevocation(
  deps: OperatorDeps,
  input: { taskId: string },
): Promise<void> {
  const record = await waitingTask(deps, input.taskId);
  if (record.action !== 'revoke') {
    throw new ValidationError(`task ${record.taskId} waits for a credential: submit the file, not --done`);
  }
  await answerTask(deps, record, (token) =>
    deps.answers.succeed(token, { confirmedAt: deps.now().toISOString() }),
  );
  await deps.store.deleteTask(record.taskId);
}

/** `provisioner submit --refuse`: the operator will not issue the credential; the workflow compensates. */
export async function refuseOperatorTask(
  deps: OperatorDeps,
  input: { taskId: string; reason: string },
): Promise<void> {
  const reason = parseInput(RefusalReason, input.reason, 'refusal reason');
  const record = await waitingTask(deps, input.taskId);
  await answerTask(deps, record, (token) =>
    deps.answers.fail(token, OPERATOR_REFUSED, `refused by the operator: ${reason}`),
  );
  await deps.store.deleteTask(record.taskId);
}

/** `provisioner ack`: someone is on it (a heartbeat); the task's deadline stays. */
export async function acknowledgeOperatorTask(deps: OperatorDeps, input: { taskId: string }) {
  const record = await waitingTask(deps, input.taskId);
  await answerTask(deps, record, (token) => deps.answers.heartbeat(token));
  return { deadline: record.deadline };
}

export async function describeOperatorTask(deps: Pick<OperatorDeps, 'store'>, taskId: string) {
  const record = await deps.store.readTask(parseInput(TaskId, taskId, 'task id'));
  if (!record) throw new NotFoundError(`no operator task ${taskId} is waiting`);
  const { taskToken: _kept, ...shown } = record;
  return shown;
}

export function listOperatorTasks(store: CredentialStore): Promise<OperatorTaskSummary[]> {
  return store.listTasks();
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
