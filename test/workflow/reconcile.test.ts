/**
 * The reconcile workflow on the embedded default: an orphan API user (made by this system, in no
 * secret) is found and removed, a credential its product no longer accepts is reported, a key whose
 * check fails is reported without stopping the target's other keys, and a clean state reports zero
 * drift, as an event and a metric.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LISTING_LAG_SECONDS } from '#core/config.ts';
import { executionNameFor } from '#core/execution-names.ts';
import { asApiVendor, vendorFor } from '#core/products/registry.ts';
import { causeMessage } from '#core/step-error.ts';
import { addressReaderRequest, runExecution } from '#test/support/executions.ts';
import { useLocalEnvironment } from '#test/support/local-environment.ts';

const LAG_MS = LISTING_LAG_SECONDS * 1000;
const { env, logs } = useLocalEnvironment({
  // ListSecrets lags behind writes as AWS's may: what was written just now is not listed yet.
  listingLagMs: LAG_MS,
  targets: async (env) => {
    await env.registerTarget('fortios', 'fgt');
    await env.registerTarget('fortimanager', 'fmg');
  },
});
let runs = 0;

async function run(stateMachineArn: string, input: object, name = `reconcile-test-${++runs}`) {
  return runExecution(env, stateMachineArn, input, name);
}

async function provision(target: string, apiUser: string) {
  const request = addressReaderRequest(target, apiUser, 'mia@example.com', {
    ticket: `T-rec-${target}-${apiUser}`,
  });
  const done = await run(
    env.provisionStateMachineArn,
    request,
    executionNameFor('provision', request.ticket, request),
  );
  expect(done.status).toBe('SUCCEEDED');
}

/** Time passes beyond the listing lag (the process clock jumps): every write so far is listed. */
function settle() {
  vi.setSystemTime(Date.now() + LAG_MS);
}

async function reconcile() {
  const done = await run(env.reconcileStateMachineArn, {});
  expect(done.status, causeMessage(done.cause)).toBe('SUCCEEDED');
  return JSON.parse(done.output ?? '{}') as Record<string, unknown> & { driftCount: number };
}

describe('reconcile workflow (local runtime)', () => {
  beforeAll(async () => {
    // Only Date is faked, and it keeps running: timers, sockets and retries stay real.
    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
    for (const target of ['fgt', 'fmg']) await provision(target, 'rec-bot');
    settle();
  });
  afterAll(() => {
    vi.useRealTimers();
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
    settle();
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

  it('leaves the user of a credential provisioned minutes ago alone, though ListSecrets does not show its secret yet', async () => {
    // Prepare
    await provision('fgt', 'fresh-bot');
    // Act
    const report = await reconcile();
    // Assess
    expect(report.orphans).toEqual([]);
    expect(report.repaired).toEqual([]);
    expect(env.fortios.state.users.has('fresh-bot')).toBe(true);
  });

  it('reports a user whose creating execution ended less than the listing lag ago without removing it; removes it once that has passed', async () => {
    // Prepare: a credential whose secret went away right after its provision
    await provision('fgt', 'short-lived');
    await env.store.deleteNow('provisioner/fgt/short-lived');
    // Act
    const early = await reconcile();
    settle();
    const later = await reconcile();
    // Assess
    expect(early.orphans).toEqual(['fgt/short-lived']);
    expect(early.repaired).toEqual([]);
    expect(later.repaired).toEqual(['fgt/short-lived']);
    expect(env.fortios.state.users.has('short-lived')).toBe(false);
  });
});
