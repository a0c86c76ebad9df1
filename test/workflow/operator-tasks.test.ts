/**
 * Operator tasks on the embedded default: products that issue credentials only in their own UI
 * (FortiFlex, FortiCNAPP, AutoRABIT ARM) pause the provision workflow on a callback task; the
 * simulated operator answers through the same `provisioner submit` a person runs. Covers a task
 * that completes, one that expires, one refused, a bad file, the key limit and a broken key.
 */
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { tasks } from '#cli/commands.ts';
import { ROTATION_SCHEDULE_GROUP } from '#core/config.ts';
import { executionNameFor } from '#core/execution-names.ts';
import { ACCESS_TOKEN_STAGE, credentialSecretName, TAG } from '#core/names.ts';
import { refuseOperatorTask, submitOperatorCredential } from '#core/operator-tasks.ts';
import { vendorFor } from '#core/products/registry.ts';
import { rotationScheduleName } from '#core/schedules.ts';
import { credentialStatus } from '#core/secrets.ts';
import { causeMessage } from '#core/step-error.ts';
import { sfnTaskAnswers } from '#core/task-answers.ts';
import { collectIssuedMaterial, scanForMaterial } from '#local/leak-scan.ts';
import {
  obtainInProductUi,
  operatorAnswers,
  submitAsOperator,
  waitForActionRequired,
} from '#local/operator.ts';
import { executionEnd, startExecution } from '#test/support/executions.ts';
import { useLocalEnvironment } from '#test/support/local-environment.ts';
import { failure } from '../failure.ts';

const { env, logs } = useLocalEnvironment({
  targets: async (env) => {
    await env.registerTarget('fortiflex', 'flex');
    await env.registerTarget('forticnapp', 'cnapp');
    await env.registerTarget('autorabit', 'arm');
  },
});
const printed: string[] = [];
const io = { out: (line: string) => printed.push(line) };

function requestFor(
  target: string,
  apiUser: string,
  extra: { serviceUser?: string; trustedHosts?: string[] } = {},
) {
  return { target, apiUser, owner: 'bob@example.com', ticket: `REQ-${apiUser}`, ...extra };
}

async function start(input: Record<string, unknown>) {
  const name = executionNameFor('provision', String(input.ticket), input);
  const executionArn = await startExecution(env, env.provisionStateMachineArn, input, name);
  return { name, executionArn };
}

async function finished(executionArn: string) {
  const described = await executionEnd(env, executionArn);
  printed.push(JSON.stringify(described));
  return described;
}

/** What AcceptOperatorAnswer runs with, for tests that call its domain code directly: the administrator stands in for its role. */
const answerDeps = () => ({
  store: env.store,
  tasks: env.tasks,
  vendorFor,
  answers: sfnTaskAnswers(env.sfnClient),
  now: () => new Date(),
});

/** A secret's AWSCURRENT value, or the version `stage` labels (a broker's token: ACCESS_TOKEN_STAGE). */
async function secretValue(name: string, stage?: string): Promise<Record<string, string>> {
  const answer = await env.secretsClient.send(
    new GetSecretValueCommand({ SecretId: name, VersionStage: stage }),
  );
  return JSON.parse(answer.SecretString ?? '{}') as Record<string, string>;
}

