/**
 * `provisioner target remove <target>` on the embedded default (issue 17): it deletes what `target
 * add` made (the admin rotation schedules, the target's secret, with a recovery window) once no
 * credential of the target is left unrevoked, refuses and changes nothing before that, says a
 * removed target is gone on a repeat, and runs as the operator, whose policy local IAM enforces:
 * DeleteSecret on target secrets only, DeleteSchedule on targets' admin schedules only
 * (https://docs.aws.amazon.com/scheduler/latest/APIReference/API_DeleteSchedule.html,
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DeleteSecret.html).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DeleteScheduleCommand } from '@aws-sdk/client-scheduler';
import { DeleteSecretCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, describe, expect, it } from 'vitest';
import { scheduleAdminRotations } from '#cli/admin-rotation.ts';
import { targetAdd } from '#cli/commands.ts';
import { targetRemove } from '#cli/target-remove.ts';
import { ROTATION_SCHEDULE_GROUP } from '#core/config.ts';
import { ValidationError } from '#core/errors.ts';
import { EventBridgePublisher } from '#core/events.ts';
import { credentialSecretName, targetSecretName } from '#core/names.ts';
import { rotationScheduleName } from '#core/schedules.ts';
import { causeMessage } from '#core/step-error.ts';
import { OPERATOR_ACCESS_KEY_ID } from '#local/iam/account.ts';
import { addressReaderRequest, runExecution, runProvision } from '#test/support/executions.ts';
import { useLocalEnvironment } from '#test/support/local-environment.ts';
import { failure } from '../failure.ts';

const { env } = useLocalEnvironment({
  targets: async (env) => {
    await env.registerTarget('fortios', 'fgt');
    await env.registerTarget('fortimanager', 'fmg');
  },
});

const printed: string[] = [];
const io = { out: (line: string) => printed.push(line), stdin: async () => '' };
let dir: string | undefined;
let bus: EventBridgeClient | undefined;

afterAll(async () => {
  bus?.destroy();
  if (dir) await rm(dir, { recursive: true });
});

/** `provisioner target add <name> --file` as the operator, from a registered target's definition, with its admin schedules. */
async function addAsOperator(name: string, source: string, overrides: object) {
  dir ??= await mkdtemp(join(tmpdir(), 'target-remove-'));
  const file = join(dir, `${name}.json`);
  await writeFile(file, JSON.stringify({ ...(await env.store.loadTarget(source)), ...overrides }));
  const machine = async () => env.adminRotateStateMachineArn;
  const code = await targetAdd(env.operator.store, name, { file }, io, (added, target, version) =>
    scheduleAdminRotations(env.operator.sfnClient, machine, added, target, version, io, { pollMs: 1 }),
  );
  expect(code).toBe(0);
}

/** `provisioner target remove <name>` as the operator (the CLI's clients, under the operator policy). */
function removeAsOperator(name: string) {
  bus ??= new EventBridgeClient({
    region: env.endpoints.region,
    endpoint: env.endpoints.eventBridge,
    credentials: { accessKeyId: OPERATOR_ACCESS_KEY_ID, secretAccessKey: 'local' },
  });
  return targetRemove(
    {
      store: env.operator.store,
      events: new EventBridgePublisher(bus),
      scheduler: env.operator.schedulerClient,
      scheduleGroup: ROTATION_SCHEDULE_GROUP,
    },
    name,
    io,
  );
}

const adminSchedules = (name: string) =>
  [targetSecretName(name), `${targetSecretName(name)}/ssh`]
    .map((secretName) => `${ROTATION_SCHEDULE_GROUP}/${rotationScheduleName(secretName)}`)
    .filter((key) => env.scheduler.schedules.has(key));

const removals = () => env.eventBus.events.filter((e) => e.DetailType === 'credential.target-removed');

