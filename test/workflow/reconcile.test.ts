/**
 * The reconcile workflow on the embedded default: an orphan API user (made by this system, in no
 * secret) is found and removed, a credential its product no longer accepts is reported, a key whose
 * check fails is reported without stopping the target's other keys, and a clean state reports zero
 * drift, as an event and a metric.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { executionNameFor } from '#core/execution-names.ts';
import { asApiVendor, vendorFor } from '#core/products/registry.ts';
import { causeMessage } from '#core/step-error.ts';
import { runExecution } from '#test/support/executions.ts';
import { useLocalEnvironment } from '#test/support/local-environment.ts';

const { env, logs } = useLocalEnvironment({
  targets: async (env) => {
    await env.registerTarget('fortios', 'fgt');
    await env.registerTarget('fortimanager', 'fmg');
  },
});
let runs = 0;

async function run(stateMachineArn: string, input: object, name = `reconcile-test-${++runs}`) {
  return runExecution(env, stateMachineArn, input, name);
}

function provisionRequest(target: string, apiUser: string) {
  return {
    target,
    apiUser,
    owner: 'mia@example.com',
    ticket: `T-rec-${target}-${apiUser}`,
    accessProfile: { name: 'addr-readonly', permissions: { 'fwgrp.address': 'read' } },
    trustedHosts: ['127.0.0.1/32'],
  };
}

async function provision(target: string, apiUser: string) {
  const request = provisionRequest(target, apiUser);
  const done = await run(
    env.provisionStateMachineArn,
    request,
    executionNameFor('provision', request.ticket, request),
  );
  expect(done.status).toBe('SUCCEEDED');
}

async function reconcile() {
  const done = await run(env.reconcileStateMachineArn, {});
  expect(done.status, causeMessage(done.cause)).toBe('SUCCEEDED');
  return JSON.parse(done.output ?? '{}') as Record<string, unknown> & { driftCount: number };
}

describe('reconcile workflow (local runtime)', () => {
  beforeAll(async () => {
    for (const target of ['fgt', 'fmg']) await provision(target, 'rec-bot');
  });

  it('reports zero drift when Secrets Manager and the products agree', async () => {
    // Act
    const report = await reconcile();
    // Assess
    expect(report).toMatchObject({
      targets: 2,
      credentialsChecked: 2,
      orphans: [],
      broken: [],
      unverified: [],
      driftCount: 0,
    });
    const metric = logs.lines.findLast((l) => l.includes('"DriftFound"'));
    expect(JSON.parse(metric ?? '{}')).toMatchObject({ DriftFound: 0 });
  });

  it('finds an orphan API user this system made and removes it, since its execution is over', async () => {
    // Prepare: a user left behind by a provision whose secret never came to be
    const vendor = asApiVendor(vendorFor({ target: await env.store.loadTarget('fgt') }));
    await vendor.ensureUser({
      name: 'left-behind',
      profile: 'addr-readonly',
      trustedHosts: ['127.0.0.1/32'],
      vdom: 'root',
      requestId: 'provision-T-gone-0123456789',
      credential: { target: 'fgt', apiUser: 'left-behind' },
    });
    // Act
    const report = await reconcile();
    // Assess
    expect(report.orphans).toEqual(['fgt/left-behind']);
    expect(report.repaired).toEqual(['fgt/left-behind']);
    expect(report.driftCount).toBe(0);
    expect(env.fortios.state.users.has('left-behind')).toBe(false);
    expect(env.fortios.state.users.has('rec-bot')).toBe(true);
  });

  it('reports a credential whose user was deleted on the product behind its back', async () => {
    // Prepare
    env.fortimanager.state.users.delete('rec-bot');
    // Act
    const report = await reconcile();
    // Assess
    expect(report.broken).toEqual(['provisioner/fmg/rec-bot: rejected']);
    expect(report.driftCount).toBe(1);
    const event = env.eventBus.events.findLast((e) => e.DetailType === 'credential.drift-report');
    expect(JSON.parse(event?.Detail ?? '{}')).toMatchObject({ driftCount: 1 });
  });

  it("reports a key whose check fails and goes on with the target's other keys", async () => {
    // Prepare: a second key on fgt, and one unreadable answer to the next key check there
    await provision('fgt', 'rec-bot-2');
    env.fortios.faults.inject({ pathPrefix: '/api/v2/monitor/system/status', kind: 'truncated', times: 1 });
    // Act
    const report = await reconcile();
    // Assess
    expect(report.unreachable).toEqual([]);
    expect(report.credentialsChecked).toBe(3);
    expect(report.unverified).toEqual([
      expect.stringMatching(/^provisioner\/fgt\/rec-bot(-2)?: not verified \(FatalError: .+\)$/),
    ]);
    expect(report.broken).toEqual(['provisioner/fmg/rec-bot: rejected']);
    expect(report.driftCount).toBe(2);
  });
});
