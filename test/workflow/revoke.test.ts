/**
 * The revoke workflow on the embedded default: every credential of an owner, on all five products,
 * revoked at the product (operator tasks where the product has no API), proven dead, retired; a
 * product that stays down is reported precisely and a second run finishes it. ListSecrets lags
 * behind writes here as AWS's may (LISTING_LAG_SECONDS): the revocation finds a credential written
 * just before it by listing again once the lag has passed (the process Date jumps while it waits).
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { LISTING_LAG_SECONDS, ROTATION_SCHEDULE_GROUP } from '#core/config.ts';
import type { ActionRequiredDetail } from '#core/events.ts';
import { executionNameFor } from '#core/execution-names.ts';
import { credentialSecretName, DEFAULT_STACK_NAME, physicalNames, TAG } from '#core/names.ts';
import { rotationScheduleName } from '#core/schedules.ts';
import { credentialStatus } from '#core/secrets.ts';
import { causeMessage } from '#core/step-error.ts';
import { ADMINISTRATOR_ACCESS_KEY_ID } from '#local/iam/account.ts';
import { scanEnvironment } from '#local/leak-scan.ts';
import {
  confirmAsOperator,
  obtainInProductUi,
  revokeInProductUi,
  submitAsOperator,
} from '#local/operator.ts';
import { LOCAL_PARTNER_BUS } from '#local/synth.ts';
import {
  addressReaderRequest,
  executionEnd,
  runExecution,
  startExecution,
} from '#test/support/executions.ts';
import { useLocalEnvironment } from '#test/support/local-environment.ts';

/** Directory deactivations arrive on the stack's own bus (lib/triggers/directory-bus.ts). */
const DIRECTORY_BUS = physicalNames(DEFAULT_STACK_NAME).directoryBus;

const LAG_MS = LISTING_LAG_SECONDS * 1000;
const { env, logs } = useLocalEnvironment({
  listingLagMs: LAG_MS,
  targets: async (env) => {
    await env.registerTarget('fortios', 'fgt');
    await env.registerTarget('fortimanager', 'fmg');
    await env.registerTarget('fortiflex', 'flex');
    await env.registerTarget('forticnapp', 'cnapp');
    await env.registerTarget('autorabit', 'arm');
  },
});
let bus: EventBridgeClient;
const outputs: string[] = [];

const uiRequest = (target: string, apiUser: string, owner: string, serviceUser?: string) => ({
  target,
  apiUser,
  owner,
  ticket: `T-${apiUser}`,
  ...(serviceUser ? { serviceUser } : {}),
});

async function run(stateMachineArn: string, input: object, name: string, answer = answerAll) {
  const described = await runExecution(env, stateMachineArn, input, name, answer);
  outputs.push(JSON.stringify(described));
  return described;
}

/** The operator answers provision tasks in the simulated UI and revocation tasks by doing them. */
async function answerAll(task: ActionRequiredDetail) {
  if (task.taskId.startsWith('provision-')) {
    const serviceUser = (await env.store.describe(credentialSecretName(task.target, task.apiUser)))?.tags[
      TAG.serviceUser
    ];
    return submitAsOperator(env, task.taskId, obtainInProductUi(env, task, serviceUser));
  }
  revokeInProductUi(env, task);
  return confirmAsOperator(env, task.taskId);
}

/**
 * Waits, answering nothing, until `expected` operator tasks of the execution are open, or until the
 * revocation cannot open another without an answer: every iteration still running waits for a
 * person while items have not started (each holds a Map slot). Returns the tasks open then.
 */
