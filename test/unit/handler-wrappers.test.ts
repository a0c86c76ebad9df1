/**
 * Every Lambda handler is a thin wrapper over a lambdas/core step (through lambdas/handlers/runtime.ts):
 * it passes the container's dependencies and its event (parsed, where the step takes a provision
 * state), returns the step's result as it is, and rethrows the step's error under its own name for
 * Step Functions' Retry / Catch, logging the outcome but never the data. The core steps are spies
 * here; test/unit/handlers.test.ts runs five handlers over their real steps, the workflow suites all.
 */
import { readdirSync } from 'node:fs';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, type Mock, vi } from 'vitest';
import * as deactivation from '#core/deactivation.ts';
import { FatalError, RetryableError } from '#core/errors.ts';
import * as operatorTasks from '#core/operator-tasks.ts';
import * as plans from '#core/plans.ts';
import * as adminRotate from '#core/workflows/admin-rotate.ts';
import * as provision from '#core/workflows/provision.ts';
import * as reconcile from '#core/workflows/reconcile.ts';
import * as refresh from '#core/workflows/refresh.ts';
import * as revoke from '#core/workflows/revoke.ts';
import * as rotate from '#core/workflows/rotate.ts';
import { executionRecent, resetWorkflowDeps, rotationStarter, workflowDeps } from '#handlers/runtime.ts';
import { captureLambdaLogs, type LogCapture } from '#local/log-capture.ts';
import { lambdaContext } from '#test/support/lambda-context.ts';
import { LAB_REQUEST } from '#test/support/unit-fixtures.ts';
import { failure } from '../failure.ts';

const { spiesOn } = vi.hoisted(() => ({
  /** The module with the named functions replaced by spies that return nothing until told. */
  spiesOn: (module: Record<string, unknown>, names: readonly string[]) => ({
    ...module,
    ...Object.fromEntries(names.map((name) => [name, vi.fn()])),
  }),
}));
vi.mock('#core/workflows/provision.ts', async (original) =>
  spiesOn(await original(), [
    'validateRequest',
    'ensureAccessProfile',
    'createApiUser',
    'issueKeyAndStore',
    'verifyCredential',
    'finalizeCredential',
    'compensateProvision',
    'requestOperatorCredential',
  ]),
);
vi.mock('#core/plans.ts', async (original) =>
  spiesOn(await original(), ['planRotation', 'planRevocation', 'planReconciliation']),
);
vi.mock('#core/workflows/rotate.ts', async (original) =>
  spiesOn(await original(), [
    'scheduleRotation',
    'validateRotation',
    'ensureTwinUser',
    'issueTwinKey',
    'verifyPendingKey',
    'promotePendingKey',
    'retirePreviousKey',
    'requestPreviousRevocation',
    'provePreviousRevoked',
    'requestRotatedCredential',
    'finalizeRotation',
    'compensateRotation',
  ]),
);
vi.mock('#core/workflows/admin-rotate.ts', async (original) =>
  spiesOn(await original(), [
    'validateAdminRotation',
    'issueAdminKey',
    'verifyAdminKey',
    'promoteAdminKey',
    'retireAdminKey',
    'finalizeAdminRotation',
    'compensateAdminRotation',
  ]),
);
vi.mock('#core/workflows/refresh.ts', async (original) => spiesOn(await original(), ['refreshAccessToken']));
vi.mock('#core/workflows/revoke.ts', async (original) =>
  spiesOn(await original(), [
    'findOwnerCredentials',
    'sweepOwnerCredentials',
    'revokeAtProduct',
    'requestOperatorRevocation',
    'proveRevoked',
    'retireCredential',
    'reportRevocation',
  ]),
);
vi.mock('#core/workflows/reconcile.ts', async (original) =>
  spiesOn(await original(), ['listTargets', 'reconcileTarget', 'reportDrift']),
);
vi.mock('#core/deactivation.ts', async (original) => spiesOn(await original(), ['startRevocation']));
vi.mock('#core/operator-tasks.ts', async (original) => spiesOn(await original(), ['acceptOperatorAnswer']));