describe('operator tasks (local runtime)', () => {
  it.each([
    ['flex', 'flex-api', {}],
    ['cnapp', 'cnapp-ci', { serviceUser: 'svc-ci@example.com' }],
    ['arm', 'arm-deploy', { serviceUser: 'release-bot' }],
  ])(
    'on %s, a task the operator answers with the product file completes the credential',
    async (target, apiUser, extra) => {
      // Prepare
      const request = requestFor(target, apiUser, extra);
      const { name, executionArn } = await start(request);
      const task = await waitForActionRequired(env, name);
      await tasks({ tasks: env.operator.tasks, answers: operatorAnswers(env) }, undefined, io);
      // Act
      const code = await submitAsOperator(env, name, obtainInProductUi(env, task, request.serviceUser), io);
      const execution = await finished(executionArn);
      // Assess
      expect(code).toBe(0);
      expect(printed.some((line) => line.includes(name))).toBe(true);
      expect(task).toMatchObject({
        taskId: name,
        target,
        ticket: request.ticket,
        submit: expect.stringContaining(name),
      });
      expect(task.steps.length).toBeGreaterThan(0);
      expect(execution.status).toBe('SUCCEEDED');
      const secretName = credentialSecretName(target, apiUser);
      const description = await env.store.describe(secretName);
      expect(credentialStatus(description)).toBe('active');
      expect(await env.tasks.read(name)).toBeUndefined();
      const stored = await secretValue(secretName);
      const verdict = await vendorFor({ target: await env.store.loadTarget(target) }).verify(stored as never);
      expect(verdict.outcome).toBe('accepted');
      if (target === 'arm') {
        // The expiry stays in the value (no tag write): the one-time rotation comes 21 days before it.
        expect(description?.tags[TAG.expiresAt]).toBeUndefined();
        const rotateAt = new Date(Date.parse(stored.expiresAt ?? '') - 21 * 86_400_000).toISOString();
        const schedule = env.scheduler.schedules.get(
          `${ROTATION_SCHEDULE_GROUP}/${rotationScheduleName(secretName)}`,
        );
        expect(schedule?.ScheduleExpression).toBe(`at(${rotateAt.slice(0, 19)})`);
      }
      if (target !== 'arm') {
        const token = await secretValue(secretName, ACCESS_TOKEN_STAGE);
        expect(Date.parse(token.expiresAt ?? '')).toBeGreaterThan(Date.now());
      }
    },
  );

  it('the broker’s schedule refreshes the access token before it expires; FortiCloud keeps only the new one', async () => {
    // Prepare: flex-api was provisioned by the first test
    const secretName = credentialSecretName('flex', 'flex-api');
    const schedule = env.scheduler.schedules.get(
      `${ROTATION_SCHEDULE_GROUP}/${rotationScheduleName(secretName)}`,
    );
    const before = await secretValue(secretName, ACCESS_TOKEN_STAGE);
    // Act
    const started = (await env.scheduler.fire(ROTATION_SCHEDULE_GROUP, rotationScheduleName(secretName))) as {
      executionArn: string;
    };
    const done = await executionEnd(env, started.executionArn);
    const after = await secretValue(secretName, ACCESS_TOKEN_STAGE);
    // Assess
    expect(schedule).toMatchObject({
      ScheduleExpression: 'rate(45 minutes)',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: { Arn: env.refreshStateMachineArn },
    });
    expect(done.status, causeMessage(done.cause)).toBe('SUCCEEDED');
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(env.fortiflex.tokenWorks(after.accessToken ?? '')).toBe(true);
    expect(env.fortiflex.tokenWorks(before.accessToken ?? '')).toBe(false);
  });

  it('a task nobody answers in time expires: the workflow compensates and a late answer changes nothing', async () => {
    // Prepare
    env.stepFunctions.service.callbackTimeoutOverrideMs = 0;
    const request = requestFor('flex', 'flex-late');
    const { name, executionArn } = await start(request);
    const task = await waitForActionRequired(env, name);
    // Act
    const execution = await finished(executionArn);
    const late = await failure(submitAsOperator(env, name, obtainInProductUi(env, task, undefined)));
    // Assess
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('States.Timeout');
    expect(late.name).toBe('NotFound');
    expect(await env.store.describe(credentialSecretName('flex', 'flex-late'))).toBeUndefined();
    expect(await env.tasks.read(name)).toBeUndefined();
    const failed = env.eventBus.events.findLast((e) => e.DetailType === 'credential.provision-failed');
    expect(JSON.parse(failed?.Detail ?? '{}')).toMatchObject({
      requestId: name,
      operatorAction: expect.any(String),
    });
  });

  /**
   * Starts a FortiFlex provision whose task step dies after opening its task, waits until the
   * retried step has reopened it, and returns operator deps whose first `reads` task reads still
   * see the record as it was before (the operator's command read it just before the retry).
   */
  async function taskReopenedAfterRead(apiUser: string, reads: number) {
    env.lambdaFaults.inject('request-operator-credential', 'after', { times: 1 });
    const { name, executionArn } = await start(requestFor('flex', apiUser));
    const task = await waitForActionRequired(env, name);
    const stale = await env.tasks.read(name);
    while ((await env.tasks.read(name))?.taskToken === stale?.taskToken) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    env.lambdaFaults.clear();
    const records = Object.create(env.tasks) as typeof env.tasks;
    let staleReads = reads;
    records.read = async (taskId) => (staleReads-- > 0 ? stale : env.tasks.read(taskId));
    const file = obtainInProductUi(env, task, undefined).text;
    return { name, executionArn, file, deps: { ...answerDeps(), tasks: records } };
  }

  it('an answer read before its step was retried reaches the task the retried step opened', async () => {
    // Prepare
    const { name, executionArn, file, deps } = await taskReopenedAfterRead('flex-retried', 1);
    // Act
    await submitOperatorCredential(deps, { taskId: name, text: file });
    const execution = await finished(executionArn);
    // Assess
    expect(execution.status, causeMessage(execution.cause)).toBe('SUCCEEDED');
    const description = await env.store.describe(credentialSecretName('flex', 'flex-retried'));
    expect(credentialStatus(description)).toBe('active');
  });

  it('an answer refused as gone keeps the task a retried step reopened, for the next try', async () => {
    // Prepare: both reads of the submit (the task, then the task again) come before the retry's write.
    const { name, executionArn, file, deps } = await taskReopenedAfterRead('flex-gone', 2);
    // Act
    const gone = await failure(submitOperatorCredential(deps, { taskId: name, text: file }));
    const again = await submitOperatorCredential(answerDeps(), { taskId: name, text: file });
    const execution = await finished(executionArn);
    // Assess
    expect(gone.name).toBe('TaskGone');
    expect(again.secretName).toBe(credentialSecretName('flex', 'flex-gone'));
    expect(execution.status, causeMessage(execution.cause)).toBe('SUCCEEDED');
  });

  it('a task the operator refuses fails the workflow with the reason, after compensating', async () => {
    // Prepare
    const { name, executionArn } = await start(
      requestFor('cnapp', 'cnapp-refused', { serviceUser: 'svc-x' }),
    );
    await waitForActionRequired(env, name);
    // Act
    await operatorAnswers(env).send({
      kind: 'refusal',
      taskId: name,
      reason: 'no approval from the account owner',
    });
    const execution = await finished(executionArn);
    // Assess
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('OperatorRefused');
    expect(causeMessage(execution.cause)).toMatch(/no approval from the account owner/);
    expect(await env.store.describe(credentialSecretName('cnapp', 'cnapp-refused'))).toBeUndefined();
  });

  it('a wrong file is refused with a clear error and changes nothing; the right one then completes', async () => {
    // Prepare
    const request = requestFor('cnapp', 'cnapp-retry', { serviceUser: 'svc-retry' });
    const { name, executionArn } = await start(request);
    const task = await waitForActionRequired(env, name);
    const ack = await operatorAnswers(env).send({ kind: 'acknowledgement', taskId: name });
    const secretName = credentialSecretName('cnapp', 'cnapp-retry');
    const versionsBefore = Object.keys((await env.store.describe(secretName))?.versions ?? {});
    // Act
    const wrong = await failure(submitAsOperator(env, name, { text: '<html>not a key file</html>' }));
    const versionsAfterWrong = Object.keys((await env.store.describe(secretName))?.versions ?? {});
    await submitAsOperator(env, name, obtainInProductUi(env, task, 'svc-retry'));
    const execution = await finished(executionArn);
    // Assess
    expect(ack.deadline).toBe(task.deadline);
    expect(wrong.name).toBe('ValidationError');
    expect(wrong.message).not.toContain('not a key file');
    expect(versionsAfterWrong).toEqual(versionsBefore);
    expect(execution.status).toBe('SUCCEEDED');
  });

  it('submit refuses another credential’s key file (two secrets would share one key), changing nothing', async () => {
    // Prepare: cnapp-first holds a key of svc-share; cnapp-second waits for its own.
    const first = requestFor('cnapp', 'cnapp-first', { serviceUser: 'svc-share' });
    const firstRun = await start(first);
    const firstFile = obtainInProductUi(env, await waitForActionRequired(env, firstRun.name), 'svc-share');
    await submitAsOperator(env, firstRun.name, firstFile);
    expect((await finished(firstRun.executionArn)).status).toBe('SUCCEEDED');
    const second = await start(requestFor('cnapp', 'cnapp-second', { serviceUser: 'svc-share' }));
    await waitForActionRequired(env, second.name);
    const secretName = credentialSecretName('cnapp', 'cnapp-second');
    const versionsBefore = Object.keys((await env.store.describe(secretName))?.versions ?? {});
    // Act
    const error = await failure(submitAsOperator(env, second.name, firstFile));
    const versionsAfter = Object.keys((await env.store.describe(secretName))?.versions ?? {});
    await refuseOperatorTask(answerDeps(), { taskId: second.name, reason: 'test done' });
    await finished(second.executionArn);
    // Assess
    expect(error.name).toBe('ValidationError');
    expect(error.message).toBe(
      'the credential handed in is already held by provisioner/cnapp/cnapp-first: each credential needs its own, create a new one in the product',
    );
    expect(versionsAfter).toEqual(versionsBefore);
  });

  it('refuses to ask for a key the product user has no room for (FortiCNAPP: 20 per user)', async () => {
    // Prepare
    for (let i = 0; i < 20; i += 1) {
      await env.store.ensureCredentialSecret(credentialSecretName('cnapp', `full-${i}`), {
        [TAG.target]: 'cnapp',
        [TAG.vendor]: 'forticnapp',
        [TAG.serviceUser]: 'svc-full',
        [TAG.status]: 'active',
      });
    }
    const eventsBefore = env.eventBus.events.length;
    // Act
    const execution = await finished(
      (await start(requestFor('cnapp', 'one-too-many', { serviceUser: 'svc-full' }))).executionArn,
    );
    // Assess
    expect(execution.status).toBe('FAILED');
    expect(causeMessage(execution.cause)).toMatch(/already holds 20 other keys.*allows 20 per user/);
    const newEvents = env.eventBus.events.slice(eventsBefore).map((e) => e.DetailType);
    expect(newEvents).not.toContain('credential.action-required');
  });

  it('a FortiCNAPP key whose user lost the admin role is refused at submit (HTTP 403, try again), not stored, and the task stays open', async () => {
    // Prepare
    const request = requestFor('cnapp', 'cnapp-relegated', { serviceUser: 'svc-relegated' });
    const { name, executionArn } = await start(request);
    const task = await waitForActionRequired(env, name);
    const file = obtainInProductUi(env, task, 'svc-relegated');
    env.forticnapp.console.relegate('svc-relegated');
    const secretName = credentialSecretName('cnapp', 'cnapp-relegated');
    const versionsBefore = Object.keys((await env.store.describe(secretName))?.versions ?? {});
    // Act
    const refused = await failure(submitAsOperator(env, name, file));
    const versionsAfter = Object.keys((await env.store.describe(secretName))?.versions ?? {});
    const stillOpen = await env.tasks.read(name);
    await refuseOperatorTask(answerDeps(), { taskId: name, reason: 'test done' });
    const execution = await finished(executionArn);
    // Assess
    expect(refused.name).toBe('CredentialNotYetValid');
    expect(refused.message).toMatch(/HTTP 403: Unauthorized Access.*admin role.*submit the same file again/);
    expect(versionsAfter).toEqual(versionsBefore);
    expect(stillOpen?.taskId).toBe(name);
    expect(execution.error).toBe('OperatorRefused');
    expect(await env.store.describe(secretName)).toBeUndefined();
  });

  it('refuses API-product fields on an operator product, and requires the service user where keys are counted', async () => {
    // Act
    const withHosts = await finished(
      (await start(requestFor('flex', 'flex-hosts', { trustedHosts: ['10.0.0.1/32'] }))).executionArn,
    );
    const withoutUser = await finished((await start(requestFor('arm', 'arm-nouser'))).executionArn);
    // Assess
    expect(withHosts.error).toBe('ValidationError');
    expect(causeMessage(withHosts.cause)).toMatch(/trustedHosts: fortiflex has no trusted hosts/);
    expect(withoutUser.error).toBe('ValidationError');
    expect(causeMessage(withoutUser.cause)).toMatch(/serviceUser: required for autorabit/);
  });

  it('leaks no password, key secret, token or access token into histories, events, logs or output', async () => {
    // Prepare
    const material = collectIssuedMaterial(env);
    // Act
    const found = scanForMaterial(material, {
      histories: env.stepFunctions.service.allHistories().map((h) => JSON.stringify(h)),
      events: env.eventBus.events.map((e) => JSON.stringify(e)),
      logs: logs.lines,
      output: printed,
    });
    // Assess
    expect(material.secrets.length).toBeGreaterThan(6);
    expect(material.taskTokens.length).toBeGreaterThan(0);
    expect(found).toEqual([]);
    // The task records, tokens included, live in the task table: Secrets Manager never held one.
    const secretValues = env.secretsManager.store.allStoredValues().join('\n');
    expect(material.taskTokens.filter((token) => secretValues.includes(token))).toEqual([]);
  });
});
