/**
 * What every handler shares: one logger, the domain's dependencies built once per container
 * from the environment, and the middy wrapper that logs a step's outcome without its data.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import {
  ConflictException,
  CreateScheduleCommand,
  type SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import {
  dynamoDbClient,
  eventBridgeClient,
  schedulerClient,
  secretsManagerClient,
  stepFunctionsClient,
} from '#core/aws-clients.ts';
import { type Config, readConfig, type Setting } from '#core/config.ts';
import type { WorkflowStarter } from '#core/deactivation.ts';
import { deleteScheduleIfPresent } from '#core/delete-schedule.ts';
import { awsFailure } from '#core/errors.ts';
import { EventBridgePublisher } from '#core/events.ts';
import {
  deleteHoldEndSchedule,
  type HoldEndSchedules,
  holdEndExpression,
  holdEndRequest,
  holdEndScheduleName,
} from '#core/hold-ends.ts';
import { TaskStore } from '#core/operator-task-store.ts';
import type { OperatorDeps } from '#core/operator-tasks.ts';
import { loadVendor } from '#core/products/adapters.ts';
import { type RotationSchedules, rotationScheduleName } from '#core/schedules.ts';
import { CredentialStore } from '#core/secrets.ts';
import { sfnTaskAnswers } from '#core/task-answers.ts';
import type { WorkflowDeps } from '#core/workflow-deps.ts';

export const logger = new Logger({ serviceName: readConfig().serviceName });

let deps: WorkflowDeps | undefined;
let config: Config | undefined;

/** The configuration, read once per container (and again after `resetWorkflowDeps`). */
function settings(): Config {
  config ??= readConfig();
  return config;
}

/** Built lazily so unit tests can mock the SDK clients before the first call. */
export function workflowDeps(): WorkflowDeps {
  if (deps) return deps;
  const { kmsKeyId, vendorTimeoutMs, eventBus, credentialReaders, taskTable } = settings();
  deps = {
    store: new CredentialStore(secretsManagerClient(), kmsKeyId, credentialReaders),
    tasks: new TaskStore(dynamoDbClient(), taskTable),
    vendorFor: (context) => loadVendor({ timeoutMs: vendorTimeoutMs, ...context }),
    events: new EventBridgePublisher(eventBridgeClient(), eventBus),
    now: () => new Date(),
    schedules: schedulerRotations(),
    holdEnds: schedulerHoldEnds(),
    egressAddresses: settings().egressAddresses(),
  };
  return deps;
}

let sfn: SFNClient | undefined;

/** AcceptOperatorAnswer's dependencies: the workflows' store and products, and the task answers it sends. */
export function operatorAnswerDeps(): OperatorDeps {
  sfn ??= stepFunctionsClient();
  return { ...workflowDeps(), answers: sfnTaskAnswers(sfn) };
}

const SCHEDULER = 'EventBridge Scheduler';

/**
 * Rotation schedules in EventBridge Scheduler: the group, the rotate state machine, the role Scheduler
 * assumes and the rate come from the environment the stack sets.
 */
function schedulerRotations(): RotationSchedules {
  let client: SchedulerClient | undefined;
  const setting = (name: Setting) => settings().required(name);
  return {
    async ensure(
      { secretName, target, apiUser, workflow, at, rate, expression, timeZone, adminCredential },
      { replaceExisting = false } = {},
    ) {
      client ??= schedulerClient();
      const refresh = workflow === 'refresh';
      const admin = workflow === 'admin-rotate';
      const name = rotationScheduleName(secretName);
      const schedule = {
        Name: name,
        GroupName: setting('rotationScheduleGroup'),
        ScheduleExpression: at
          ? `at(${at.slice(0, 19)})`
          : (rate ?? (refresh ? settings().tokenRefreshRate : (expression ?? settings().rotationRate))),
        // at() is written in UTC; a credential's own cron expression is read in its zone.
        ScheduleExpressionTimezone: at ? 'UTC' : (timeZone ?? 'UTC'),
        // Rotations of many credentials spread over an hour; a token refresh must not slip past its expiry.
        FlexibleTimeWindow: refresh
          ? { Mode: 'OFF' as const }
          : { Mode: 'FLEXIBLE' as const, MaximumWindowInMinutes: 60 },
        Target: {
          Arn: setting(
            refresh
              ? 'refreshStateMachineArn'
              : admin
                ? 'adminRotateStateMachineArn'
                : 'rotateStateMachineArn',
          ),
          RoleArn: setting('rotationSchedulerRoleArn'),
          // The admin-rotate request names the target and which admin credential.
          Input: JSON.stringify(admin ? { target, credential: adminCredential } : { target, apiUser }),
          // A failed invocation is kept there, not dropped (docs/deploy-to-production.md, alerts).
          DeadLetterConfig: { Arn: setting('rotationDeadLetterQueueArn') },
        },
        Description: `${refresh ? 'Refreshes the access token of' : 'Rotates'} ${secretName}`,
      };
      try {
        await client.send(new CreateScheduleCommand(schedule));
        return;
      } catch (error) {
        // ConflictException: the schedule is there already.
        if (!(error instanceof ConflictException)) throw awsFailure(SCHEDULER, 'CreateSchedule', error, name);
      }
      if (!replaceExisting) return;
      try {
        // UpdateSchedule replaces the whole schedule, so every field goes again (API_UpdateSchedule).
        await client.send(new UpdateScheduleCommand(schedule));
      } catch (error) {
        throw awsFailure(SCHEDULER, 'UpdateSchedule', error, name);
      }
    },
    async remove(secretName) {
      client ??= schedulerClient();
      await deleteScheduleIfPresent(
        client,
        setting('rotationScheduleGroup'),
        rotationScheduleName(secretName),
      );
    },
  };
}