type Handler = (event: unknown, context: typeof lambdaContext) => Promise<unknown>;
async function handlerOf(id: string): Promise<Handler> {
  return ((await import(`../../lambdas/handlers/${id}.ts`)) as { handler: Handler }).handler;
}

/**
 * What a step takes besides the dependencies: a provision state the handler parses first, or the
 * event as it came.
 */
type Takes = 'provision state' | 'event';
const STEPS: readonly [handlerId: string, step: Mock, name: string, takes: Takes][] = [
  ['validate-request', vi.mocked(provision.validateRequest), 'validateRequest', 'event'],
  [
    'ensure-access-profile',
    vi.mocked(provision.ensureAccessProfile),
    'ensureAccessProfile',
    'provision state',
  ],
  ['create-api-user', vi.mocked(provision.createApiUser), 'createApiUser', 'provision state'],
  ['issue-key-and-store', vi.mocked(provision.issueKeyAndStore), 'issueKeyAndStore', 'provision state'],
  ['verify-credential', vi.mocked(provision.verifyCredential), 'verifyCredential', 'provision state'],
  ['finalize-credential', vi.mocked(provision.finalizeCredential), 'finalizeCredential', 'provision state'],
  [
    'compensate-provision',
    vi.mocked(provision.compensateProvision),
    'compensateProvision',
    'provision state',
  ],
  [
    'request-operator-credential',
    vi.mocked(provision.requestOperatorCredential),
    'requestOperatorCredential',
    'event',
  ],
  ['schedule-rotation', vi.mocked(rotate.scheduleRotation), 'scheduleRotation', 'event'],
  ['plan-rotation', vi.mocked(plans.planRotation), 'planRotation', 'event'],
  ['plan-revocation', vi.mocked(plans.planRevocation), 'planRevocation', 'event'],
  ['plan-reconciliation', vi.mocked(plans.planReconciliation), 'planReconciliation', 'event'],
  ['validate-rotation', vi.mocked(rotate.validateRotation), 'validateRotation', 'event'],
  ['ensure-twin-user', vi.mocked(rotate.ensureTwinUser), 'ensureTwinUser', 'event'],
  ['issue-twin-key', vi.mocked(rotate.issueTwinKey), 'issueTwinKey', 'event'],
  ['verify-pending-key', vi.mocked(rotate.verifyPendingKey), 'verifyPendingKey', 'event'],
  ['promote-pending-key', vi.mocked(rotate.promotePendingKey), 'promotePendingKey', 'event'],
  ['retire-previous-key', vi.mocked(rotate.retirePreviousKey), 'retirePreviousKey', 'event'],
  [
    'request-previous-revocation',
    vi.mocked(rotate.requestPreviousRevocation),
    'requestPreviousRevocation',
    'event',
  ],
  ['prove-previous-revoked', vi.mocked(rotate.provePreviousRevoked), 'provePreviousRevoked', 'event'],
  [
    'request-rotated-credential',
    vi.mocked(rotate.requestRotatedCredential),
    'requestRotatedCredential',
    'event',
  ],
  ['finalize-rotation', vi.mocked(rotate.finalizeRotation), 'finalizeRotation', 'event'],
  ['compensate-rotation', vi.mocked(rotate.compensateRotation), 'compensateRotation', 'event'],
  ['refresh-access-token', vi.mocked(refresh.refreshAccessToken), 'refreshAccessToken', 'event'],
  ['validate-admin-rotation', vi.mocked(adminRotate.validateAdminRotation), 'validateAdminRotation', 'event'],
  ['issue-admin-key', vi.mocked(adminRotate.issueAdminKey), 'issueAdminKey', 'event'],
  ['verify-admin-key', vi.mocked(adminRotate.verifyAdminKey), 'verifyAdminKey', 'event'],
  ['promote-admin-key', vi.mocked(adminRotate.promoteAdminKey), 'promoteAdminKey', 'event'],
  ['retire-admin-key', vi.mocked(adminRotate.retireAdminKey), 'retireAdminKey', 'event'],
  ['finalize-admin-rotation', vi.mocked(adminRotate.finalizeAdminRotation), 'finalizeAdminRotation', 'event'],
  [
    'compensate-admin-rotation',
    vi.mocked(adminRotate.compensateAdminRotation),
    'compensateAdminRotation',
    'event',
  ],
  ['find-owner-credentials', vi.mocked(revoke.findOwnerCredentials), 'findOwnerCredentials', 'event'],
  ['sweep-owner-credentials', vi.mocked(revoke.sweepOwnerCredentials), 'sweepOwnerCredentials', 'event'],
  ['revoke-at-product', vi.mocked(revoke.revokeAtProduct), 'revokeAtProduct', 'event'],
  [
    'request-operator-revocation',
    vi.mocked(revoke.requestOperatorRevocation),
    'requestOperatorRevocation',
    'event',
  ],
  ['prove-revoked', vi.mocked(revoke.proveRevoked), 'proveRevoked', 'event'],
  ['retire-credential', vi.mocked(revoke.retireCredential), 'retireCredential', 'event'],
  ['list-targets', vi.mocked(reconcile.listTargets), 'listTargets', 'event'],
  ['accept-operator-answer', vi.mocked(operatorTasks.acceptOperatorAnswer), 'acceptOperatorAnswer', 'event'],
];
/** Handlers with more to them than passing through, each tested below or in its own file. */
const SHAPED = ['reconcile-target', 'report-drift', 'report-revocation', 'start-revocation', 'ticket-intake'];

