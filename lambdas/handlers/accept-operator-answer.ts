import { acceptOperatorAnswer } from '#core/operator-tasks.ts';
import { operatorAnswerDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('acceptOperatorAnswer', (event: unknown) =>
  acceptOperatorAnswer(operatorAnswerDeps(), event),
);
