/**
 * How `provisioner submit`, `ack` and `tasks <id>` reach an operator task: through lambda:Invoke of
 * the stack's AcceptOperatorAnswer function, which alone (with the workflow's steps) reads task
 * tokens and which compares, verifies and stores a handed-in credential. The credential's text is
 * in that one invocation's payload; what comes back is names, version ids and dates.
 */
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { FatalError, ValidationError } from '#core/errors.ts';
import type { OperatorAnswer, OperatorAnswerResults } from '#core/operator-tasks.ts';

export interface OperatorAnswers {
  send<K extends OperatorAnswer['kind']>(
    answer: Extract<OperatorAnswer, { kind: K }>,
  ): Promise<OperatorAnswerResults[K]>;
}

/**
 * The function's refusal as the operator's error: its name and message (the function writes them
 * secret-free, lambdas/core/errors.ts); bad input stays a ValidationError (exit code 2).
 */
function refusalOf(document: { errorType?: unknown; errorMessage?: unknown }): Error {
  const message =
    typeof document.errorMessage === 'string' ? document.errorMessage : 'the answer was refused';
  const error =
    document.errorType === ValidationError.errorName ? new ValidationError(message) : new FatalError(message);
  if (typeof document.errorType === 'string') error.name = document.errorType;
  return error;
}

export function lambdaOperatorAnswers(lambda: LambdaClient, functionName: string): OperatorAnswers {
  return {
    async send(answer) {
      const result = await lambda.send(
        new InvokeCommand({ FunctionName: functionName, Payload: JSON.stringify(answer) }),
      );
      const payload = JSON.parse(new TextDecoder().decode(result.Payload) || 'null') as unknown;
      // A handler's error comes back as HTTP 200 with X-Amz-Function-Error and Lambda's error document.
      if (result.FunctionError) throw refusalOf((payload ?? {}) as Record<string, unknown>);
      return payload as never;
    },
  };
}