/** A provision state as the workflow hands it on: ValidateRequest resolved the request's vdom. */
const STATE = {
  request: { ...LAB_REQUEST, vdom: 'root' },
  requestId: 'provision-CHG1-0123456789',
  secretName: 'provisioner/fgt-lab/bot',
  issuance: 'api',
};
const eventFor = (takes: Takes, handlerId: string) =>
  takes === 'provision state' ? STATE : { requestId: 'rotate-fgt-bot-1', handler: handlerId };

let logs: LogCapture;
const sfn = mockClient(SFNClient);

beforeAll(() => {
  logs = captureLambdaLogs();
});

afterAll(() => {
  logs.stop();
});

beforeEach(() => {
  vi.clearAllMocks();
  sfn.reset();
  resetWorkflowDeps();
  logs.lines.length = 0;
});

describe('handler wrappers', () => {
  it('cover every handler in lambdas/handlers', () => {
    // Prepare
    const files = readdirSync(new URL('../../lambdas/handlers/', import.meta.url))
      .filter((file) => file.endsWith('.ts') && file !== 'runtime.ts')
      .map((file) => file.replace(/\.ts$/, ''));
    // Act
    const covered = [...STEPS.map(([id]) => id), ...SHAPED];
    // Assess
    expect(covered.sort()).toEqual(files.sort());
  });

  it.each(STEPS)(
    '%s passes the container’s dependencies and its input to the step, and returns the step’s result',
    async (handlerId, step, name, takes) => {
      // Prepare
      const handler = await handlerOf(handlerId);
      const result = { from: name };
      step.mockResolvedValueOnce(result);
      const event = eventFor(takes, handlerId);
      // AcceptOperatorAnswer's dependencies add the task answers it sends (Step Functions).
      const deps =
        handlerId === 'reconcile-target'
          ? { ...workflowDeps(), executionRecent, rotations: rotationStarter }
          : handlerId === 'plan-reconciliation'
            ? { ...workflowDeps(), executionRecent }
            : handlerId === 'accept-operator-answer'
              ? { ...workflowDeps(), answers: expect.anything() }
              : workflowDeps();
      // Act
      const out = await handler(event, lambdaContext);
      // Assess
      expect(out).toEqual(result);
      expect(step).toHaveBeenCalledTimes(1);
      const expected = { 'provision state': [deps, STATE], event: [deps, event] }[takes];
      expect(step.mock.calls[0]).toEqual(expected);
      expect(logs.lines.join('\n')).toContain(`"message":"${name} done"`);
      expect(logs.lines.join('\n')).toContain('"function_request_id":"req-1"');
    },
  );

  it.each(STEPS)(
    '%s rethrows the step’s error as it is, logging its name but not the input',
    async (handlerId, step, name, takes) => {
      // Prepare
      const handler = await handlerOf(handlerId);
      const thrown = new RetryableError('the product is busy');
      step.mockRejectedValueOnce(thrown);
      // Act
      const error = await failure(handler(eventFor(takes, handlerId), lambdaContext));
      // Assess
      expect(error).toBe(thrown);
      const failed = logs.lines.find((line) => line.includes(`"message":"${name} failed"`));
      expect(JSON.parse(failed ?? '{}')).toMatchObject({
        level: 'ERROR',
        errorName: 'RetryableError',
        errorMessage: 'the product is busy',
      });
      expect(logs.lines.join('\n')).not.toMatch(/alice@example\.com|rotate-fgt-bot-1/);
    },
  );

  it.each(STEPS.filter(([, , , takes]) => takes === 'provision state'))(
    '%s refuses what is not a provision state without calling the step',
    async (handlerId, step) => {
      // Prepare
      const handler = await handlerOf(handlerId);
      // Act
      const error = await failure(handler({ ...STATE, key: 'smuggled' }, lambdaContext));
      // Assess
      expect(error.name).toBe('ValidationError');
      expect(error.message).toMatch(/^invalid workflow state: .*Unrecognized key/);
      expect(step).not.toHaveBeenCalled();
    },
  );
});

