/**
 * A stand-in for the person who answers operator tasks on the embedded default: it reads the
 * `credential.action-required` event, does what the instructions say in the simulated product's
 * UI, saves the credential file the UI hands out, and runs the same `provisioner submit` an
 * operator would. Used by `npm start` and the workflow tests; never by the deployed system.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { type Output, submit } from '#cli/commands.ts';
import { lambdaOperatorAnswers, type OperatorAnswers } from '#cli/operator-answers.ts';
import type { ActionRequiredDetail } from '#core/events.ts';
import { DEFAULT_STACK_NAME, physicalNames } from '#core/names.ts';
import { ProductName } from '#core/products/index.ts';
import { simulatedOf } from '#core/products/simulated.ts';
import { parseInput } from '#core/schemas.ts';
import type { LocalEnvironment } from './environment.ts';
import type { SavedCredential } from './simulated-product.ts';

/** The action-required events published so far (optionally of one task). */
function actionsRequired(env: LocalEnvironment, taskId?: string): ActionRequiredDetail[] {
  return env.eventBus.events
    .filter((e) => e.DetailType === 'credential.action-required')
    .map((e) => JSON.parse(e.Detail) as ActionRequiredDetail)
    .filter((d) => taskId === undefined || d.taskId === taskId);
}

/** Resolves once the task's action-required event is out (the execution reached its callback task). */
export async function waitForActionRequired(
  env: LocalEnvironment,
  taskId: string,
): Promise<ActionRequiredDetail> {
  for (;;) {
    const found = actionsRequired(env, taskId).at(-1);
    if (found) return found;
    const described = await env.operator.sfnClient.send(
      new DescribeExecutionCommand({
        executionArn: `${env.provisionStateMachineArn.replace(':stateMachine:', ':execution:')}:${taskId}`,
      }),
    );
    if (described.status !== 'RUNNING')
      throw new Error(`execution ${taskId} ended (${described.status}) without asking an operator`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * Plays the operator for one execution until it ends: every action-required event it publishes is
 * handled once by `answer`. Returns the execution's final description.
 */
export async function answerTasksUntilDone(
  env: LocalEnvironment,
  executionArn: string,
  answer: (task: ActionRequiredDetail) => Promise<unknown>,
) {
  const requestId = executionArn.split(':').at(-1);
  // Per event, not per task: a step retried after opening its task asks again under the same id.
  const answered = new Set<string>();
  for (;;) {
    for (const event of env.eventBus.events) {
      if (event.DetailType !== 'credential.action-required' || answered.has(event.EventId)) continue;
      const task = JSON.parse(event.Detail) as ActionRequiredDetail;
      if (task.requestId !== requestId) continue;
      answered.add(event.EventId);
      await answer(task);
    }
    const described = await env.operator.sfnClient.send(new DescribeExecutionCommand({ executionArn }));
    if (described.status !== 'RUNNING') return described;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The product's simulated UI, as a person uses it for an operator task. */
function productUi(env: LocalEnvironment, task: ActionRequiredDetail) {
  const name = parseInput(ProductName, task.vendor, 'task vendor');
  const ui = simulatedOf(name).operatorUi;
  if (!ui) throw new Error(`no simulated UI for ${task.vendor}`);
  return { ui, simulator: env[name] };
}

/**
 * What the product's UI hands the operator for a task: the file text, and an expiry where the UI
 * sets one. A rotation task gets a second credential for the same product user.
 */
export function obtainInProductUi(
  env: LocalEnvironment,
  task: ActionRequiredDetail,
  serviceUser: string | undefined,
): SavedCredential {
  const { ui, simulator } = productUi(env, task);
  return ui.obtain(simulator, task, serviceUser);
}

/** What a person does for a revocation task in the product's UI, from the task's instructions. */
export function revokeInProductUi(env: LocalEnvironment, task: ActionRequiredDetail): void {
  const { ui, simulator } = productUi(env, task);
  ui.revoke(simulator, task);
}

/** The operator's way to its tasks, as the CLI's: lambda:Invoke of AcceptOperatorAnswer, as the operator. */
export function operatorAnswers(env: LocalEnvironment): OperatorAnswers {
  return lambdaOperatorAnswers(
    env.operator.lambdaClient,
    physicalNames(DEFAULT_STACK_NAME).operatorAnswerFunction,
  );
}

/** Runs `provisioner submit --done` for a revocation task. */
export function confirmAsOperator(env: LocalEnvironment, taskId: string, io: Output = { out: () => {} }) {
  return submit(operatorAnswers(env), { task: taskId, done: true }, { ...io, stdin: async () => '' });
}

/** Runs `provisioner submit` with the file saved in a private temporary folder, removed afterwards. */
export async function submitAsOperator(
  env: LocalEnvironment,
  taskId: string,
  credential: { text: string; expiresAt?: string },
  io: Output = { out: () => {} },
): Promise<number> {
  const folder = await mkdtemp(join(tmpdir(), 'provisioner-operator-'));
  try {
    const file = join(folder, 'credential');
    await writeFile(file, credential.text, { mode: 0o600 });
    return await submit(
      operatorAnswers(env),
      { task: taskId, file, expiresAt: credential.expiresAt },
      { ...io, stdin: async () => '' },
    );
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/**
 * The file a person saved from the product's UI, per task, until it is handed in: asked again (a
 * submit that failed, a step retried after opening its task), they hand in the same file rather
 * than make another key the product would then hold unused.
 */
const savedFiles = new WeakMap<LocalEnvironment, Map<string, SavedCredential>>();

/**
 * Plays the operator for one task as its instructions say: hand in a credential from the product's
 * UI (the same file again when asked again), or remove one there and confirm with --done.
 */
export async function playOperator(
  env: LocalEnvironment,
  task: ActionRequiredDetail,
  serviceUser?: string,
  io?: Output,
): Promise<number> {
  if (task.action === 'revoke') {
    revokeInProductUi(env, task);
    return confirmAsOperator(env, task.taskId, io);
  }
  const kept = savedFiles.get(env) ?? new Map<string, SavedCredential>();
  savedFiles.set(env, kept);
  const file = kept.get(task.taskId) ?? obtainInProductUi(env, task, serviceUser);
  kept.set(task.taskId, file);
  const code = await submitAsOperator(env, task.taskId, file, io);
  if (code === 0) kept.delete(task.taskId);
  return code;
}
