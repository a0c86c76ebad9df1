/**
 * The fault matrix on an operator product (issue 6): a FortiCNAPP credential, whose keys a person
 * makes and deletes in the console while the workflows verify, promote and prove. For each
 * workflow a clean run finds the Task states of its synthesized definition such a credential passes
 * through; then every one of them times every fault runs to its end, the operator answering each
 * task as it appears (and retrying a console command that failed, as a person would), and the
 * invariants hold afterwards:
 * - the credential's active key verifies against the product;
 * - the product holds exactly the keys of active credentials (no key left behind by a retry);
 * - no AWSPENDING version is left beside AWSCURRENT;
 * - a revoked credential is refused by its product;
 * - during a rotation a consumer reading AWSCURRENT is never refused (faults outside the product).
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { ActionRequiredDetail } from '#core/events.ts';
import { CURRENT, credentialSecretName, PENDING } from '#core/names.ts';
import { vendorFor } from '#core/products/registry.ts';
import { credentialStatus, versionWithStage } from '#core/secrets.ts';
import { causeMessage } from '#core/step-error.ts';
import { scanEnvironment } from '#local/leak-scan.ts';
import { playOperator } from '#local/operator.ts';
import { executionEnd } from '#test/support/executions.ts';
import { useLocalEnvironment } from '#test/support/local-environment.ts';
import {
  armFault,
  disarmFaults,
  FAULTS,
  type Fault,
  startWorkflow,
  VENDOR_TIMEOUT_MS,
  WORKFLOWS,
  type Workflow,
  workflowTasks,
} from './fault-matrix.ts';

const TASKS = workflowTasks();
const TARGET = 'cnapp';
const { env, logs } = useLocalEnvironment({
  variables: { PROVISIONER_VENDOR_TIMEOUT_MS: VENDOR_TIMEOUT_MS },
  // A task left unanswered fails its case as States.Timeout instead of stalling the run.
  callbackTimeoutOverrideMs: 60_000,
  targets: async (env) => {
    await env.registerTarget('forticnapp', TARGET);
  },
});
const outputs: string[] = [];
const summary = { ran: 0, passed: 0 };

const serviceUserOf = (apiUser: string) => `svc-${apiUser}@example.com`;

/**
 * A person looks the task up first (a repeated notice of a task already answered needs nothing),
 * then answers it; a command that failed (a fault, a task already gone) is tried again once.
 */
async function operatorAnswers(task: ActionRequiredDetail, serviceUser: string): Promise<void> {
  for (let attempt = 1; attempt <= 2; attempt += 1) {
    if (!(await env.tasks.read(task.taskId))) return;
    try {
      if ((await playOperator(env, task, serviceUser)) === 0) return;
    } catch (error) {
      outputs.push(`operator: ${(error as Error).message}`);
    }
  }
}

async function run(workflow: Workflow, apiUser: string) {
  const executionArn = await startWorkflow(env, workflow, {
    target: TARGET,
    apiUser,
    owner: `${apiUser}@example.com`,
    ticket: `FMO-${apiUser}`,
    serviceUser: serviceUserOf(apiUser),
  });
  const described = await executionEnd(env, executionArn, (task) =>
    operatorAnswers(task, serviceUserOf(apiUser)),
  );
  outputs.push(JSON.stringify(described));
  return described;
}

async function currentValue(apiUser: string) {
  const secret = await env.store.describe(credentialSecretName(TARGET, apiUser));
  if (!secret) return undefined;
  // A secret scheduled for deletion cannot be read.
  return { secret, value: secret.deletedDate ? undefined : await env.store.readCurrent(secret.arn) };
}

async function consumerRefused(apiUser: string): Promise<boolean> {
  const found = await currentValue(apiUser);
  if (!found?.value || credentialStatus(found.secret) !== 'active') return false;
  const vendor = vendorFor({ target: await env.store.loadTarget(TARGET) });
  return (await vendor.verify(found.value as never)).outcome !== 'accepted';
}