describe('reconcile-target', () => {
  it('logs every finding and returns the counts with a sample within the target’s share of bytes', async () => {
    // Prepare
    const handler = await handlerOf('reconcile-target');
    const broken = Array.from({ length: 150 }, (_, i) => `provisioner/fgt/bot-${i}: rejected`);
    const drift = {
      target: 'fgt',
      checked: 150,
      orphans: [],
      repaired: [],
      broken,
      inconclusive: [],
      unverified: [],
      expiring: [],
      staleAdmins: [],
      findings: [],
    };
    vi.mocked(reconcile.reconcileTarget).mockResolvedValueOnce(drift);
    const event = { target: 'fgt', sampleBytes: 1024 };
    // Act
    const out = (await handler(event, lambdaContext)) as typeof drift & { counts: Record<string, number> };
    // Assess
    expect(reconcile.reconcileTarget).toHaveBeenCalledWith(
      { ...workflowDeps(), executionRecent, rotations: rotationStarter },
      event,
    );
    expect(out.counts).toEqual({ broken: 150 });
    expect(out.broken).toEqual(broken.slice(0, out.broken.length));
    expect(Buffer.byteLength(JSON.stringify(out.broken))).toBeLessThanOrEqual(1024);
    const logged = logs.lines
      .filter((line) => line.includes('"reconcile findings"'))
      .map((line) => JSON.parse(line) as { kind: string; findings: string[] });
    expect(logged.map((line) => [line.kind, line.findings.length])).toEqual([
      ['broken', 100],
      ['broken', 50],
    ]);
  });
});

