/**
 * What an execution's history says it cost, read as Step Functions records it: a state transition
 * per state entered and per retry (a TaskScheduled after the task's failure), and Lambda time from
 * each TaskStarted to the event that ends its invocation (TaskSucceeded, TaskFailed, TaskTimedOut;
 * TaskSubmitted for a callback task, whose wait for the operator Lambda does not bill). An event's
 * previousEventId names the one before it in its branch, so Map iterations running side by side
 * are paired correctly.
 */
import type { HistoryEvent } from '#local/step-functions.ts';

const INVOCATION_ENDS = new Set(['TaskSucceeded', 'TaskFailed', 'TaskTimedOut', 'TaskSubmitted']);
const TASK_FAILURES = new Set(['TaskFailed', 'TaskTimedOut']);

export function historyCosts(history: readonly HistoryEvent[]): { transitions: number; lambdaMs: number } {
  const byId = new Map(history.map((e) => [e.id, e]));
  let transitions = 0;
  let lambdaMs = 0;
  for (const event of history) {
    const previous = byId.get(event.previousEventId);
    if (event.type.endsWith('StateEntered')) transitions += 1;
    if (event.type === 'TaskScheduled' && previous && TASK_FAILURES.has(previous.type)) transitions += 1;
    if (INVOCATION_ENDS.has(event.type) && previous?.type === 'TaskStarted') {
      lambdaMs += event.timestamp - previous.timestamp;
    }
  }
  return { transitions, lambdaMs };
}
