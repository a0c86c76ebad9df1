/**
 * Operator substitution through `provisioner submit`, which hands the answer to AcceptOperatorAnswer:
 * on every product whose credentials a person hands in, a credential that is not this credential's
 * own is refused with a specific error, nothing is stored and the task stays open (issue 14, item
 * 9): another secret's file (two secrets would share one key or one product user), another ARM
 * user's token. The rotation cases (the current token handed in as new, another FortiFlex IAM user)
 * are in test/workflow/rotate-operator.test.ts. And the operator principal has no way around the
 * function: it reads no credential or task token, writes no credential, answers no task itself.
 */
import { randomUUID } from 'node:crypto';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { GetSecretValueCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import {
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
} from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { credentialSecretName, DEFAULT_STACK_NAME, physicalNames } from '#core/names.ts';
import { refuseOperatorTask } from '#core/operator-tasks.ts';
import { vendorFor } from '#core/products/registry.ts';
import { sfnTaskAnswers } from '#core/task-answers.ts';
import { obtainInProductUi, submitAsOperator } from '#local/operator.ts';
import { executionEnd, provisionWaitingOnTask } from '#test/support/executions.ts';
import { useLocalEnvironment } from '#test/support/local-environment.ts';
import { failure } from '../failure.ts';

const { env } = useLocalEnvironment({
  targets: async (env) => {
    await env.registerTarget('fortiflex', 'flex');
    await env.registerTarget('forticnapp', 'cnapp');
    await env.registerTarget('autorabit', 'arm');
  },
});
const SERVICE_USERS: Record<string, string | undefined> = {
  flex: undefined,
  cnapp: 'svc-sub',
  arm: 'svc-sub',
};

/** What AcceptOperatorAnswer runs with, to end a test's task: the administrator stands in for its role. */
const deps = () => ({
  store: env.store,
  tasks: env.tasks,
  vendorFor,
  answers: sfnTaskAnswers(env.sfnClient),
  now: () => new Date(),
});

type Waiting = Awaited<ReturnType<typeof provisionWaiting>>;

/** Starts a provision and returns it with its open task. */
function provisionWaiting(target: string, apiUser: string) {
  const serviceUser = SERVICE_USERS[target];
  return provisionWaitingOnTask(env, {
    target,
    apiUser,
    owner: 'eve@example.com',
    ticket: `SUB-${apiUser}`,
    ...(serviceUser ? { serviceUser } : {}),
  });
}

/** Ends a test's waiting provision: its task refused as AcceptOperatorAnswer would, its workflow run out. */
async function endWaiting(waiting: Waiting, reason: string): Promise<void> {
  await refuseOperatorTask(deps(), { taskId: waiting.task.taskId, reason });
  await executionEnd(env, waiting.executionArn);
}

/**
 * Submits a file for the waiting task that must be refused: returns the refusal, the secret's
 * versions before and after, and the task as it was afterwards; then ends the provision.
 */
async function refusedSubmit(waiting: Waiting, file: { text: string }) {
  const secretName = credentialSecretName(waiting.task.target, waiting.task.apiUser);
  const before = (await env.store.describe(secretName))?.versions;
  const error = await failure(submitAsOperator(env, waiting.task.taskId, file));
  const after = (await env.store.describe(secretName))?.versions;
  const open = await env.tasks.read(waiting.task.taskId);
  await endWaiting(waiting, 'substitution refused');
  return { error, before, after, open };
}

describe('operator substitution through provisioner submit', () => {
  it.each(['flex', 'cnapp', 'arm'])(
    'on %s, another credential’s file is refused, nothing is stored and the task stays open',
    async (target) => {
      // Prepare: the victim's credential, from the file the operator saved.
      const victim = await provisionWaiting(target, 'victim');
      const victimsFile = obtainInProductUi(env, victim.task, SERVICE_USERS[target]);
      expect(await submitAsOperator(env, victim.task.taskId, victimsFile)).toBe(0);
      expect((await executionEnd(env, victim.executionArn)).status).toBe('SUCCEEDED');
      const attacker = await provisionWaiting(target, 'attacker');
      // Act
      const { error, before, after, open } = await refusedSubmit(attacker, victimsFile);
      // Assess
      expect(error.name).toBe('ValidationError');
      expect(error.message).toBe(
        `the credential handed in is already held by ${credentialSecretName(target, 'victim')}: each credential needs its own, create a new one in the product`,
      );
      expect(after).toEqual(before);
      expect(open?.taskId).toBe(attacker.task.taskId);
    },
  );

  it('on arm, another ARM user’s token for a task naming a service user is refused, nothing stored, the task open', async () => {
    // Prepare
    const attacker = await provisionWaiting('arm', 'other-user');
    const othersToken = obtainInProductUi(env, attacker.task, 'svc-someone-else');
    // Act
    const { error, before, after, open } = await refusedSubmit(attacker, othersToken);
    // Assess
    expect(error.name).toBe('ValidationError');
    expect(error.message).toBe(
      'the token handed in belongs to ARM user svc-someone-else, not to svc-sub, the service user of this credential',
    );
    expect(after).toEqual(before);
    expect(open?.taskId).toBe(attacker.task.taskId);
  });
});

describe('the operator principal (access key local, the operator policy) around AcceptOperatorAnswer', () => {
  it('cannot read a credential, write one, or get a task record (its token): AccessDeniedException', async () => {
    // Prepare: a credential provisioned and a task waiting.
    const done = await provisionWaiting('cnapp', 'read-attempt');
    expect(await submitAsOperator(env, done.task.taskId, obtainInProductUi(env, done.task, 'svc-sub'))).toBe(
      0,
    );
    expect((await executionEnd(env, done.executionArn)).status).toBe('SUCCEEDED');
    const waiting = await provisionWaiting('cnapp', 'token-attempt');
    const secretId = credentialSecretName('cnapp', 'read-attempt');
    // Act
    const refusals = await Promise.all([
      failure(env.operator.secretsClient.send(new GetSecretValueCommand({ SecretId: secretId }))),
      failure(
        env.operator.secretsClient.send(
          new PutSecretValueCommand({
            SecretId: secretId,
            SecretString: '{}',
            ClientRequestToken: randomUUID(),
          }),
        ),
      ),
      failure(
        env.operator.dynamoClient.send(
          new GetItemCommand({
            TableName: physicalNames(DEFAULT_STACK_NAME).taskTable,
            Key: { taskId: { S: waiting.task.taskId } },
          }),
        ),
      ),
    ]);
    await endWaiting(waiting, 'test done');
    // Assess: IAM's refusal in Secrets Manager's words (HTTP 400, AccessDeniedException), as
    // local/iam answers every denied call.
    for (const refusal of refusals) {
      expect(refusal.name).toBe('AccessDeniedException');
      expect(refusal.message).toContain('local-operator');
    }
  });

  it('cannot answer a task directly: SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat are AccessDeniedException', async () => {
    // Prepare
    const waiting = await provisionWaiting('flex', 'direct-answer');
    const token = (await env.tasks.read(waiting.task.taskId))?.taskToken ?? '';
    // Act: even holding the token (read here as the administrator), the operator may not send it.
    const refusals = await Promise.all([
      failure(env.operator.sfnClient.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }))),
      failure(env.operator.sfnClient.send(new SendTaskFailureCommand({ taskToken: token, error: 'x' }))),
      failure(env.operator.sfnClient.send(new SendTaskHeartbeatCommand({ taskToken: token }))),
    ]);
    const stillOpen = await env.tasks.read(waiting.task.taskId);
    await endWaiting(waiting, 'test done');
    // Assess
    expect(refusals.map((e) => e.name)).toEqual(Array(3).fill('AccessDeniedException'));
    expect(stillOpen?.taskToken).toBe(token);
  });

  it('may invoke AcceptOperatorAnswer and no other function', async () => {
    // Act
    const other = await failure(
      env.operator.lambdaClient.send(new InvokeCommand({ FunctionName: 'report-drift', Payload: '{}' })),
    );
    const own = await env.operator.lambdaClient.send(
      new InvokeCommand({
        FunctionName: physicalNames(DEFAULT_STACK_NAME).operatorAnswerFunction,
        Payload: JSON.stringify({ kind: 'show', taskId: 'no-such-task' }),
      }),
    );
    // Assess: the function runs and refuses the unknown task in its own words.
    expect(other).toMatchObject({ name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } });
    expect(own.FunctionError).toBe('Unhandled');
    expect(JSON.parse(new TextDecoder().decode(own.Payload))).toMatchObject({ errorType: 'NotFound' });
  });
});