describe('report-drift', () => {
  it('returns the report and publishes DriftFound and OrphansRepaired for the drift alarm', async () => {
    // Prepare
    const handler = await handlerOf('report-drift');
    const report = {
      requestId: 'reconcile-1',
      driftCount: 3,
      repaired: ['fgt/a'],
      orphans: [],
      counts: { repaired: 2 },
      credentials: [],
      operatorTasks: { waiting: 0, oldestAgeSeconds: 0, nearDeadline: 0 },
    };
    vi.mocked(reconcile.reportDrift).mockResolvedValueOnce(report as never);
    const event = { requestId: 'reconcile-1', results: [] };
    // Act
    const out = await handler(event, lambdaContext);
    // Assess
    expect(out).toEqual(report);
    expect(reconcile.reportDrift).toHaveBeenCalledWith(workflowDeps(), event);
    const metric = JSON.parse(logs.lines.find((line) => line.includes('"DriftFound"')) ?? '{}');
    expect(metric).toMatchObject({ DriftFound: 3, OrphansRepaired: 2 });
    expect(metric._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'CredentialProvisioner' });
  });

  it('publishes credentials by product and status and the operator tasks waiting, for the dashboard and the deadline alarm', async () => {
    // Prepare
    const handler = await handlerOf('report-drift');
    const report = {
      requestId: 'reconcile-2',
      driftCount: 0,
      repaired: [],
      orphans: [],
      counts: {},
      credentials: [{ product: 'fortios', status: 'active', count: 3 }],
      operatorTasks: { waiting: 2, oldestAgeSeconds: 7200, nearDeadline: 1 },
    };
    vi.mocked(reconcile.reportDrift).mockResolvedValueOnce(report as never);
    // Act
    await handler({ requestId: 'reconcile-2', results: [] }, lambdaContext);
    // Assess
    const tasks = JSON.parse(logs.lines.findLast((line) => line.includes('"OperatorTasksWaiting"')) ?? '{}');
    expect(tasks).toMatchObject({
      OperatorTasksWaiting: 2,
      OperatorTaskOldestAge: 7200,
      OperatorTasksNearDeadline: 1,
    });
    const credentials = JSON.parse(logs.lines.findLast((line) => line.includes('"Credentials"')) ?? '{}');
    expect(credentials).toMatchObject({ Credentials: 3, product: 'fortios', status: 'active' });
    expect(credentials._aws.CloudWatchMetrics[0].Dimensions[0]).toEqual(
      expect.arrayContaining(['service', 'product', 'status']),
    );
  });

  it('publishes no metric when the step fails', async () => {
    // Prepare
    const handler = await handlerOf('report-drift');
    vi.mocked(reconcile.reportDrift).mockRejectedValueOnce(new FatalError('invalid reconcile results'));
    // Act
    const error = await failure(handler({}, lambdaContext));
    // Assess
    expect(error.message).toBe('invalid reconcile results');
    expect(logs.lines.some((line) => line.includes('"DriftFound"'))).toBe(false);
  });
});

describe('report-revocation', () => {
  const REVOKE_ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:revoke';

  beforeEach(() => {
    process.env.REVOKE_STATE_MACHINE_ARN = REVOKE_ARN;
  });

  afterAll(() => {
    delete process.env.REVOKE_STATE_MACHINE_ARN;
  });

  it('hands the step the container’s dependencies, a starter on its own state machine (for the continuation) and its input', async () => {
    // Prepare
    const handler = await handlerOf('report-revocation');
    const event = { owner: 'kim@example.com', requestId: 'revoke-hr-1' };
    vi.mocked(revoke.reportRevocation).mockResolvedValueOnce({
      owner: 'kim@example.com',
      requestId: 'revoke-hr-1',
      revoked: [],
      held: [],
      keptByTeams: [],
      status: 'revoked',
    });
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'ignored' });
    // Act
    const out = await handler(event, lambdaContext);
    const [deps, starter, passed] = vi.mocked(revoke.reportRevocation).mock.calls[0] ?? [];
    const started = await starter?.start('revoke-hr-1-more-0123456789', { owner: 'kim@example.com' });
    // Assess
    expect(out).toMatchObject({ status: 'revoked' });
    expect(deps).toEqual(workflowDeps());
    expect(passed).toEqual(event);
    expect(started?.executionArn).toBe(
      `${REVOKE_ARN.replace(':stateMachine:', ':execution:')}:revoke-hr-1-more-0123456789`,
    );
  });
});

