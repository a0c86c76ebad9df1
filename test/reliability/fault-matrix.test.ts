/**
 * The fault matrix (issue 6), generated from the synthesized workflow definitions: for the
 * provision, rotate and revoke workflows, every Task state a FortiOS credential passes through
 * (found by a clean run), and every fault below armed as that state's Lambda starts, the workflow
 * runs to its end and the invariants hold afterwards:
 * - every active credential verifies against its product;
 * - every API user this system made belongs to an active credential (no orphan, no stray twin);
 * - no AWSPENDING version is left beside AWSCURRENT;
 * - a revoked credential is refused by its product;
 * - during a rotation a consumer reading AWSCURRENT is never refused (faults outside the product).
 * Every fault is transient, so every run must also succeed.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { CURRENT, credentialSecretName, PENDING } from '#core/names.ts';
import { asApiVendor, vendorFor } from '#core/products/registry.ts';
import { credentialStatus, versionWithStage } from '#core/secrets.ts';
import { causeMessage } from '#core/step-error.ts';
import { scanEnvironment } from '#local/leak-scan.ts';
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
const { env, logs } = useLocalEnvironment({
  variables: { PROVISIONER_VENDOR_TIMEOUT_MS: VENDOR_TIMEOUT_MS },
  targets: async (env) => {
    await env.registerTarget('fortios', 'fgt');
  },
});
const outputs: string[] = [];
const summary = { ran: 0, passed: 0, armed: 0 };

function request(apiUser: string) {
  return {
    target: 'fgt',
    apiUser,
    owner: `${apiUser}@example.com`,
    ticket: `FM-${apiUser}`,
    accessProfile: { name: 'fm-ro', permissions: { 'fwgrp.address': 'read' } },
    trustedHosts: ['127.0.0.1/32'],
  };
}

async function run(workflow: Workflow, apiUser: string) {
  const executionArn = await startWorkflow(env, workflow, request(apiUser));
  const described = await executionEnd(env, executionArn);
  outputs.push(JSON.stringify(described));
  return described;
}

async function consumerRefused(apiUser: string): Promise<boolean> {
  const secret = await env.store.describe(credentialSecretName('fgt', apiUser));
  if (!secret || credentialStatus(secret) !== 'active') return false;
  const current = await env.store.readCurrent(secret.arn);
  const vendor = vendorFor({ target: await env.store.loadTarget('fgt') });
  return (await vendor.verify(current as never)).outcome !== 'accepted';
}

/**
 * The invariants: over every credential of the target (no pending version left, the users on the
 * product are exactly the active credentials' holders) and over this case's credential (it
 * verifies while active, its old key is refused once revoked).
 */
async function assertInvariants(apiUser: string, revokedKey?: string): Promise<void> {
  const vendor = vendorFor({ target: await env.store.loadTarget('fgt') });
  const holders = new Set<string>();
  for (const secret of await env.store.listByTarget('fgt')) {
    if (secret.deletedDate) continue;
    const current = versionWithStage(secret, CURRENT);
    const pending = versionWithStage(secret, PENDING);
    expect(pending === undefined || pending === current, `${secret.name} keeps a pending version`).toBe(true);
    if (credentialStatus(secret) !== 'active') continue;
    const value = await env.store.readCurrent(secret.arn);
    holders.add(value.apiUser);
    if (secret.name === credentialSecretName('fgt', apiUser))
      expect((await vendor.verify(value as never)).outcome, `${secret.name} verifies`).toBe('accepted');
  }
  const managed = (await asApiVendor(vendor).listManagedUsers()).map((u) => u.name).sort();
  expect(managed, 'managed users are exactly the active credentials’ holders').toEqual([...holders].sort());
  if (revokedKey) expect((await vendor.verify({ key: revokedKey })).outcome).not.toBe('accepted');
}

describe('fault matrix (FortiOS, local runtime)', () => {
  afterAll(() => {
    process.stdout.write(
      `fault matrix: ${summary.ran} cases ran, ${summary.passed} passed; ${summary.armed} armed at their state, the rest at steps a FortiOS credential never reaches (operator tasks, compensation, dry-run plans)\n`,
    );
  });

  it('finds a Task state in every workflow', () => {
    for (const workflow of WORKFLOWS) expect(TASKS[workflow].length, workflow).toBeGreaterThan(3);
  });

  const cases = WORKFLOWS.flatMap((workflow) =>
    TASKS[workflow].flatMap((handlerId) =>
      FAULTS.map((fault): [Workflow, string, Fault] => [workflow, handlerId, fault]),
    ),
  );

  it.each(cases)('%s, fault at %s: %s', async (workflow, handlerId, fault) => {
    summary.ran += 1;
    // Prepare: rotations and revocations start from a provisioned credential.
    const apiUser = `fm-${summary.ran}`;
    if (workflow !== 'provision') expect((await run('provision', apiUser)).status).toBe('SUCCEEDED');
    const before = await env.store.describe(credentialSecretName('fgt', apiUser));
    const revokedKey =
      workflow === 'revoke' && before
        ? String(((await env.store.readCurrent(before.arn)) as { key?: string }).key)
        : undefined;
    const vendorFault = fault.startsWith('vendor');
    const refusals: string[] = [];
    let armed = false;
    let reached = false;
    env.lambdaFaults.beforeEach = async (invoked) => {
      if (workflow === 'rotate' && !vendorFault && (await consumerRefused(apiUser))) refusals.push(invoked);
      if (invoked !== handlerId || armed) return;
      armed = true;
      reached = true;
      summary.armed += 1;
      armFault(env, env.fortios.faults, fault, handlerId);
    };
    // Act
    const execution = await run(workflow, apiUser);
    disarmFaults(env, env.fortios.faults);
    // Assess
    expect(execution.status, `${execution.error} ${causeMessage(execution.cause)}`).toBe('SUCCEEDED');
    await assertInvariants(apiUser, revokedKey);
    expect(refusals).toEqual([]);
    // Steps a FortiOS credential never reaches (operator tasks, compensation) and the plans of a
    // dry run, which a run never enters, pass vacuously; say so.
    if (!reached)
      expect(['compensate', 'request-', 'prove-previous', 'plan-'].some((p) => handlerId.startsWith(p))).toBe(
        true,
      );
    summary.passed += 1;
  });

  it('leaks no key into histories, outputs, events or logs', () => {
    expect(scanEnvironment(env, { outputs, logs: logs.lines })).toEqual([]);
  });
});
