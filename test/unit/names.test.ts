import { afterEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_STACK_NAME,
  physicalNames,
  SECRET_PREFIX,
  TARGET_PREFIX,
  useSecretRoot,
  WEBHOOK_SECRET_NAME,
} from '#core/names.ts';
import { rotationScheduleName } from '#core/schedules.ts';
import { TargetName } from '#core/schemas.ts';

afterEach(() => useSecretRoot(physicalNames(DEFAULT_STACK_NAME).secretRoot));

describe('physical names', () => {
  it('are the first deployed names for the default stack, and carry the stack name otherwise', () => {
    expect(physicalNames(DEFAULT_STACK_NAME)).toEqual({
      secretRoot: 'provisioner',
      scheduleGroup: 'credential-provisioner',
      kmsAlias: 'alias/credential-provisioner',
      operatorPolicy: 'credential-provisioner-operator',
      rolePath: '/credential-provisioner/',
      directoryBus: 'credential-provisioner-directory',
      taskTable: 'credential-provisioner-tasks',
      operatorAnswerFunction: 'credential-provisioner-accept-operator-answer',
    });
    expect(physicalNames('Staging')).toEqual({
      secretRoot: 'provisioner-Staging',
      scheduleGroup: 'credential-provisioner-Staging',
      kmsAlias: 'alias/credential-provisioner-Staging',
      operatorPolicy: 'credential-provisioner-operator-Staging',
      rolePath: '/credential-provisioner-Staging/',
      directoryBus: 'credential-provisioner-directory-Staging',
      taskTable: 'credential-provisioner-tasks-Staging',
      operatorAnswerFunction: 'credential-provisioner-accept-operator-answer-Staging',
    });
    // Lambda's 64-character limit: a long stack name is named by its digest, distinct per stack.
    const long = (name: string) => physicalNames(name).operatorAnswerFunction;
    expect(long(`Team${'x'.repeat(40)}A`).length).toBeLessThanOrEqual(64);
    expect(long(`Team${'x'.repeat(40)}A`)).not.toBe(long(`Team${'x'.repeat(40)}B`));
  });

  it('put the webhook secret beside the credential prefix, never under it', () => {
    expect([SECRET_PREFIX, TARGET_PREFIX, WEBHOOK_SECRET_NAME]).toEqual([
      'provisioner/',
      'provisioner/targets/',
      'provisioner.intake/webhook-secret',
    ]);
    expect(WEBHOOK_SECRET_NAME.startsWith(SECRET_PREFIX)).toBe(false);
  });

  it('follow the secret root the CLI sets from --stack, schedule names included', () => {
    useSecretRoot(physicalNames('Staging').secretRoot);
    expect([SECRET_PREFIX, WEBHOOK_SECRET_NAME]).toEqual([
      'provisioner-Staging/',
      'provisioner-Staging.intake/webhook-secret',
    ]);
    expect(rotationScheduleName('provisioner-Staging/fgt/bot')).toMatch(/^rotate-fgt_bot-[0-9a-f]{10}$/);
  });
});

describe('TargetName', () => {
  it('refuses "targets": its credentials would be named like the target definitions (provisioner/targets/<user>)', () => {
    // Prepare, Act
    const parsed = TargetName.safeParse('targets');
    // Assess
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toMatch(/"targets".*target definitions/);
    expect(TargetName.safeParse('targets-lab').success).toBe(true);
  });
});
