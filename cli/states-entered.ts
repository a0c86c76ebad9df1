/**
 * The states an execution went through, from its history: every `*StateEntered` event (Task,
 * Choice, Map, Wait, Pass, Parallel, Succeed, Fail), each state once, in the order it was first
 * entered. A state entered again (a Map's iterations, a loop back, a retry through a Choice) keeps
 * its first place, so a progress display built on it never repeats a line.
 */
export interface EnteredEvent {
  readonly id?: number | undefined;
  readonly type?: string | undefined;
  readonly stateEnteredEventDetails?: { readonly name?: string | undefined } | undefined;
}

export function statesEntered(events: readonly EnteredEvent[]): string[] {
  // Pages may come newest first (reverseOrder); event ids count up from 1 in the execution's order.
  const ordered = [...events].sort((a, b) => (a.id ?? 0) - (b.id ?? 0));
  const names = new Set<string>();
  for (const event of ordered) {
    const name = event.stateEnteredEventDetails?.name;
    if (event.type?.endsWith('StateEntered') && name) names.add(name);
  }
  return [...names];
}
