/**
 * The rotate workflow for products that issue credentials only in their own UI (FortiFlex,
 * FortiCNAPP, AutoRABIT ARM): a person hands in a second credential beside the current one, the
 * workflow verifies and promotes it, and after the grace period the old one is retired (by the
 * operator where the product still accepts it) and proven refused. A consumer never sees a refusal.
 */
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { beforeAll, describe, expect, it } from 'vitest';
import { planRotate } from '#cli/plan.ts';
import { ROTATION_SCHEDULE_GROUP } from '#core/config.ts';
import type { ActionRequiredDetail } from '#core/events.ts';
import { executionNameFor } from '#core/execution-names.ts';
import { ACCESS_TOKEN_STAGE, CURRENT, credentialSecretName, PENDING, TAG } from '#core/names.ts';
import { refuseOperatorTask } from '#core/operator-tasks.ts';
import { vendorFor } from '#core/products/registry.ts';
import { rotationScheduleName } from '#core/schedules.ts';
import { versionWithStage } from '#core/secrets.ts';
import { causeMessage } from '#core/step-error.ts';
import { sfnTaskAnswers } from '#core/task-answers.ts';
import { scanEnvironment } from '#local/leak-scan.ts';
import { obtainInProductUi, playOperator, submitAsOperator } from '#local/operator.ts';
import { executionEnd, runExecution, startExecution, taskOpenedBy } from '#test/support/executions.ts';
import { useLocalEnvironment } from '#test/support/local-environment.ts';
import { failure } from '../failure.ts';

const { env, logs } = useLocalEnvironment({
  targets: async (env) => {
    await env.registerTarget('fortiflex', 'flex');
    await env.registerTarget('forticnapp', 'cnapp');
    await env.registerTarget('autorabit', 'arm');
  },
});
const outputs: string[] = [];
let runs = 0;

const SERVICE_USERS: Record<string, string | undefined> = {
  flex: undefined,
  cnapp: 'svc-rotate@example.com',
  arm: 'rotate-bot',
};

/** A secret's AWSCURRENT value, or the version `stage` labels (a broker's token: ACCESS_TOKEN_STAGE). */
async function secretValue(name: string, stage?: string): Promise<Record<string, string>> {
  const answer = await env.secretsClient.send(
    new GetSecretValueCommand({ SecretId: name, VersionStage: stage }),
  );
  return JSON.parse(answer.SecretString ?? '{}') as Record<string, string>;
}

/** Starts an execution and answers its operator tasks as a person would, until it ends. */
async function runAnswering(
  stateMachineArn: string,
  input: Record<string, unknown>,
  name: string,
  answer: (task: ActionRequiredDetail) => Promise<unknown> = (task) =>
    playOperator(env, task, SERVICE_USERS[String(input.target)]),
) {
  const asked: ActionRequiredDetail[] = [];
  const described = await runExecution(env, stateMachineArn, input, name, async (task) => {
    asked.push(task);
    await answer(task);
  });
  outputs.push(JSON.stringify(described));
  return { described, asked };
}

async function provision(target: string, apiUser: string) {
  const serviceUser = SERVICE_USERS[target];
  const request = {
    target,
    apiUser,
    owner: 'kim@example.com',
    ticket: `ROT-${apiUser}`,
    ...(serviceUser ? { serviceUser } : {}),
  };
  const { described } = await runAnswering(
    env.provisionStateMachineArn,
    request,
    executionNameFor('provision', request.ticket, request),
  );
  expect(described.status, causeMessage(described.cause)).toBe('SUCCEEDED');
}

/**
 * What a consumer does: FortiFlex consumers use the broker's access token; the others read
 * AWSCURRENT and call the product with it.
 */
async function consumerCall(target: string, apiUser: string): Promise<string> {
  const secretName = credentialSecretName(target, apiUser);
  if (target === 'flex') {
    const { accessToken } = await secretValue(secretName, ACCESS_TOKEN_STAGE);
    return env.fortiflex.tokenWorks(accessToken ?? '') ? 'accepted' : 'rejected';
  }
  const vendor = vendorFor({ target: await env.store.loadTarget(target) });
  return (await vendor.verify((await secretValue(secretName)) as never)).outcome;
}

async function stages(target: string, apiUser: string) {
  const description = await env.store.describe(credentialSecretName(target, apiUser));
  return {
    current: description && versionWithStage(description, CURRENT),
    pending: description && versionWithStage(description, PENDING),
  };
}

const rotate = (target: string, apiUser: string) => ({
  stateMachineArn: env.rotateStateMachineArn,
  input: { target, apiUser },
  name: `rotate-${target}-${apiUser}-${++runs}`,
});

