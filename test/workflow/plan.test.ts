/**
 * Issue 17, item 6: plan before acting. `provisioner plan revoke --owner` and `plan rotate <secret>`
 * run the workflow with `"dryRun": true`, as the console input may, and print what it would do; the
 * secrets, the product's users, the schedules and the events are the same before and after.
 */
import { paginateListSecrets } from '@aws-sdk/client-secrets-manager';
import { beforeAll, describe, expect, it } from 'vitest';
import { planRevoke, planRotate } from '#cli/plan.ts';
import { credentialSecretName } from '#core/names.ts';
import type { Plan } from '#core/plans.ts';
import { rotationScheduleName } from '#core/schedules.ts';
import { causeMessage } from '#core/step-error.ts';
import { addressReaderRequest, runExecution, runProvision } from '#test/support/executions.ts';
import { useLocalEnvironment } from '#test/support/local-environment.ts';

const { env } = useLocalEnvironment({
  targets: async (env) => {
    await env.registerTarget('fortios', 'fgt');
  },
});
const OWNER = 'robin@example.com';

/** Everything a run could change: secrets (names, tags, stages), FortiOS's users, schedules, events. */
async function snapshot() {
  const secrets: unknown[] = [];
  for await (const page of paginateListSecrets(
    { client: env.secretsClient },
    { IncludePlannedDeletion: true },
  ))
    for (const s of page.SecretList ?? [])
      secrets.push({ name: s.Name, tags: s.Tags, stages: s.SecretVersionsToStages, deleted: s.DeletedDate });
  return JSON.stringify({
    secrets,
    users: [...env.fortios.state.users.entries()],
    schedules: [...env.scheduler.schedules.entries()],
    events: env.eventBus.events.length,
  });
}

describe('plan before acting (local runtime)', () => {
  beforeAll(async () => {
    for (const apiUser of ['plan-a', 'plan-b']) {
      const done = await runProvision(env, addressReaderRequest('fgt', apiUser, OWNER));
      expect(done.status, causeMessage(done.cause)).toBe('SUCCEEDED');
    }
  });

  it('plan revoke --owner prints every credential, product call and schedule, and changes nothing', async () => {
    // Prepare
    const before = await snapshot();
    const lines: string[] = [];
    // Act
    const code = await planRevoke(
      env.operator.sfnClient,
      async () => env.revokeStateMachineArn,
      OWNER,
      {
        out: (line) => lines.push(line),
      },
      { pollMs: 20 },
    );
    // Assess
    expect(code).toBe(0);
    expect(await snapshot()).toBe(before);
    const text = lines.join('\n');
    expect(lines[0]).toBe(`plan: revoke owner ${OWNER} (dry run: nothing was changed)`);
    expect(text).toContain(credentialSecretName('fgt', 'plan-a'));
    expect(text).toContain(credentialSecretName('fgt', 'plan-b'));
    expect(text).toContain('fgt (fortios): delete API user plan-a and plan-a.b');
    expect(text).toContain(`delete ${rotationScheduleName(credentialSecretName('fgt', 'plan-b'))}`);
    expect(text).toMatch(/operator tasks:\n {2}none/);
  });

  it('the console input with "dryRun": true returns the same plan and changes nothing', async () => {
    // Prepare
    const before = await snapshot();
    // Act
    const done = await runExecution(env, env.revokeStateMachineArn, { owner: OWNER, dryRun: true });
    // Assess
    expect(done.status, causeMessage(done.cause)).toBe('SUCCEEDED');
    const plan = JSON.parse(done.output ?? '{}') as Plan;
    expect(plan).toMatchObject({ dryRun: true, workflow: 'revoke', subject: `owner ${OWNER}` });
    expect(plan.credentials.map((c) => c.apiUser)).toEqual(['plan-a', 'plan-b']);
    expect(await snapshot()).toBe(before);
  });

  it('plan rotate <secret> prints the twin, the grace period and when it would start, and changes nothing', async () => {
    // Prepare
    const before = await snapshot();
    const lines: string[] = [];
    // Act
    const code = await planRotate(
      env.operator.sfnClient,
      async () => env.rotateStateMachineArn,
      credentialSecretName('fgt', 'plan-a'),
      { out: (line) => lines.push(line) },
      { pollMs: 20 },
    );
    // Assess
    expect(code).toBe(0);
    expect(await snapshot()).toBe(before);
    const text = lines.join('\n');
    expect(text).toContain('plan-a -> plan-a.b');
    expect(text).toContain('fgt (fortios): ensure API user plan-a.b like plan-a');
    expect(text).toContain('120 minutes after promotion, delete plan-a and prove its key refused');
    expect(text).toMatch(/credential.rotation-scheduled now \(starts at \S+, 120 minutes grace\)/);
  });

  it('refuses to plan what it cannot: a name that is not a credential, an inactive credential', async () => {
    // Prepare
    const lines: string[] = [];
    const io = { out: (line: string) => lines.push(line) };
    // Act
    const unknown = await planRotate(
      env.operator.sfnClient,
      async () => env.rotateStateMachineArn,
      credentialSecretName('fgt', 'nobody'),
      io,
      { pollMs: 20 },
    );
    // Assess
    await expect(
      planRotate(env.operator.sfnClient, async () => env.rotateStateMachineArn, 'fgt/plan-a', io),
    ).rejects.toThrow(/is not a credential's secret name/);
    expect(unknown).toBe(1);
    expect(lines.at(-1)).toMatch(/^no plan: .* failed: .*is not an active credential: nothing to rotate/);
  });
});