describe('provisioner target remove (local runtime, as the operator)', () => {
  it('deletes a target’s admin schedules and its secret (7-day recovery window), announced once; a repeat says it is gone', async () => {
    // Prepare: a manager target as `target add` makes it, with its token and SSH login schedules
    await addAsOperator('fmg-gone', 'fmg', { vdom: 'gone' });
    const scheduled = adminSchedules('fmg-gone');
    printed.length = 0;
    // Act
    const first = await removeAsOperator('fmg-gone');
    const again = await removeAsOperator('fmg-gone');
    // Assess
    expect(scheduled).toHaveLength(2);
    expect([first, again]).toEqual([0, 0]);
    expect(adminSchedules('fmg-gone')).toEqual([]);
    expect((await env.store.describe(targetSecretName('fmg-gone')))?.deletedDate).toBeDefined();
    expect((await env.store.listTargetNames()).includes('fmg-gone')).toBe(false);
    expect(removals().map((e) => JSON.parse(e.Detail))).toEqual([
      {
        target: 'fmg-gone',
        vendor: 'fortimanager',
        secretName: targetSecretName('fmg-gone'),
        schedulesDeleted: scheduled.map((key) => key.split('/')[1]),
        recoveryWindowDays: 7,
      },
    ]);
    expect(printed[0]).toMatch(/^target fmg-gone removed: /);
    expect(printed.at(-1)).toBe(
      'target fmg-gone is not registered (removed already, or never added): nothing to remove',
    );
  });

  it('refuses while a credential of the target is not revoked, naming it, its status and owner, and changes nothing; after the revocation it removes', async () => {
    // Prepare: a FortiOS target with its admin schedule and an active credential
    await addAsOperator('fgt-busy', 'fgt', { vdom: 'busy' });
    const provisioned = await runProvision(
      env,
      addressReaderRequest('fgt-busy', 'busy-feed', 'sam@example.com'),
    );
    expect(provisioned.status, causeMessage(provisioned.cause)).toBe('SUCCEEDED');
    const scheduled = adminSchedules('fgt-busy');
    const announced = removals().length;
    // Act
    const refused = await failure(removeAsOperator('fgt-busy'));
    const kept = {
      schedules: adminSchedules('fgt-busy'),
      secret: (await env.store.describe(targetSecretName('fgt-busy')))?.deletedDate,
      events: removals().length,
    };
    const revoked = await runExecution(
      env,
      env.revokeStateMachineArn,
      { owner: 'sam@example.com' },
      'revoke-sam',
    );
    const removed = await removeAsOperator('fgt-busy');
    // Assess
    expect(refused).toBeInstanceOf(ValidationError);
    const why = `${credentialSecretName('fgt-busy', 'busy-feed')} (active, owner sam@example.com): revoke it first (provisioner revoke --owner sam@example.com, or the owner's offboarding)`;
    expect((refused as ValidationError).issues).toEqual([why]);
    expect(refused.message).toBe(
      `target fgt-busy has credentials that are not revoked, nothing removed: ${why}`,
    );
    expect(kept).toEqual({ schedules: scheduled, secret: undefined, events: announced });
    expect(scheduled).toHaveLength(1);
    expect(revoked.status, causeMessage(revoked.cause)).toBe('SUCCEEDED');
    expect(removed).toBe(0);
    expect(adminSchedules('fgt-busy')).toEqual([]);
  });

  it('is granted no more than removal needs: the operator may not delete a credential’s rotation schedule or secret', async () => {
    // Prepare: an active credential and its rotation schedule
    const provisioned = await runProvision(env, addressReaderRequest('fgt', 'kept-feed', 'kai@example.com'));
    expect(provisioned.status, causeMessage(provisioned.cause)).toBe('SUCCEEDED');
    const secretName = credentialSecretName('fgt', 'kept-feed');
    // Act
    const schedule = await failure(
      env.operator.schedulerClient.send(
        new DeleteScheduleCommand({
          Name: rotationScheduleName(secretName),
          GroupName: ROTATION_SCHEDULE_GROUP,
        }),
      ),
    );
    const secret = await failure(
      env.operator.secretsClient.send(
        new DeleteSecretCommand({ SecretId: secretName, RecoveryWindowInDays: 7 }),
      ),
    );
    // Assess
    expect([schedule.name, secret.name]).toEqual(['AccessDeniedException', 'AccessDeniedException']);
    expect(
      env.scheduler.schedules.has(`${ROTATION_SCHEDULE_GROUP}/${rotationScheduleName(secretName)}`),
    ).toBe(true);
    expect((await env.store.describe(secretName))?.deletedDate).toBeUndefined();
  });
});