/** The invariants over this case's credential and the keys its service user holds in the product. */
async function assertInvariants(apiUser: string, revoked?: Record<string, unknown>): Promise<void> {
  const vendor = vendorFor({ target: await env.store.loadTarget(TARGET) });
  const found = await currentValue(apiUser);
  const held = [...env.forticnapp.state.keys.values()]
    .filter((k) => k.serviceUser === serviceUserOf(apiUser))
    .map((k) => k.keyId);
  if (found && !found.secret.deletedDate) {
    const current = versionWithStage(found.secret, CURRENT);
    const pending = versionWithStage(found.secret, PENDING);
    expect(pending === undefined || pending === current, 'a pending version is left').toBe(true);
  }
  if (found?.value && credentialStatus(found.secret) === 'active') {
    expect((await vendor.verify(found.value as never)).outcome, 'the active key verifies').toBe('accepted');
    expect(held, 'the product holds exactly the active key').toEqual([
      (found.value as { keyId: string }).keyId,
    ]);
  } else {
    expect(held, 'the product holds no key of a credential that is not active').toEqual([]);
  }
  if (revoked) expect((await vendor.verify(revoked as never)).outcome).not.toBe('accepted');
}

/** The handlers of the workflow's Task states a clean run invokes, in order, each once. */
async function reachedHandlers(workflow: Workflow): Promise<string[]> {
  const apiUser = `clean-${workflow}`;
  if (workflow !== 'provision') expect((await run('provision', apiUser)).status).toBe('SUCCEEDED');
  const reached: string[] = [];
  env.lambdaFaults.beforeEach = async (handlerId) => {
    if (!reached.includes(handlerId)) reached.push(handlerId);
  };
  const clean = await run(workflow, apiUser);
  env.lambdaFaults.clear();
  expect(clean.status, causeMessage(clean.cause)).toBe('SUCCEEDED');
  // A function no Task state runs (AcceptOperatorAnswer, which the operator's submit invokes) is
  // no step for the workflow to survive: operator-answer-faults.test.ts injects its faults.
  return reached.filter((handlerId) => TASKS[workflow].includes(handlerId));
}

async function runCase(workflow: Workflow, handlerId: string, fault: Fault): Promise<void> {
  summary.ran += 1;
  // Prepare: rotations and revocations start from a provisioned credential.
  const apiUser = `fmo-${summary.ran}`;
  if (workflow !== 'provision') expect((await run('provision', apiUser)).status).toBe('SUCCEEDED');
  const revoked = workflow === 'revoke' ? (await currentValue(apiUser))?.value : undefined;
  const vendorFault = fault.startsWith('vendor');
  const refusals: string[] = [];
  let armed = false;
  env.lambdaFaults.beforeEach = async (invoked) => {
    if (workflow === 'rotate' && !vendorFault && (await consumerRefused(apiUser))) refusals.push(invoked);
    if (invoked !== handlerId || armed) return;
    armed = true;
    armFault(env, env.forticnapp.faults, fault, handlerId);
  };
  // Act
  const execution = await run(workflow, apiUser);
  disarmFaults(env, env.forticnapp.faults);
  // Assess
  expect(execution.status, `${execution.error} ${causeMessage(execution.cause)}`).toBe('SUCCEEDED');
  expect(armed, 'the fault was armed at its state').toBe(true);
  await assertInvariants(apiUser, revoked as Record<string, unknown> | undefined);
  expect(refusals).toEqual([]);
  summary.passed += 1;
}

describe('fault matrix (FortiCNAPP, an operator product, local runtime)', () => {
  afterAll(() => {
    process.stdout.write(
      `fault matrix (FortiCNAPP): ${summary.ran} cases ran, ${summary.passed} passed, each armed at its state\n`,
    );
  });

  it.each(WORKFLOWS)(
    '%s: every Task state a FortiCNAPP credential passes through, times every fault',
    async (workflow) => {
      const reached = await reachedHandlers(workflow);
      expect(reached.length).toBeGreaterThan(2);
      for (const handlerId of reached) {
        for (const fault of FAULTS) {
          await expect(
            runCase(workflow, handlerId, fault),
            `${handlerId}: ${fault}`,
          ).resolves.toBeUndefined();
        }
      }
    },
    600_000,
  );

  it('leaks no key into histories, outputs, events or logs', () => {
    expect(scanEnvironment(env, { outputs, logs: logs.lines })).toEqual([]);
  });
});
