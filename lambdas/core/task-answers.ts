/** Answers to a callback task through the Step Functions API (AcceptOperatorAnswer sends them, under the task's token). */
import {
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { TaskGoneError } from './errors.ts';
import type { TaskAnswers } from './operator-tasks.ts';

const GONE = new Set(['TaskDoesNotExist', 'TaskTimedOut', 'InvalidToken']);

async function answer(what: string, send: () => Promise<unknown>): Promise<void> {
  try {
    await send();
  } catch (error) {
    if (error instanceof Error && GONE.has(error.name)) {
      throw new TaskGoneError(
        `the workflow no longer waits for this task (${error.name}): nothing was ${what}`,
      );
    }
    throw error;
  }
}

export function sfnTaskAnswers(sfn: SFNClient): TaskAnswers {
  return {
    succeed: (taskToken, output) =>
      answer('handed in', () =>
        sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) })),
      ),
    fail: (taskToken, error, cause) =>
      answer('refused', () => sfn.send(new SendTaskFailureCommand({ taskToken, error, cause }))),
    heartbeat: (taskToken) =>
      answer('acknowledged', () => sfn.send(new SendTaskHeartbeatCommand({ taskToken }))),
  };
}