async function tasksOpenBeforeAnyAnswer(executionArn: string, expected: number) {
  const requestId = executionArn.split(':').at(-1);
  for (;;) {
    const open = env.eventBus.events
      .filter((e) => e.DetailType === 'credential.action-required')
      .map((e) => JSON.parse(e.Detail) as ActionRequiredDetail)
      .filter((task) => task.requestId === requestId);
    const history = env.stepFunctions.service.historyOf(executionArn);
    const count = (type: string) => history.filter((e) => e.type === type).length;
    const items = history
      .map((e) => (e.mapStateStartedEventDetails as { length?: number } | undefined)?.length ?? 0)
      .reduce((a, b) => a + b, 0);
    const started = count('MapIterationStarted');
    const running = started - count('MapIterationSucceeded') - count('MapIterationFailed');
    const stuck = open.length > 0 && started < items && running === open.length;
    if (open.length >= expected || stuck) return open;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function provisionAll(owner: string, suffix: string) {
  const requests = [
    addressReaderRequest('fgt', `fgt-${suffix}`, owner),
    addressReaderRequest('fmg', `fmg-${suffix}`, owner),
    uiRequest('flex', `flex-${suffix}`, owner),
    uiRequest('cnapp', `cnapp-${suffix}`, owner, `svc-${suffix}`),
    uiRequest('arm', `arm-${suffix}`, owner, `user-${suffix}`),
  ];
  for (const request of requests) {
    const execution = await run(
      env.provisionStateMachineArn,
      request,
      executionNameFor('provision', request.ticket, request),
    );
    expect(execution.status, `${request.target}: ${causeMessage(execution.cause)}`).toBe('SUCCEEDED');
  }
  return requests.map((r) => credentialSecretName(r.target, r.apiUser));
}

describe('revoke workflow (all five products, local runtime)', () => {
  beforeAll(async () => {
    // Only Date is faked, and it keeps running: timers, sockets and retries stay real.
    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
    // The registered targets were written long ago.
    vi.setSystemTime(Date.now() + LAG_MS);
    bus = new EventBridgeClient({
      region: env.endpoints.region,
      endpoint: env.endpoints.eventBridge,
      // The directory is outside the stack: it publishes as the account's administrator, not as the operator.
      credentials: { accessKeyId: ADMINISTRATOR_ACCESS_KEY_ID, secretAccessKey: 'local' },
    });
  });

  beforeEach(() => {
    // The revocation's Wait state lasts 0 ms here: the listing lag passes while it waits.
    env.lambdaFaults.beforeEach = async (handlerId) => {
      if (handlerId === 'sweep-owner-credentials') vi.setSystemTime(Date.now() + LAG_MS);
    };
  });

  afterAll(() => {
    bus?.destroy();
    vi.useRealTimers();
  });

  it('revokes a credential provisioned moments before, which ListSecrets does not list yet', async () => {
    // Prepare
    const request = addressReaderRequest('fgt', 'fgt-kim', 'kim@example.com');
    await run(env.provisionStateMachineArn, request, executionNameFor('provision', request.ticket, request));
    const listedAtOnce = await env.store.listByOwner('kim@example.com');
    // Act
    const execution = await run(env.revokeStateMachineArn, { owner: 'kim@example.com' }, 'revoke-kim-1');
    // Assess
    expect(listedAtOnce).toEqual([]);
    expect(execution.status, causeMessage(execution.cause)).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output ?? '{}').revoked).toEqual([credentialSecretName('fgt', 'fgt-kim')]);
    expect(env.fortios.state.users.has('fgt-kim')).toBe(false);
  });

  it('revokes a credential whose provision finished while the revocation waited out the listing lag', async () => {
    // Prepare: the first listing sees fgt-lea only; fmg-lea's provision ends during the wait
    const first = addressReaderRequest('fgt', 'fgt-lea', 'lea@example.com');
    const late = addressReaderRequest('fmg', 'fmg-lea', 'lea@example.com');
    await run(env.provisionStateMachineArn, first, executionNameFor('provision', first.ticket, first));
    vi.setSystemTime(Date.now() + LAG_MS);
    let provisionedLate = false;
    env.lambdaFaults.beforeEach = async (handlerId) => {
      if (handlerId !== 'sweep-owner-credentials') return;
      if (!provisionedLate) {
        provisionedLate = true;
        await run(env.provisionStateMachineArn, late, executionNameFor('provision', late.ticket, late));
      }
      vi.setSystemTime(Date.now() + LAG_MS);
    };
    // Act
    const execution = await run(env.revokeStateMachineArn, { owner: 'lea@example.com' }, 'revoke-lea-1');
    // Assess
    expect(execution.status, causeMessage(execution.cause)).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output ?? '{}').revoked).toEqual([
      credentialSecretName('fgt', 'fgt-lea'),
      credentialSecretName('fmg', 'fmg-lea'),
    ]);
    expect(env.fortimanager.state.users.has('fmg-lea')).toBe(false);
  });

  it('revokes every credential of the owner on every product and proves each dead', async () => {
    // Prepare
    const secrets = await provisionAll('dave@example.com', 'dave');
    const others = await provisionAll('erin@example.com', 'erin');
    const eventsBefore = env.eventBus.events.length;
    // Act
    const execution = await run(
      env.revokeStateMachineArn,
      { owner: 'dave@example.com', reason: 'left the company' },
      'revoke-dave-1',
    );
    // Assess
    expect(execution.status, causeMessage(execution.cause)).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output ?? '{}').revoked.sort()).toEqual([...secrets].sort());
    for (const name of secrets) {
      const description = await env.store.describe(name);
      expect(credentialStatus(description)).toBe('revoked');
      expect(description?.deletedDate).toBeDefined();
    }
    for (const name of others) expect(credentialStatus(await env.store.describe(name))).toBe('active');
    const scheduled = (name: string) =>
      env.scheduler.schedules.has(`${ROTATION_SCHEDULE_GROUP}/${rotationScheduleName(name)}`);
    expect(secrets.filter(scheduled)).toEqual([]);
    // Rotation schedules for the twin-user products, token refresh for the brokers, rotation before expiry for ARM.
    expect(others.filter(scheduled)).toEqual(others);
    const types = env.eventBus.events.slice(eventsBefore).map((e) => e.DetailType);
    expect(types.filter((t) => t === 'credential.revoked')).toHaveLength(5);
    expect(types.filter((t) => t === 'credential.action-required')).toHaveLength(3);
    expect(env.fortios.state.users.has('fgt-dave')).toBe(false);
    expect(env.fortimanager.state.users.has('fmg-dave')).toBe(false);
  });

  it('hands the API lane the credentials the API revokes and the operator lane the others', async () => {
    // Prepare
    await provisionAll('fay@example.com', 'fay');
    vi.setSystemTime(Date.now() + LAG_MS);
    // Act
    const execution = await run(env.revokeStateMachineArn, { owner: 'fay@example.com' }, 'revoke-fay-1');
    // Assess: each lane is its own Map (RevokeByLane), in name order
    expect(execution.status, causeMessage(execution.cause)).toBe('SUCCEEDED');
    const found = env.stepFunctions.service
      .historyOf(execution.executionArn ?? '')
      .find(
        (e) => (e.stateExitedEventDetails as { name?: string } | undefined)?.name === 'FindOwnerCredentials',
      );
    const output = (found?.stateExitedEventDetails as { output?: string } | undefined)?.output ?? '{}';
    const { credentials } = JSON.parse(output) as {
      credentials: Record<'byApi' | 'byOperator', { target: string }[]>;
    };
    expect(credentials.byApi.map((c) => c.target)).toEqual(['fgt', 'fmg']);
    expect(credentials.byOperator.map((c) => c.target)).toEqual(['arm', 'cnapp', 'flex']);
  });

  it('opens every operator task at once, more than RevokeEach runs side by side, before anyone answers', async () => {
    // Prepare: 2 API credentials and 7 an operator revokes, more than RevokeEach's 5 slots
    const owner = 'olga@example.com';
    const requests = [
      addressReaderRequest('fgt', 'fgt-olga', owner),
      addressReaderRequest('fmg', 'fmg-olga', owner),
      ...[1, 2, 3].map((n) => uiRequest('flex', `flex-olga-${n}`, owner)),
      ...[1, 2].map((n) => uiRequest('cnapp', `cnapp-olga-${n}`, owner, `svc-olga-${n}`)),
      ...[1, 2].map((n) => uiRequest('arm', `arm-olga-${n}`, owner, `user-olga-${n}`)),
    ];
    await Promise.all(
      requests.map((r) => run(env.provisionStateMachineArn, r, executionNameFor('provision', r.ticket, r))),
    );
    vi.setSystemTime(Date.now() + LAG_MS);
    // Act: the person answers nothing until every task is open, or until no more can open without an answer
    const executionArn = await startExecution(env, env.revokeStateMachineArn, { owner }, 'revoke-olga-1');
    const openBeforeAnyAnswer = await tasksOpenBeforeAnyAnswer(executionArn, 7);
    const execution = await executionEnd(env, executionArn, answerAll);
    // Assess
    expect(execution.status, causeMessage(execution.cause)).toBe('SUCCEEDED');
    expect(openBeforeAnyAnswer.map((t) => t.apiUser).sort()).toEqual(
      requests
        .slice(2)
        .map((r) => r.apiUser)
        .sort(),
    );
    expect(JSON.parse(execution.output ?? '{}').revoked).toHaveLength(requests.length);
    // Nine provisions and a revocation: over the default on this loaded 2-core machine.
  }, 180_000);

  it('with one product down, reports exactly that credential; a second run finishes it', async () => {
    // Prepare
    const secrets = await provisionAll('frank@example.com', 'frank');
    env.fortios.faults.inject({ kind: '5xx' });
    // Act
    const first = await run(env.revokeStateMachineArn, { owner: 'frank@example.com' }, 'revoke-frank-1');
    env.fortios.faults.clear();
    const second = await run(env.revokeStateMachineArn, { owner: 'frank@example.com' }, 'revoke-frank-2');
    // Assess
    expect(first.status).toBe('FAILED');
    expect(first.error).toBe('RevocationIncomplete');
    expect(causeMessage(first.cause)).toMatch(
      /^1 of 5 credentials of frank@example.com are not revoked: provisioner\/fgt\/fgt-frank: RetryableError/,
    );
    expect(second.status, causeMessage(second.cause)).toBe('SUCCEEDED');
    expect(JSON.parse(second.output ?? '{}').revoked).toEqual([credentialSecretName('fgt', 'fgt-frank')]);
    for (const name of secrets) expect(credentialStatus(await env.store.describe(name))).toBe('revoked');
    const failed = env.eventBus.events.filter((e) => e.DetailType === 'credential.revocation-failed');
    expect(JSON.parse(failed.at(-1)?.Detail ?? '{}').failed).toHaveLength(1);
  });

  it('does not mark a credential revoked when the operator confirms but the product still accepts it', async () => {
    // Prepare
    const owner = 'gina@example.com';
    const request = uiRequest('arm', 'arm-gina', owner, 'user-gina');
    await run(env.provisionStateMachineArn, request, executionNameFor('provision', request.ticket, request));
    // Act: the operator confirms without revoking in ARM
    const execution = await run(env.revokeStateMachineArn, { owner }, 'revoke-gina-1', (task) =>
      confirmAsOperator(env, task.taskId),
    );
    // Assess
    expect(execution.status).toBe('FAILED');
    expect(causeMessage(execution.cause)).toMatch(/provisioner\/arm\/arm-gina: CredentialStillValid/);
    expect(credentialStatus(await env.store.describe(credentialSecretName('arm', 'arm-gina')))).toBe(
      'revoking',
    );
  });

  it('an owner without credentials is revoked at once, and a bad owner id is refused', async () => {
    // Act
    const none = await run(env.revokeStateMachineArn, { owner: 'nobody@example.com' }, 'revoke-nobody-1');
    const bad = await run(env.revokeStateMachineArn, { owner: 'x; rm -rf /' }, 'revoke-bad-1');
    // Assess
    expect(none.status).toBe('SUCCEEDED');
    expect(JSON.parse(none.output ?? '{}').revoked).toEqual([]);
    expect(bad.status).toBe('FAILED');
    expect(bad.error).toBe('ValidationError');
  });

  it('a deactivation event delivered twice starts one revocation, which revokes the owner', async () => {
    // Prepare
    const request = addressReaderRequest('fgt', 'fgt-hank', 'hank@example.com');
    await run(env.provisionStateMachineArn, request, executionNameFor('provision', request.ticket, request));
    const event = {
      EventBusName: DIRECTORY_BUS,
      Source: 'provisioner.directory',
      DetailType: 'User Deactivated',
      Detail: JSON.stringify({ eventId: 'hr-4711', userId: 'hank@example.com', reason: 'contract ended' }),
    };
    // Act
    await bus.send(new PutEventsCommand({ Entries: [event] }));
    await bus.send(new PutEventsCommand({ Entries: [event] }));
    const answers = await Promise.all(env.eventBus.deliveries.splice(0));
    const listed = await env.sfnClient.send(
      new ListExecutionsCommand({ stateMachineArn: env.revokeStateMachineArn }),
    );
    const mine = (listed.executions ?? []).filter((e) => e.name?.startsWith('revoke-hr-4711-'));
    const execution = await executionEnd(env, mine[0]?.executionArn ?? '', answerAll);
    // Assess
    // Step Functions answers a repeated start of a running execution (same name, same input) as a success.
    const arns = answers.map((a) => (a as { executionArn: string }).executionArn);
    expect(new Set(arns).size).toBe(1);
    expect(mine).toHaveLength(1);
    expect(arns[0]).toBe(mine[0]?.executionArn);
    expect(execution.status, causeMessage(execution.cause)).toBe('SUCCEEDED');
    expect(env.fortios.state.users.has('fgt-hank')).toBe(false);
  });

  it('a deactivation of Alice@Example.com revokes the credential provisioned for alice@example.com', async () => {
    // Prepare
    const request = addressReaderRequest('fgt', 'fgt-alice', 'alice@example.com');
    await run(env.provisionStateMachineArn, request, executionNameFor('provision', request.ticket, request));
    const event = {
      EventBusName: DIRECTORY_BUS,
      Source: 'provisioner.directory',
      DetailType: 'User Deactivated',
      Detail: JSON.stringify({ eventId: 'hr-alice', userId: 'Alice@Example.com' }),
    };
    // Act
    await bus.send(new PutEventsCommand({ Entries: [event] }));
    const [answer] = await Promise.all(env.eventBus.deliveries.splice(0));
    const execution = await executionEnd(env, (answer as { executionArn: string }).executionArn, answerAll);
    // Assess
    expect(execution.status, causeMessage(execution.cause)).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output ?? '{}').revoked).toEqual([credentialSecretName('fgt', 'fgt-alice')]);
    expect(env.fortios.state.users.has('fgt-alice')).toBe(false);
  });

  it('deactivations hr.7 and hr:7 are two events: each starts its own revocation', async () => {
    // Prepare
    const deactivation = (eventId: string) => ({
      EventBusName: DIRECTORY_BUS,
      Source: 'provisioner.directory',
      DetailType: 'User Deactivated',
      Detail: JSON.stringify({ eventId, userId: 'jill@example.com' }),
    });
    // Act
    await bus.send(new PutEventsCommand({ Entries: [deactivation('hr.7'), deactivation('hr:7')] }));
    const answers = await Promise.all(env.eventBus.deliveries.splice(0));
    const arns = answers.map((a) => (a as { executionArn: string }).executionArn);
    const executions = await Promise.all(arns.map((arn) => executionEnd(env, arn, answerAll)));
    // Assess
    expect(answers.map((a) => (a as { alreadyStarted: boolean }).alreadyStarted)).toEqual([false, false]);
    expect(new Set(arns).size).toBe(2);
    for (const execution of executions)
      expect(execution.status, causeMessage(execution.cause)).toBe('SUCCEEDED');
  });

  it('an identity provider deactivation revokes; an event of the wrong shape starts nothing', async () => {
    // Prepare
    const request = addressReaderRequest('fmg', 'fmg-ivy', 'ivy@example.com');
    await run(env.provisionStateMachineArn, request, executionNameFor('provision', request.ticket, request));
    const okta = {
      EventBusName: LOCAL_PARTNER_BUS,
      Source: 'aws.partner/okta.com/example/systemlog',
      DetailType: 'SystemLog',
      Detail: JSON.stringify({
        uuid: 'okta-1234',
        eventType: 'user.lifecycle.deactivate',
        target: [{ type: 'User', alternateId: 'ivy@example.com', id: '00u1' }],
      }),
    };
    const forged = {
      EventBusName: DIRECTORY_BUS,
      Source: 'provisioner.directory',
      DetailType: 'User Deactivated',
      Detail: JSON.stringify({ eventId: 'x', userId: '*', admin: true }),
    };
    const before = (
      await env.sfnClient.send(new ListExecutionsCommand({ stateMachineArn: env.revokeStateMachineArn }))
    ).executions?.length;
    // Act
    await bus.send(new PutEventsCommand({ Entries: [okta, forged] }));
    const answers = await Promise.all(env.eventBus.deliveries.splice(0));
    const listed = await env.sfnClient.send(
      new ListExecutionsCommand({ stateMachineArn: env.revokeStateMachineArn }),
    );
    const started = (answers[0] as { executionArn: string }).executionArn;
    const execution = await executionEnd(env, started, answerAll);
    // Assess
    expect(answers[1]).toMatchObject({
      name: 'ValidationError',
      message: expect.stringMatching(/userId|admin/),
    });
    expect(listed.executions?.length).toBe((before ?? 0) + 1);
    expect(execution.status, causeMessage(execution.cause)).toBe('SUCCEEDED');
    expect(env.fortimanager.state.users.has('fmg-ivy')).toBe(false);
  });

  it('leaks no material into histories, outputs, events or logs', async () => {
    // Act
    const found = scanEnvironment(env, {
      outputs,
      logs: logs.lines,
    });
    // Assess
    expect(found).toEqual([]);
  });
});
