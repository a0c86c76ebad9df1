/**
 * Executions on the local Step Functions endpoint, through the real SDK client: start one, wait for
 * its end (answering its operator tasks when given an operator), and describe it as AWS does.
 */
import type { DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';
import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { ActionRequiredDetail } from '#core/events.ts';
import { executionNameFor } from '#core/execution-names.ts';
import type { LocalEnvironment } from '#local/environment.ts';
import { answerTasksUntilDone } from '#local/operator.ts';

export type ExecutionDescription = DescribeExecutionCommandOutput;
/** Plays the operator: handles each action-required task the execution publishes, once. */
export type OperatorAnswer = (task: ActionRequiredDetail) => Promise<unknown>;

/** Starts an execution (input as given when a string, else as JSON); returns its ARN. */
export async function startExecution(
  env: LocalEnvironment,
  stateMachineArn: string,
  input: unknown,
  name?: string,
): Promise<string> {
  const started = await env.sfnClient.send(
    new StartExecutionCommand({
      stateMachineArn,
      name,
      input: typeof input === 'string' ? input : JSON.stringify(input),
    }),
  );
  return started.executionArn ?? '';
}

/** Waits until the execution ends, answering its operator tasks with `answer` if given; then describes it. */
export async function executionEnd(
  env: LocalEnvironment,
  executionArn: string,
  answer?: OperatorAnswer,
): Promise<ExecutionDescription> {
  if (answer) return answerTasksUntilDone(env, executionArn, answer);
  await env.stepFunctions.service.waitForExecution(executionArn);
  return env.sfnClient.send(new DescribeExecutionCommand({ executionArn }));
}

/** Starts an execution and waits for its end: `startExecution`, then `executionEnd`. */
export async function runExecution(
  env: LocalEnvironment,
  stateMachineArn: string,
  input: unknown,
  name?: string,
  answer?: OperatorAnswer,
): Promise<ExecutionDescription> {
  return executionEnd(env, await startExecution(env, stateMachineArn, input, name), answer);
}

/**
 * A provision request for a read-only key on firewall addresses (FortiOS, FortiManager), trusted
 * from loopback, under ticket `T-<apiUser>`; `fields` add to it or replace its own (a ticket).
 */
export function addressReaderRequest<Fields extends Record<string, unknown>>(
  target: string,
  apiUser: string,
  owner: string,
  fields?: Fields,
) {
  return {
    target,
    apiUser,
    owner,
    ticket: `T-${apiUser}`,
    accessProfile: { name: 'addr-readonly', permissions: { 'fwgrp.address': 'read' } },
    trustedHosts: ['127.0.0.1/32'],
    ...fields,
  };
}

/** Runs a provision to its end under the name the intake gives its ticket. */
export async function runProvision(
  env: LocalEnvironment,
  request: { readonly ticket: string },
): Promise<ExecutionDescription> {
  const name = executionNameFor('provision', request.ticket, request);
  return runExecution(env, env.provisionStateMachineArn, request, name);
}

/** Starts a provision under the name the intake gives its ticket; returns it once it waits on its operator task. */
export async function provisionWaitingOnTask<Request extends { readonly ticket: string }>(
  env: LocalEnvironment,
  request: Request,
): Promise<{ executionArn: string; task: ActionRequiredDetail }> {
  const name = executionNameFor('provision', request.ticket, request);
  const executionArn = await startExecution(env, env.provisionStateMachineArn, request, name);
  return { executionArn, task: await taskOpenedBy(env, executionArn) };
}

/** The operator task an execution opened (its action-required event), once it is out. */
export async function taskOpenedBy(
  env: LocalEnvironment,
  executionArn: string,
): Promise<ActionRequiredDetail> {
  const requestId = executionArn.split(':').at(-1);
  for (;;) {
    const found = env.eventBus.events
      .filter((e) => e.DetailType === 'credential.action-required')
      .map((e) => JSON.parse(e.Detail) as ActionRequiredDetail)
      .find((task) => task.requestId === requestId);
    if (found) return found;
    await new Promise((resolve) => setImmediate(resolve));
  }
}
