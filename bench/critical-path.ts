/**
 * The critical path of a revocation, read from its execution history: what stood between the
 * deactivation event and the last API-revocable credential proven refused. Each event's branch (an
 * iteration of one of RevokeByLane's Maps, or the execution's own) follows from `previousEventId`,
 * which names the event before it in its branch (local/step-functions/history.ts, as AWS's
 * histories do).
 *
 * The path is a sequence of steps whose durations add up to the total: the start (event to
 * ExecutionStarted: PutEvents, the rule, the starter function, StartExecution), the execution's
 * states before the Map, then, when the last credential's iteration waited for a slot of the Map's
 * MaxConcurrency, the chain of iterations that held that slot one after the other, then the last
 * credential's own states up to its ProveRevoked success.
 */
import type { HistoryEvent } from '#local/step-functions.ts';

/** The callback state (in either lane) whose presence in an iteration means a person revokes that credential. */
const OPERATOR_STATE = /^RequestOperatorRevocation/;
/** The API lane's proof. */
const PROOF_STATE = 'ProveRevoked';
const EXECUTION = 'execution';
/** States that hold others (their segments span their branches' and are no step of their own). */
const CONTAINERS = /^(Map|Parallel)StateEntered$/;

interface CriticalStep {
  readonly step: string;
  readonly seconds: number;
}

export interface CriticalPath {
  readonly apiRevocable: number;
  readonly operatorRevocations: number;
  /** Event to the last API-revocable credential's ProveRevoked success (NaN: none was proven). */
  readonly lastRefusalSeconds: number;
  /** Event to the last operator task opened (TaskSubmitted: announced, waiting for the person). */
  readonly lastOperatorTaskSeconds: number;
  readonly steps: readonly CriticalStep[];
}

interface Segment {
  readonly state: string;
  readonly enteredAt: number;
  endedAt: number;
  /** Invocations of a Task state: 1, plus one per retry. */
  attempts: number;
  /** When its Lambda answered successfully (a Task state). */
  succeededAt?: number;
  /** When its callback task was opened (a callback Task state). */
  submittedAt?: number;
}

interface Iteration {
  /** The Map running it. */
  readonly map: string;
  readonly index: number;
  readonly startedAt: number;
  readonly startedId: number;
  endedAt: number;
  endedId: number;
  credential: string;
  readonly segments: Segment[];
}

const seconds = (ms: number) => Math.round(ms) / 1000;

function detailsName(event: HistoryEvent): string | undefined {
  return (event.stateEnteredEventDetails as { name?: string } | undefined)?.name;
}

/** The credential (target/apiUser) an iteration revokes, from its first state's input. */
function credentialIn(event: HistoryEvent): string {
  const input = (event.stateEnteredEventDetails as { input?: string } | undefined)?.input ?? '{}';
  const { credential } = JSON.parse(input) as { credential?: { target?: string; apiUser?: string } };
  return `${credential?.target ?? '?'}/${credential?.apiUser ?? '?'}`;
}

/** Splits the history into the execution's own states and each Map iteration's. */
function branches(history: readonly HistoryEvent[]) {
  const byId = new Map(history.map((e) => [e.id, e]));
  const branchOf = new Map<number, string>();
  const iterations = new Map<string, Iteration>();
  const own: Segment[] = [];
  const open = new Map<string, Segment>();
  /** When each Map (and the Parallel holding them) was entered. */
  const lanesEnteredAt = new Map<string, number>();
  for (const event of history) {
    const previous = byId.get(event.previousEventId);
    let branch = previous ? (branchOf.get(previous.id) ?? EXECUTION) : EXECUTION;
    // The event after an iteration's end is the execution's again.
    if (previous?.type === 'MapIterationSucceeded' || previous?.type === 'MapIterationFailed')
      branch = EXECUTION;
    if (event.type === 'MapIterationStarted') {
      const { index, name: map } = event.mapIterationStartedEventDetails as { index: number; name: string };
      branch = `${map}#${index}`;
      iterations.set(branch, {
        map,
        index,
        startedAt: event.timestamp,
        startedId: event.id,
        endedAt: event.timestamp,
        endedId: event.id,
        credential: '?',
        segments: [],
      });
    }
    branchOf.set(event.id, branch);
    const iteration = iterations.get(branch);
    if (iteration) {
      iteration.endedAt = event.timestamp;
      iteration.endedId = event.id;
    }
    const name = detailsName(event);
    if (event.type.endsWith('StateEntered') && name && !iteration && CONTAINERS.test(event.type)) {
      lanesEnteredAt.set(name, event.timestamp);
      continue;
    }
    if (event.type.endsWith('StateEntered') && name) {
      const segment: Segment = {
        state: name,
        enteredAt: event.timestamp,
        endedAt: event.timestamp,
        attempts: 0,
      };
      if (iteration && iteration.segments.length === 0) iteration.credential = credentialIn(event);
      (iteration?.segments ?? own).push(segment);
      open.set(branch, segment);
      continue;
    }
    const segment = open.get(branch);
    if (!segment) continue;
    segment.endedAt = event.timestamp;
    if (event.type === 'TaskScheduled') segment.attempts += 1;
    if (event.type === 'TaskSucceeded') segment.succeededAt = event.timestamp;
    if (event.type === 'TaskSubmitted') segment.submittedAt = event.timestamp;
    if (event.type.endsWith('StateExited')) open.delete(branch);
  }
  return { own, iterations: [...iterations.values()], lanesEnteredAt };
}

