/**
 * What every handler shares: one logger, the domain's dependencies built once per container
 * from the environment, and the middy wrapper that logs a step's outcome without its data.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  ResourceNotFoundException,
  SchedulerClient,
} from '@aws-sdk/client-scheduler';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { WorkflowStarter } from '#core/deactivation.ts';
import { FatalError, RetryableError } from '#core/errors.ts';
import { EventBridgePublisher } from '#core/events.ts';
import { vendorFor } from '#core/products/index.ts';
import { type RotationSchedules, rotationScheduleName } from '#core/schedules.ts';
import { CredentialStore, SECRETS_CLIENT_RETRIES } from '#core/secrets.ts';
import type { ProvisionDeps } from '#core/workflows/provision.ts';

export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'credential-provisioner',
});

let deps: ProvisionDeps | undefined;

/** Built lazily so unit tests can mock the SDK clients before the first call. */
export function provisionDeps(): ProvisionDeps {
  deps ??= {
    store: new CredentialStore(
      new SecretsManagerClient({ ...SECRETS_CLIENT_RETRIES }),
      process.env.PROVISIONER_KMS_KEY_ID,
    ),
    // PROVISIONER_VENDOR_TIMEOUT_MS: how long one product request may take (default 10 s).
    vendorFor: (context) =>
      vendorFor({ timeoutMs: Number(process.env.PROVISIONER_VENDOR_TIMEOUT_MS) || undefined, ...context }),
    events: new EventBridgePublisher(
      new EventBridgeClient({}),
      process.env.PROVISIONER_EVENT_BUS ?? 'default',
    ),
    now: () => new Date(),
    schedules: schedulerRotations(),
  };
  return deps;
}

function schedulerError(action: string, error: unknown): Error {
  const name = (error as Error).name;
  if (name === 'ThrottlingException' || name === 'InternalServerException')
    return new RetryableError(`Scheduler ${action} of a rotation schedule failed transiently (${name})`);
  return new FatalError(`Scheduler ${action} of a rotation schedule failed (${name})`);
}

/**
 * Rotation schedules in EventBridge Scheduler: the group, the rotate state machine, the role Scheduler
 * assumes and the rate come from the environment the stack sets.
 */
function schedulerRotations(): RotationSchedules {
  let client: SchedulerClient | undefined;
  const setting = (name: string) => {
    const value = process.env[name];
    if (!value) throw new FatalError(`${name} is not set`);
    return value;
  };
  return {
    async ensure({ secretName, target, apiUser, workflow, at }) {
      client ??= new SchedulerClient({});
      const refresh = workflow === 'refresh';
      try {
        await client.send(
          new CreateScheduleCommand({
            Name: rotationScheduleName(secretName),
            GroupName: setting('ROTATION_SCHEDULE_GROUP'),
            ScheduleExpression: at
              ? `at(${at.slice(0, 19)})`
              : refresh
                ? (process.env.TOKEN_REFRESH_RATE ?? 'rate(45 minutes)')
                : (process.env.ROTATION_RATE ?? 'rate(30 days)'),
            ScheduleExpressionTimezone: 'UTC',
            // Rotations of many credentials spread over an hour; a token refresh must not slip past its expiry.
            FlexibleTimeWindow: refresh ? { Mode: 'OFF' } : { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 60 },
            Target: {
              Arn: setting(refresh ? 'REFRESH_STATE_MACHINE_ARN' : 'ROTATE_STATE_MACHINE_ARN'),
              RoleArn: setting('ROTATION_SCHEDULER_ROLE_ARN'),
              Input: JSON.stringify({ target, apiUser }),
            },
            Description: `${refresh ? 'Refreshes the access token of' : 'Rotates'} ${secretName}`,
          }),
        );
      } catch (error) {
        if (!(error instanceof ConflictException)) throw schedulerError('create', error);
      }
    },
    async remove(secretName) {
      client ??= new SchedulerClient({});
      try {
        await client.send(
          new DeleteScheduleCommand({
            Name: rotationScheduleName(secretName),
            GroupName: setting('ROTATION_SCHEDULE_GROUP'),
          }),
        );
      } catch (error) {
        if (!(error instanceof ResourceNotFoundException)) throw schedulerError('delete', error);
      }
    },
  };
}

let sfn: SFNClient | undefined;

/** Starts revoke executions on the state machine named by REVOKE_STATE_MACHINE_ARN. */
export function revokeStarter(): WorkflowStarter {
  return starterOf('REVOKE_STATE_MACHINE_ARN');
}

/** Starts executions of the state machine whose ARN the environment variable holds; a repeated name is answered with its execution. */
export function starterOf(
  variable: 'PROVISION_STATE_MACHINE_ARN' | 'REVOKE_STATE_MACHINE_ARN',
): WorkflowStarter {
  const stateMachineArn = process.env[variable];
  if (!stateMachineArn) throw new FatalError(`${variable} is not set`);
  sfn ??= new SFNClient({});
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

/**
 * Whether the execution that created a product user still runs, looked up by its name on the
 * provision or rotate state machine (the environment names both).
 */
export async function executionRunning(requestId: string): Promise<boolean> {
  const variable = requestId.startsWith('rotate-')
    ? 'ROTATE_STATE_MACHINE_ARN'
    : 'PROVISION_STATE_MACHINE_ARN';
  const machine = process.env[variable];
  if (!machine) throw new FatalError(`${variable} is not set`);
  sfn ??= new SFNClient({});
  try {
    const described = await sfn.send(
      new DescribeExecutionCommand({
        executionArn: `${machine.replace(':stateMachine:', ':execution:')}:${requestId}`,
      }),
    );
    return described.status === 'RUNNING';
  } catch (error) {
    if ((error as Error).name === 'ExecutionDoesNotExist') return false;
    throw error;
  }
}

/** Forgets the cached dependencies (tests that swap endpoints between suites). */
export function resetProvisionDeps(): void {
  deps = undefined;
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
