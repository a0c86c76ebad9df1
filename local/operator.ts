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
import { sfnTaskAnswers } from '#cli/task-answers.ts';
import type { ActionRequiredDetail } from '#core/events.ts';
import { vendorFor } from '#core/vendors/registry.ts';
import type { LocalEnvironment } from './environment.ts';

/** The action-required event of a task, once its Lambda has published it. */
export function actionRequired(env: LocalEnvironment, taskId: string): ActionRequiredDetail | undefined {
  const event = env.eventBus.events.findLast(
    (e) => e.DetailType === 'credential.action-required' && JSON.parse(e.Detail).taskId === taskId,
  );
  return event ? (JSON.parse(event.Detail) as ActionRequiredDetail) : undefined;
}

/** Resolves once the task's action-required event is out (the execution reached its callback task). */
export async function waitForActionRequired(
  env: LocalEnvironment,
  taskId: string,
): Promise<ActionRequiredDetail> {
  for (;;) {
    const found = actionRequired(env, taskId);
    if (found) return found;
    const described = await env.sfnClient.send(
      new DescribeExecutionCommand({
        executionArn: `${env.provisionStateMachineArn.replace(':stateMachine:', ':execution:')}:${taskId}`,
      }),
    );
    if (described.status !== 'RUNNING')
      throw new Error(`execution ${taskId} ended (${described.status}) without asking an operator`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** What the product's UI hands the operator for a task: the file text, and an expiry where the UI sets one. */
export function obtainInProductUi(
  env: LocalEnvironment,
  task: ActionRequiredDetail,
  serviceUser: string | undefined,
): { text: string; expiresAt?: string } {
  switch (task.vendor) {
    case 'fortiflex': {
      const username = env.fortiflex.console.createApiUser('FlexVM-ReadOnly');
      return { text: env.fortiflex.console.downloadCredentials(username) };
    }
    case 'forticnapp': {
      const user = serviceUser ?? task.apiUser;
      env.forticnapp.console.createServiceUser(user);
      return { text: env.forticnapp.console.createApiKey(user, task.apiUser) };
    }
    case 'autorabit': {
      const user = serviceUser ?? task.apiUser;
      env.autorabit.console.createUser(user);
      const expiresAt = new Date(Date.now() + 90 * 24 * 3600 * 1000).toISOString();
      return { text: env.autorabit.console.createToken(user, task.apiUser, expiresAt), expiresAt };
    }
    default:
      throw new Error(`no simulated UI for ${task.vendor}`);
  }
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
      { store: env.store, vendorFor, answers: sfnTaskAnswers(env.sfnClient), now: () => new Date() },
      { task: taskId, file, expiresAt: credential.expiresAt },
      { ...io, stdin: async () => '' },
    );
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}
