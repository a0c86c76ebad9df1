/**
 * Operator substitution through `provisioner submit`: on every product whose credentials a person
 * hands in, a credential that is not this credential's own is refused with a specific error before
 * anything is written (issue 14, item 9): another secret's file (two secrets would share one key or
 * one product user), and the current credential handed in as its own successor.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sfnTaskAnswers } from '#cli/task-answers.ts';
import { executionNameFor } from '#core/execution-names.ts';
import { CURRENT, credentialSecretName } from '#core/names.ts';
import { refuseOperatorTask } from '#core/operator-tasks.ts';
import { asOperatorVendor, vendorFor } from '#core/products/registry.ts';
import { versionWithStage } from '#core/secrets.ts';
import { causeMessage } from '#core/step-error.ts';
import { obtainInProductUi, submitAsOperator } from '#local/operator.ts';
import { executionEnd, startExecution, taskOpenedBy } from '#test/support/executions.ts';
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

const deps = () => ({
  store: env.store,
  tasks: env.tasks,
  vendorFor,
  answers: sfnTaskAnswers(env.sfnClient),
  now: () => new Date(),
});

/** Starts a provision and returns its open task. */
async function provisionWaiting(target: string, apiUser: string) {
  const serviceUser = SERVICE_USERS[target];
  const request = {
    target,
    apiUser,
    owner: 'eve@example.com',
    ticket: `SUB-${apiUser}`,
    ...(serviceUser ? { serviceUser } : {}),
  };
  const name = executionNameFor('provision', request.ticket, request);
  const executionArn = await startExecution(env, env.provisionStateMachineArn, request, name);
  return { executionArn, task: await taskOpenedBy(env, executionArn) };
}

describe('operator substitution through provisioner submit', () => {
  it.each(['flex', 'cnapp', 'arm'])(
    'on %s, another credential’s file is refused and nothing is written',
    async (target) => {
      // Prepare: the victim's credential, from the file the operator saved.
      const victim = await provisionWaiting(target, 'victim');
      const victimsFile = obtainInProductUi(env, victim.task, SERVICE_USERS[target]);
      expect(await submitAsOperator(env, victim.task.taskId, victimsFile)).toBe(0);
      expect((await executionEnd(env, victim.executionArn)).status).toBe('SUCCEEDED');
      const attacker = await provisionWaiting(target, 'attacker');
      const secretName = credentialSecretName(target, 'attacker');
      const before = (await env.store.describe(secretName))?.versions;
      // Act
      const error = await failure(submitAsOperator(env, attacker.task.taskId, victimsFile));
      const after = (await env.store.describe(secretName))?.versions;
      await refuseOperatorTask(deps(), { taskId: attacker.task.taskId, reason: 'substitution refused' });
      await executionEnd(env, attacker.executionArn);
      // Assess
      expect(error.name).toBe('ValidationError');
      expect(error.message).toBe(
        `the credential handed in is already held by ${credentialSecretName(target, 'victim')}: each credential needs its own, create a new one in the product`,
      );
      expect(after).toEqual(before);
    },
  );

  it.each(['flex', 'cnapp', 'arm'])(
    'on %s, another credential’s file answered around the CLI is refused by the workflow and never becomes current',
    async (target) => {
      // Prepare: the victim's credential, then the attacker's task answered with it as an operator
      // could with the SDK alone (the pending version written, SendTaskSuccess with its id).
      const victim = await provisionWaiting(target, `victim-sdk`);
      const victimsFile = obtainInProductUi(env, victim.task, SERVICE_USERS[target]);
      expect(await submitAsOperator(env, victim.task.taskId, victimsFile)).toBe(0);
      expect((await executionEnd(env, victim.executionArn)).status).toBe('SUCCEEDED');
      const attacker = await provisionWaiting(target, 'attacker-sdk');
      const operator = env.operator.store;
      const record = await env.operator.tasks.read(attacker.task.taskId);
      if (!record) throw new Error('the attacker’s task is not recorded');
      const vendor = asOperatorVendor(vendorFor({ target: await operator.loadTarget(target) }));
      const material = vendor.parseCredentialFile(victimsFile.text, { expiresAt: victimsFile.expiresAt });
      const value = {
        vendor: vendor.name,
        target,
        apiUser: record.apiUser,
        issuedAt: '2026-01-01T00:00:00Z',
      };
      const versionId = await operator.storePending(
        record.secretArn,
        { ...value, ...material } as never,
        randomUUID(),
      );
      // Act
      await sfnTaskAnswers(env.operator.sfnClient).succeed(record.taskToken, {
        secretArn: record.secretArn,
        versionId,
      });
      const done = await executionEnd(env, attacker.executionArn);
      // Assess
      expect(done.status).toBe('FAILED');
      expect(causeMessage(done.cause)).toContain(
        `the credential handed in is already held by ${credentialSecretName(target, 'victim-sdk')}`,
      );
      const secret = await env.store.describe(credentialSecretName(target, 'attacker-sdk'));
      const current = secret && !secret.deletedDate ? versionWithStage(secret, CURRENT) : undefined;
      expect(current).not.toBe(versionId);
    },
  );
});
