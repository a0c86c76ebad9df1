/** The benchmark's reading of an execution history (bench/history-costs.ts), on AWS's event types. */
import { describe, expect, it } from 'vitest';
import type { HistoryEvent } from '#local/step-functions.ts';
import { historyCosts } from '../../bench/history-costs.ts';

let id = 0;
const event = (type: string, timestamp: number, previousEventId = id): HistoryEvent => {
  id += 1;
  return { id, previousEventId, timestamp, type };
};

describe('bench history costs', () => {
  it('counts states entered and retries, and Lambda time from TaskStarted to the end of each invocation', () => {
    // Prepare: a task failing once (30 ms) then succeeding (20 ms) on a retry, then a callback task
    // whose Lambda returns after 5 ms and whose operator answers a day later.
    id = 0;
    const history = [
      event('ExecutionStarted', 0),
      event('TaskStateEntered', 0),
      event('TaskScheduled', 0),
      event('TaskStarted', 0),
      event('TaskFailed', 30),
      event('TaskScheduled', 1000),
      event('TaskStarted', 1000),
      event('TaskSucceeded', 1020),
      event('TaskStateExited', 1020),
      event('TaskStateEntered', 1020),
      event('TaskScheduled', 1020),
      event('TaskStarted', 1020),
      event('TaskSubmitted', 1025),
      event('TaskSucceeded', 86_401_025),
      event('TaskStateExited', 86_401_025),
      event('ExecutionSucceeded', 86_401_025),
    ];
    // Act
    const costs = historyCosts(history);
    // Assess
    expect(costs).toEqual({ transitions: 3, lambdaMs: 55 });
  });
});