describe('rotate workflow (operator products, local runtime)', () => {
  beforeAll(async () => {
    for (const target of ['flex', 'cnapp', 'arm']) await provision(target, 'rot-api');
  });

  it.each([
    ['flex', false],
    ['cnapp', true],
    ['arm', true],
  ])(
    'on %s, a second credential from the operator replaces the first while a consumer never sees a refusal (operator retires the old one: %s)',
    async (target, retiredByOperator) => {
      // Prepare
      const seen: string[] = [];
      env.lambdaFaults.beforeEach = async () => {
        seen.push(await consumerCall(target, 'rot-api'));
      };
      const before = await secretValue(credentialSecretName(target, 'rot-api'));
      const { stateMachineArn, input, name } = rotate(target, 'rot-api');
      // Act
      const { described, asked } = await runAnswering(stateMachineArn, input, name);
      // Assess
      expect(described.status, causeMessage(described.cause)).toBe('SUCCEEDED');
      expect(asked.map((task) => task.action)).toEqual(retiredByOperator ? ['rotate', 'revoke'] : ['rotate']);
      expect(asked[0]).toMatchObject({ taskId: name, target, ticket: 'ROT-rot-api' });
      expect(seen.length).toBeGreaterThan(5);
      expect(seen.filter((outcome) => outcome !== 'accepted')).toEqual([]);
      const vendor = vendorFor({ target: await env.store.loadTarget(target) });
      expect((await vendor.verify(before as never)).outcome).not.toBe('accepted');
      expect(await consumerCall(target, 'rot-api')).toBe('accepted');
      expect(await stages(target, 'rot-api')).toMatchObject({ pending: undefined });
      for (const task of asked) expect(await env.tasks.read(task.taskId)).toBeUndefined();
    },
  );

  it("an expiring ARM token has a one-time schedule before its value's expiry, moved by each rotation; an earlier release's expiry tag goes", async () => {
    // Prepare: the tag earlier releases wrote, left at an expiry long past.
    const secretName = credentialSecretName('arm', 'rot-api');
    const key = `${ROTATION_SCHEDULE_GROUP}/${rotationScheduleName(secretName)}`;
    const expressionBefore = env.scheduler.schedules.get(key)?.ScheduleExpression;
    await env.store.tag(secretName, { [TAG.expiresAt]: '2001-01-01T00:00:00.000Z' });
    const { stateMachineArn, input, name } = rotate('arm', 'rot-api');
    // Act
    const { described } = await runAnswering(stateMachineArn, input, name);
    // Assess
    expect(described.status, causeMessage(described.cause)).toBe('SUCCEEDED');
    const schedule = env.scheduler.schedules.get(key);
    // The new token's expiry is in its value; no tag says otherwise.
    const expiresAt = Date.parse((await secretValue(secretName)).expiresAt ?? '');
    expect((await env.store.describe(secretName))?.tags[TAG.expiresAt]).toBeUndefined();
    // The simulated operator's tokens live 90 days: rotation starts 21 days before the new expiry.
    const rotateAt = new Date(expiresAt - 21 * 24 * 3600 * 1000).toISOString().slice(0, 19);
    expect(expressionBefore).toMatch(/^at\(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\)$/);
    expect(schedule?.ScheduleExpression).toBe(`at(${rotateAt})`);
    expect(schedule?.ScheduleExpressionTimezone).toBe('UTC');
    expect(schedule?.Target).toMatchObject({ Arn: env.rotateStateMachineArn });
  });

  it("plan rotate says an ARM token's one-time schedule moves to the new token's expiry, a FortiCNAPP key's stays", async () => {
    for (const [target, schedule] of [
      ['arm', (name: string) => `move ${name} to the new credential's expiry`],
      ['cnapp', (name: string) => `none: ${name} stays as it is`],
    ] as const) {
      // Prepare
      const secretName = credentialSecretName(target, 'rot-api');
      const lines: string[] = [];
      // Act
      const code = await planRotate(
        env.operator.sfnClient,
        async () => env.rotateStateMachineArn,
        secretName,
        { out: (line) => lines.push(line) },
        { pollMs: 20 },
      );
      // Assess
      expect(code).toBe(0);
      expect(lines).toContain(`  - ${schedule(rotationScheduleName(secretName))}`);
    }
  });

  it('a refused rotation task leaves the current credential current and working', async () => {
    // Prepare
    const before = await stages('cnapp', 'rot-api');
    const { stateMachineArn, input, name } = rotate('cnapp', 'rot-api');
    // Act
    const { described } = await runAnswering(stateMachineArn, input, name, (task) =>
      refuseOperatorTask(
        {
          store: env.store,
          tasks: env.tasks,
          vendorFor,
          answers: sfnTaskAnswers(env.sfnClient),
          now: () => new Date(),
        },
        { taskId: task.taskId, reason: 'no change window this week' },
      ),
    );
    // Assess
    expect(described.status).toBe('FAILED');
    expect(described.error).toBe('OperatorRefused');
    expect(await stages('cnapp', 'rot-api')).toEqual({ current: before.current, pending: undefined });
    expect(await consumerCall('cnapp', 'rot-api')).toBe('accepted');
    const failed = env.eventBus.events.findLast((e) => e.DetailType === 'credential.rotation-failed');
    expect(JSON.parse(failed?.Detail ?? '{}').reason).toMatch(/^the current key is untouched/);
  });

  it('a rotation task that expires unanswered leaves the current credential and no task behind', async () => {
    // Prepare
    env.stepFunctions.service.callbackTimeoutOverrideMs = 1;
    const before = await stages('arm', 'rot-api');
    const { stateMachineArn, input, name } = rotate('arm', 'rot-api');
    // Act
    const { described } = await runAnswering(stateMachineArn, input, name, async () => {});
    // Assess
    expect(described.status).toBe('FAILED');
    expect(described.error).toBe('States.Timeout');
    expect(await stages('arm', 'rot-api')).toEqual({ current: before.current, pending: undefined });
    expect(await env.tasks.read(name)).toBeUndefined();
    expect(await consumerCall('arm', 'rot-api')).toBe('accepted');
  });

  it('refuses before asking anyone when the product user has no room for the overlap (FortiCNAPP: 20 keys)', async () => {
    // Prepare: 19 other keys of the same service user are managed here; rotating needs 2 more.
    for (let i = 0; i < 19; i++) {
      await env.store.ensureCredentialSecret(credentialSecretName('cnapp', `other-${i}`), {
        [TAG.target]: 'cnapp',
        [TAG.vendor]: 'forticnapp',
        [TAG.serviceUser]: 'svc-rotate@example.com',
        [TAG.status]: 'active',
      });
    }
    const { stateMachineArn, input, name } = rotate('cnapp', 'rot-api');
    // Act
    const { described, asked } = await runAnswering(stateMachineArn, input, name);
    // Assess
    expect(described.status).toBe('FAILED');
    expect(causeMessage(described.cause)).toMatch(/holds 19 other keys.*old and the new key at once/);
    expect(asked).toEqual([]);
    expect(await consumerCall('cnapp', 'rot-api')).toBe('accepted');
  });

  it.each([
    [
      'arm',
      'the current token handed in as the new one',
      async (_task: ActionRequiredDetail, current: Record<string, string>) => ({
        text: current.token ?? '',
        expiresAt: current.expiresAt,
      }),
      'the credential handed in is the one provisioner/arm/rot-same already holds (AWSCURRENT): create a new one in the product',
    ],
    [
      'flex',
      'a download for another IAM user',
      async (task: ActionRequiredDetail) => obtainInProductUi(env, { ...task, action: 'issue' }, undefined),
      /^a rotation keeps the IAM API user \S+ of provisioner\/flex\/rot-same; the file is for \S+: download the credentials of that user$/,
    ],
  ])(
    'on %s, submit refuses %s, storing nothing and leaving the task open',
    async (target, _label, fileFor, message) => {
      // Prepare
      await provision(target, 'rot-same');
      const secretName = credentialSecretName(target, 'rot-same');
      const current = await secretValue(secretName);
      const { stateMachineArn, input, name } = rotate(target, 'rot-same');
      const executionArn = await startExecution(env, stateMachineArn, input, name);
      const task = await taskOpenedBy(env, executionArn);
      const versionsBefore = Object.keys((await env.store.describe(secretName))?.versions ?? {});
      // Act
      const error = await failure(submitAsOperator(env, task.taskId, await fileFor(task, current)));
      const versionsAfter = Object.keys((await env.store.describe(secretName))?.versions ?? {});
      const open = await env.tasks.read(task.taskId);
      await refuseOperatorTask(
        {
          store: env.store,
          tasks: env.tasks,
          vendorFor,
          answers: sfnTaskAnswers(env.sfnClient),
          now: () => new Date(),
        },
        { taskId: task.taskId, reason: 'test done' },
      );
      const done = await executionEnd(env, executionArn);
      // Assess
      expect(open?.taskId).toBe(task.taskId);
      expect(error.name).toBe('ValidationError');
      if (typeof message === 'string') expect(error.message).toBe(message);
      else expect(error.message).toMatch(message);
      expect(versionsAfter).toEqual(versionsBefore);
      expect(done.status).toBe('FAILED');
      expect(await secretValue(secretName)).toEqual(current);
    },
  );

  it('leaks no credential or token into histories, outputs, events or logs', async () => {
    // Act
    const found = scanEnvironment(env, {
      outputs,
      logs: logs.lines,
    });
    // Assess
    expect(found).toEqual([]);
  });
});
