/**
 * Follows an execution to its end from its history, so no state is missed however fast it ran
 * (a sampled "current state" skips the steps that start and end between two polls).
 */
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  type HistoryEvent,
  paginateGetExecutionHistory,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { statesEntered } from './states-entered.ts';

/** An execution's whole history, oldest first, every page of it; no state input or output is fetched. */
export async function executionHistory(sfn: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  for await (const page of paginateGetExecutionHistory(
    { client: sfn, pageSize: 1000 },
    { executionArn, includeExecutionData: false },
  ))
    events.push(...(page.events ?? []));
  return events;
}

export interface FollowOptions {
  /** Milliseconds between two reads of the execution. */
  readonly pollMs: number;
  /** Called once per state the execution entered, in the order it first entered them. */
  readonly onState: (state: string) => void;
}

/** Polls until the execution is no longer RUNNING, reporting each new state; returns its description. */
export async function followExecution(
  sfn: SFNClient,
  executionArn: string,
  options: FollowOptions,
): Promise<DescribeExecutionCommandOutput> {
  let shown = 0;
  for (;;) {
    // Described first: once it has ended, the history read after it holds every state.
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    const states = statesEntered(await executionHistory(sfn, executionArn));
    for (const state of states.slice(shown)) options.onState(state);
    shown = Math.max(shown, states.length);
    if (described.status !== 'RUNNING') return described;
    await new Promise((resolve) => setTimeout(resolve, options.pollMs));
  }
}
