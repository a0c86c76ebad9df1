/**
 * Issue 17, item 6: `provisioner plan reconcile <target>` (and the console input `"dryRun": true`)
 * runs reconciliation's drift finding alone and prints each finding with the repair the run would
 * make, under the target's `repair` policy. Nothing changes: no Secrets Manager write, no product
 * call but reads, no access token minted, no schedule, no event, no execution started.
 */
import { randomBytes } from 'node:crypto';
import {
  DescribeSecretCommand,
  paginateListSecrets,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { beforeAll, describe, expect, it } from 'vitest';
import { planReconcile } from '#cli/plan.ts';
import { executionNameFor } from '#core/execution-names.ts';
import { ACCESS_TOKEN_STAGE, credentialSecretName } from '#core/names.ts';
import type { Plan } from '#core/plans.ts';
import type { FortiOsTarget } from '#core/products/fortios/target.ts';
import { asApiVendor, vendorFor } from '#core/products/registry.ts';
import { causeMessage } from '#core/step-error.ts';
import type { DriftFinding } from '#core/workflows/reconcile.ts';
import { scanEnvironment } from '#local/leak-scan.ts';
import { playOperator } from '#local/operator.ts';
import { addressReaderRequest, runExecution, runProvision } from '#test/support/executions.ts';
import { useLocalEnvironment } from '#test/support/local-environment.ts';

const { env, logs } = useLocalEnvironment({
  targets: async (env) => {
    await env.registerTarget('fortios', 'fgt');
    await env.registerTarget('fortimanager', 'fmg');
    await env.registerTarget('fortiflex', 'flex');
  },
});
const OWNER = 'plan-drift@example.com';
const TWIN = credentialSecretName('fgt', 'twin-bot');
const RMA = credentialSecretName('fgt', 'rma-bot');
const FLEX_TOKEN = credentialSecretName('flex', 'flex-token');
const FLEX_NONE = credentialSecretName('flex', 'flex-none');
const outputs: string[] = [];
let runs = 0;

/** Secrets Manager actions that change something (the local store counts every call by action). */
const WRITES = [
  'CreateSecret',
  'PutSecretValue',
  'UpdateSecret',
  'UpdateSecretVersionStage',
  'TagResource',
  'UntagResource',
  'PutResourcePolicy',
  'DeleteResourcePolicy',
  'DeleteSecret',
  'RestoreSecret',
];

/** Everything a reconciliation could change, and the counters of what it could call. */
async function snapshot() {
  const secrets: unknown[] = [];
  for await (const page of paginateListSecrets(
    { client: env.secretsClient },
    { IncludePlannedDeletion: true },
  ))
    for (const s of page.SecretList ?? [])
      secrets.push({ name: s.Name, tags: s.Tags, stages: s.SecretVersionsToStages, deleted: s.DeletedDate });
  const calls = env.secretsManager.store.calls;
  return {
    state: JSON.stringify({
      secrets,
      // Names and markers only: a failed comparison prints no key or token.
      fortiosUsers: [...env.fortios.state.users.values()].map((u) => [u.name, u.comments, u.trusthosts]),
      flexTokens: [...env.fortiflex.state.tokens.values()],
      schedules: [...env.scheduler.schedules.entries()],
      tasks: await env.tasks.list(),
    }),
    secretWrites: WRITES.reduce((n, action) => n + (calls.get(action) ?? 0), 0),
    // FortiOS's REST API changes nothing on a GET; FortiCloud's token endpoint mints one per call.
    fortiosChanges: env.fortios.state.requestsLog.filter((r) => r.method !== 'GET').length,
    // A FortiManager JSON-RPC call changes nothing when it is a `get` (an SSH command would be logged too).
    fortimanagerChanges: env.fortimanager.state.requestsLog.filter((r) => r.method !== 'get').length,
    flexTokenRequests: env.fortiflex.requestsLog.filter((r) => r.path === '/api/v1/oauth/token/').length,
    events: env.eventBus.events.length,
    executions: env.stepFunctions.service.allHistories().length,
  };
}

async function plan(target: string) {
  const lines: string[] = [];
  const code = await planReconcile(
    env.operator.sfnClient,
    async () => env.reconcileStateMachineArn,
    target,
    { out: (line) => lines.push(line) },
    { pollMs: 20 },
  );
  outputs.push(...lines);
  return { code, text: lines.join('\n'), lines };
}

describe('plan reconcile: drift found, repairs planned, nothing changed (local runtime)', () => {
  beforeAll(async () => {
    // fgt repairs what it safely can, and its admin token is older than its policy allows.
    const fgt = (await env.store.loadTarget('fgt')) as FortiOsTarget;
    await env.store.putTarget('fgt', {
      ...fgt,
      adminCredential: {
        ...fgt.adminCredential,
        issuedAt: new Date(Date.now() - 200 * 86_400_000).toISOString(),
      },
      policy: { ...fgt.policy, repair: 'fix' },
    } as FortiOsTarget);
    for (const [target, apiUser] of [
      ['fgt', 'twin-bot'],
      ['fgt', 'rma-bot'],
      ['fmg', 'fmg-bot'],
    ] as const) {
      const done = await runProvision(env, addressReaderRequest(target, apiUser, OWNER));
      expect(done.status, causeMessage(done.cause)).toBe('SUCCEEDED');
    }
    // A retired twin a replayed configuration brings back: saved before twin-bot rotates to twin-bot.b.
    const script = env.fortios.backup();
    const request = { target: 'fgt', apiUser: 'twin-bot' };
    const rotated = await runExecution(
      env,
      env.rotateStateMachineArn,
      request,
      executionNameFor('rotate', 'plan-drift', request),
    );
    expect(rotated.status, causeMessage(rotated.cause)).toBe('SUCCEEDED');
    env.fortios.replayUsers(script);
    // A current key the FortiGate no longer holds while its user exists (an older key restored).
    const rma = env.fortios.state.users.get('rma-bot');
    if (rma) rma.key = randomBytes(15).toString('hex');
    // An orphan: a user this system made that no secret accounts for, its execution long over.
    await asApiVendor(vendorFor({ target: await env.store.loadTarget('fgt') })).ensureUser({
      name: 'left-behind',
      profile: 'addr-readonly',
      trustedHosts: ['127.0.0.1/32'],
      vdom: 'root',
      requestId: 'provision-T-gone-0123456789',
      credential: { target: 'fgt', apiUser: 'left-behind' },
    });
    // Two FortiFlex credentials: one with its brokered token, one whose token is gone (its label removed).
    for (const apiUser of ['flex-token', 'flex-none']) {
      const flex = { target: 'flex', apiUser, owner: OWNER, ticket: `T-${apiUser}` };
      const done = await runExecution(
        env,
        env.provisionStateMachineArn,
        flex,
        executionNameFor('provision', flex.ticket, flex),
        (task) => playOperator(env, task),
      );
      expect(done.status, causeMessage(done.cause)).toBe('SUCCEEDED');
    }
    const { VersionIdsToStages } = await env.secretsClient.send(
      new DescribeSecretCommand({ SecretId: FLEX_NONE }),
    );
    const tokenVersion = Object.entries(VersionIdsToStages ?? {}).find(([, stages]) =>
      stages.includes(ACCESS_TOKEN_STAGE),
    )?.[0];
    await env.secretsClient.send(
      new UpdateSecretVersionStageCommand({
        SecretId: FLEX_NONE,
        VersionStage: ACCESS_TOKEN_STAGE,
        RemoveFromVersionId: tokenVersion,
      }),
    );
  });

  it('plan reconcile <target> lists each finding with the repair repair: fix would make, and changes nothing', async () => {
    // Prepare
    const before = await snapshot();
    // Act
    const { code, text, lines } = await plan('fgt');
    // Assess
    expect(code, text).toBe(0);
    expect(await snapshot()).toEqual({ ...before, executions: before.executions + 1 });
    expect(lines[0]).toBe('plan: reconcile target fgt (dry run: nothing was changed)');
    expect(text).toContain('orphans fgt/left-behind: delete API user left-behind on fgt');
    expect(text).toContain(
      `retired-twin-restored ${TWIN} (twin-bot): delete API user twin-bot (only if its marker still names ${TWIN}) and prove it gone through the admin API`,
    );
    expect(text).toMatch(
      new RegExp(`current-key-broken ${RMA} \\(rma-bot\\): start rotation rotate-repair-rma-bot-\\S+`),
    );
    expect(text).toMatch(/staleAdmins fgt: reported only.*\n\s+admin credential issued .*, 200 days ago/);
    expect(text).toContain('fgt (fortios): delete API user left-behind');
    expect(text).toContain('fgt (fortios): delete API user twin-bot and prove it gone');
    expect(text).toContain('credential.drift-report');
  });

  it('the console input with "dryRun": true returns the same findings as data, and changes nothing', async () => {
    // Prepare
    const before = await snapshot();
    // Act
    const done = await runExecution(
      env,
      env.reconcileStateMachineArn,
      { target: 'fgt', dryRun: true },
      `plan-reconcile-${++runs}`,
    );
    // Assess
    expect(done.status, causeMessage(done.cause)).toBe('SUCCEEDED');
    outputs.push(done.output ?? '');
    const planned = JSON.parse(done.output ?? '{}') as Plan;
    expect(planned).toMatchObject({ dryRun: true, workflow: 'reconcile', subject: 'target fgt' });
    expect(planned.findings?.map((f) => [f.kind, f.subject])).toEqual(
      expect.arrayContaining([
        ['orphans', 'fgt/left-behind'],
        ['retired-twin-restored', `${TWIN} (twin-bot)`],
        ['current-key-broken', `${RMA} (rma-bot)`],
        ['broken', RMA],
        ['staleAdmins', 'fgt'],
      ]),
    );
    expect(await snapshot()).toEqual({ ...before, executions: before.executions + 1 });
  });

  it("a FortiManager target's plan makes JSON-RPC gets only, and finds no drift where there is none", async () => {
    // Prepare
    const before = await snapshot();
    const calls = env.fortimanager.state.requestsLog.length;
    // Act
    const { code, text } = await plan('fmg');
    // Assess
    expect(code, text).toBe(0);
    expect(await snapshot()).toEqual({ ...before, executions: before.executions + 1 });
    expect(env.fortimanager.state.requestsLog.length).toBeGreaterThan(calls);
    expect(text).toMatch(/findings:\n {2}none/);
  });

  it("a brokered target's plan mints no token: it says which checks need one, and why", async () => {
    // Prepare
    const before = await snapshot();
    // Act
    const { code, text } = await plan('flex');
    // Assess
    expect(code, text).toBe(0);
    expect(await snapshot()).toEqual({ ...before, executions: before.executions + 1 });
    expect(text).toMatch(
      new RegExp(
        `${FLEX_TOKEN}: not presented: checking it mints a new access token .*; its stored token, minted \\S+, is valid until \\S+`,
      ),
    );
    expect(text).toContain(
      `${FLEX_NONE}: not checked: it has no stored access token, and checking it would mint one, which a plan does not`,
    );
    expect(text).toContain('flex (fortiflex): mint a new access token from each of 2 credentials');
  });

  it('the reconciliation of that target then checks each credential, keeping the token each check minted', async () => {
    // Act
    const done = await runExecution(
      env,
      env.reconcileStateMachineArn,
      { target: 'flex' },
      `reconcile-${++runs}`,
    );
    // Assess
    expect(done.status, causeMessage(done.cause)).toBe('SUCCEEDED');
    expect(JSON.parse(done.output ?? '{}')).toMatchObject({ credentialsChecked: 2, broken: [] });
    for (const secretName of [FLEX_TOKEN, FLEX_NONE]) {
      const stored = await env.store.readAccessToken(secretName);
      expect(env.fortiflex.tokenWorks(stored?.accessToken ?? ''), secretName).toBe(true);
    }
  });

  it('refuses a plan without a target or for an unknown one, clearly, and changes nothing', async () => {
    // Prepare
    const before = await snapshot();
    // Act
    const untargeted = await runExecution(
      env,
      env.reconcileStateMachineArn,
      { dryRun: true },
      `plan-reconcile-${++runs}`,
    );
    const unknown = await plan('nowhere');
    const notBoolean = await runExecution(
      env,
      env.reconcileStateMachineArn,
      { dryRun: 'true', target: 'fgt' },
      `plan-reconcile-${++runs}`,
    );
    // Assess
    expect(causeMessage(untargeted.cause)).toMatch(/target: a plan is for one target/);
    expect(unknown.code).toBe(1);
    expect(unknown.text).toMatch(/^no plan: .* failed: .*nowhere/);
    // A dry run asked for with a string never runs the repairs: the run refuses its input.
    expect(notBoolean.status).toBe('FAILED');
    expect(causeMessage(notBoolean.cause)).toMatch(/dryRun/);
    expect(await snapshot()).toEqual({ ...before, executions: before.executions + 3 });
  });

  it('the reconciliation that repairs then does what the plan said', async () => {
    // Prepare
    const planned = JSON.parse(
      (
        await runExecution(
          env,
          env.reconcileStateMachineArn,
          { target: 'fgt', dryRun: true },
          `plan-reconcile-${++runs}`,
        )
      ).output ?? '{}',
    ) as Plan;
    // Act
    const done = await runExecution(
      env,
      env.reconcileStateMachineArn,
      { target: 'fgt' },
      `reconcile-${++runs}`,
    );
    // Assess
    expect(done.status, causeMessage(done.cause)).toBe('SUCCEEDED');
    const report = JSON.parse(done.output ?? '{}') as {
      findings: DriftFinding[];
      repaired: string[];
      targets: number;
    };
    expect(report.targets).toBe(1);
    expect(report.repaired).toEqual(['fgt/left-behind']);
    const rotation = planned.findings?.find((f) => f.kind === 'current-key-broken')?.repair;
    const started = report.findings.find((f) => f.kind === 'current-key-broken')?.execution;
    expect(rotation).toContain(`start rotation ${started}`);
    expect(report.findings.find((f) => f.kind === 'retired-twin-restored')?.repair).toBe('removed');
  });

  it('no plan output, history, event or log carries key material', () => {
    expect(scanEnvironment(env, { outputs, logs: logs.lines })).toEqual([]);
  });
});