/**
 * Hold-end schedules in the rotation schedules' group: one-time, deleted by Scheduler once they
 * started the revocation, invoked exactly at their time (no flexible window: a hold ends when it
 * says), with the same role and dead-letter queue as the rotations.
 */
function schedulerHoldEnds(): HoldEndSchedules {
  let client: SchedulerClient | undefined;
  const setting = (name: Setting) => settings().required(name);
  return {
    async ensure(hold) {
      client ??= schedulerClient();
      const name = holdEndScheduleName(hold.secretName);
      try {
        await client.send(
          new CreateScheduleCommand({
            Name: name,
            GroupName: setting('rotationScheduleGroup'),
            ScheduleExpression: holdEndExpression(hold.heldUntil),
            ScheduleExpressionTimezone: 'UTC',
            ActionAfterCompletion: 'DELETE',
            FlexibleTimeWindow: { Mode: 'OFF' },
            Target: {
              Arn: setting('revokeStateMachineArn'),
              RoleArn: setting('rotationSchedulerRoleArn'),
              Input: JSON.stringify(holdEndRequest(hold)),
              DeadLetterConfig: { Arn: setting('rotationDeadLetterQueueArn') },
            },
            Description: `Revokes ${hold.secretName} of ${hold.owner} when its hold ends`,
          }),
        );
      } catch (error) {
        // ConflictException: the schedule is there already (a repeated offboarding).
        if (!(error instanceof ConflictException)) throw awsFailure(SCHEDULER, 'CreateSchedule', error, name);
      }
    },
    async remove(secretName) {
      client ??= schedulerClient();
      await deleteHoldEndSchedule(client, setting('rotationScheduleGroup'), secretName);
    },
  };
}

/** Starts revoke executions. */
export function revokeStarter(): WorkflowStarter {
  return starterOf('revokeStateMachineArn');
}

/** Starts executions of the provision, revoke or rotate state machine; a repeated name is answered with its execution. */
export function starterOf(
  machine: Extract<Setting, 'provisionStateMachineArn' | 'revokeStateMachineArn' | 'rotateStateMachineArn'>,
): WorkflowStarter {
  const stateMachineArn = settings().required(machine);
  sfn ??= stepFunctionsClient();
  const client = sfn;
  return {
    async start(name, input) {
      const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
      try {
        await client.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
        return { executionArn, alreadyStarted: false };
      } catch (error) {
        if (error instanceof ExecutionAlreadyExists) return { executionArn, alreadyStarted: true };
        throw error;
      }
    },
  };
}

/** Starts rotate executions (reconciliation's `repair: fix`), resolving the state machine at the first start. */
export const rotationStarter: WorkflowStarter = {
  start: (name, input) => starterOf('rotateStateMachineArn').start(name, input),
};

/**
 * Whether the execution that created a product user still runs or stopped less than `withinMs`
 * ago, looked up by its name on the provision or rotate state machine (the environment names both).
 */
export async function executionRecent(requestId: string, withinMs: number): Promise<boolean> {
  const machine = settings().required(
    requestId.startsWith('rotate-') ? 'rotateStateMachineArn' : 'provisionStateMachineArn',
  );
  sfn ??= stepFunctionsClient();
  try {
    const described = await sfn.send(
      new DescribeExecutionCommand({
        executionArn: `${machine.replace(':stateMachine:', ':execution:')}:${requestId}`,
      }),
    );
    if (described.status === 'RUNNING') return true;
    const stopped = described.stopDate?.getTime();
    return stopped !== undefined && Date.now() - stopped < withinMs;
  } catch (error) {
    if ((error as Error).name === 'ExecutionDoesNotExist') return false;
    throw awsFailure('Step Functions', 'DescribeExecution', error, requestId);
  }
}

/** Forgets the cached dependencies (tests that swap endpoints between suites). */
export function resetWorkflowDeps(): void {
  deps = undefined;
  config = undefined;
  sfn = undefined;
}

/**
 * Wraps a workflow step: logs its name and outcome (error name and message are secret-free by
 * construction, see core/errors.ts), never its input or output, and rethrows for Retry / Catch.
 */
export function workflowStep<I, O>(step: string, run: (event: I) => Promise<O>) {
  return middy<I, O, Error, Context>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use({
      onError: async (request) => {
        const error = request.error;
        logger.error(`${step} failed`, { errorName: error?.name, errorMessage: error?.message });
      },
    })
    .handler(async (event) => {
      const result = await run(event);
      logger.info(`${step} done`);
      return result;
    });
}