describe('report-revocation metric', () => {
  beforeEach(() => {
    process.env.REVOKE_STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:revoke';
  });

  afterAll(() => {
    delete process.env.REVOKE_STATE_MACHINE_ARN;
  });

  it('publishes the time from the deactivation to the last credential proven refused, when the report has it', async () => {
    // Prepare
    const handler = await handlerOf('report-revocation');
    const report = {
      owner: 'kim@example.com',
      requestId: 'revoke-hr-2',
      revoked: [],
      held: [],
      keptByTeams: [],
      status: 'revoked' as const,
    };
    vi.mocked(revoke.reportRevocation)
      .mockResolvedValueOnce({ ...report, deactivationToLastRefusalSeconds: 450 })
      .mockResolvedValueOnce(report);
    // Act
    await handler({}, lambdaContext);
    const published = logs.lines.filter((line) => line.includes('"DeactivationToLastRefusal"')).length;
    await handler({}, lambdaContext);
    // Assess
    const metric = JSON.parse(
      logs.lines.findLast((line) => line.includes('"DeactivationToLastRefusal"')) ?? '{}',
    );
    expect(metric).toMatchObject({ DeactivationToLastRefusal: 450 });
    expect(metric._aws.CloudWatchMetrics[0].Metrics).toEqual([
      { Name: 'DeactivationToLastRefusal', Unit: 'Seconds' },
    ]);
    expect(logs.lines.filter((line) => line.includes('"DeactivationToLastRefusal"'))).toHaveLength(published);
  });
});

describe('start-revocation', () => {
  const REVOKE_ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:revoke';
  const event = { source: 'provisioner.directory', detail: { eventId: 'hr-1', userId: 'kim@example.com' } };

  beforeEach(() => {
    process.env.REVOKE_STATE_MACHINE_ARN = REVOKE_ARN;
  });

  afterAll(() => {
    delete process.env.REVOKE_STATE_MACHINE_ARN;
  });

  it('hands the step a starter on the revoke state machine, and returns what the step returns', async () => {
    // Prepare
    const handler = await handlerOf('start-revocation');
    const result = { executionArn: `${REVOKE_ARN}:revoke-hr-1`, alreadyStarted: false, owner: 'kim' };
    vi.mocked(deactivation.startRevocation).mockResolvedValueOnce(result);
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'ignored' });
    // Act
    const out = await handler(event, lambdaContext);
    const [starter, passed] = vi.mocked(deactivation.startRevocation).mock.calls[0] ?? [];
    const started = await starter?.start('revoke-hr-1', { owner: 'kim@example.com' });
    // Assess
    expect(out).toEqual(result);
    expect(passed).toEqual(event);
    expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input).toEqual({
      stateMachineArn: REVOKE_ARN,
      name: 'revoke-hr-1',
      input: '{"owner":"kim@example.com"}',
    });
    expect(started).toEqual({
      executionArn: 'arn:aws:states:us-east-1:000000000000:execution:revoke:revoke-hr-1',
      alreadyStarted: false,
    });
  });

  it('answers a repeated start with the execution it started', async () => {
    // Prepare
    const handler = await handlerOf('start-revocation');
    vi.mocked(deactivation.startRevocation).mockResolvedValueOnce({} as never);
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    await handler(event, lambdaContext);
    const [starter] = vi.mocked(deactivation.startRevocation).mock.calls[0] ?? [];
    // Act
    const started = await starter?.start('revoke-hr-1', {});
    // Assess
    expect(started).toEqual({
      executionArn: 'arn:aws:states:us-east-1:000000000000:execution:revoke:revoke-hr-1',
      alreadyStarted: true,
    });
  });

  it('fails before the step when the stack did not name the revoke state machine', async () => {
    // Prepare
    const handler = await handlerOf('start-revocation');
    delete process.env.REVOKE_STATE_MACHINE_ARN;
    // Act
    const error = await failure(handler(event, lambdaContext));
    // Assess
    expect(error).toBeInstanceOf(FatalError);
    expect(error.message).toBe('REVOKE_STATE_MACHINE_ARN is not set');
    expect(deactivation.startRevocation).not.toHaveBeenCalled();
  });
});