function describe(segment: Segment): string {
  const retries = segment.attempts > 1 ? `, ${segment.attempts} attempts` : '';
  return `${segment.state}${retries}`;
}

const isOperator = (iteration: Iteration) => iteration.segments.some((s) => OPERATOR_STATE.test(s.state));

export function criticalPath(history: readonly HistoryEvent[], eventAt: number): CriticalPath {
  const { own, iterations, lanesEnteredAt } = branches(history);
  const proofOf = (iteration: Iteration) =>
    iteration.segments.find((s) => s.state === PROOF_STATE && s.succeededAt !== undefined)?.succeededAt;
  const api = iterations.filter((i) => !isOperator(i));
  const operator = iterations.filter(isOperator);
  const opened = operator.flatMap((i) =>
    i.segments.flatMap((s) =>
      OPERATOR_STATE.test(s.state) && s.submittedAt !== undefined ? [s.submittedAt] : [],
    ),
  );
  const proven = api.filter((i) => proofOf(i) !== undefined);
  const last = proven.reduce<Iteration | undefined>(
    (latest, i) => (latest && (proofOf(latest) ?? 0) >= (proofOf(i) ?? 0) ? latest : i),
    undefined,
  );
  const base = {
    apiRevocable: api.length,
    operatorRevocations: operator.length,
    lastOperatorTaskSeconds: opened.length === 0 ? Number.NaN : seconds(Math.max(...opened) - eventAt),
  };
  const started = history.find((e) => e.type === 'ExecutionStarted');
  const endAt = last ? proofOf(last) : undefined;
  if (!last || endAt === undefined || !started) return { ...base, lastRefusalSeconds: Number.NaN, steps: [] };

  const steps: CriticalStep[] = [];
  let at = eventAt;
  const add = (step: string, until: number) => {
    steps.push({ step, seconds: seconds(until - at) });
    at = until;
  };
  add(
    'deactivation event to ExecutionStarted (PutEvents, rule, start-revocation, StartExecution)',
    started.timestamp,
  );
  const mapStartedAt = last.startedAt;
  for (const segment of own.filter((s) => s.enteredAt < mapStartedAt))
    add(describe(segment), segment.endedAt);
  // The slot chain: each iteration of the lane started when the one before it in the chain ended.
  const chain: Iteration[] = [];
  const laneEnteredAt = lanesEnteredAt.get(last.map);
  for (let waiting = last; ; ) {
    const freedBy = iterations
      .filter((i) => i.map === last.map && i.endedId < waiting.startedId && i.endedAt <= waiting.startedAt)
      .sort((a, b) => b.endedId - a.endedId)[0];
    if (!freedBy || (laneEnteredAt !== undefined && freedBy.endedAt <= laneEnteredAt)) break;
    chain.unshift(freedBy);
    waiting = freedBy;
  }
  for (const holder of chain) {
    const who = isOperator(holder) ? 'a person revokes' : 'API-revocable';
    const states = holder.segments
      .map((s) => `${describe(s)} ${seconds(s.endedAt - s.enteredAt)} s`)
      .join(', ');
    add(`slot held by iteration ${holder.index} (${holder.credential}, ${who}): ${states}`, holder.endedAt);
  }
  for (const segment of last.segments) {
    if (segment.state === PROOF_STATE) {
      add(`${describe(segment)} (${last.credential}, iteration ${last.index}): refused`, endAt);
      break;
    }
    add(`${describe(segment)} (${last.credential})`, segment.endedAt);
  }
  return { ...base, lastRefusalSeconds: seconds(endAt - eventAt), steps };
}
