/**
 * The bench's person at the console: watches the `credential.action-required` events while a run
 * lasts, reading new ones from where the last look ended, and answers each task it wants once.
 */
import type { ActionRequiredDetail } from '#core/events.ts';
import type { LocalEnvironment } from '#local/environment.ts';

export interface TaskWatcher {
  /** The tasks to answer (the others belong to someone else). */
  readonly wants: (task: ActionRequiredDetail) => boolean;
  readonly answer: (task: ActionRequiredDetail) => Promise<void>;
}

/** Starts watching; the returned stop waits for the answers under way and throws the first that failed. */
export function watchActionsRequired(env: LocalEnvironment, watcher: TaskWatcher): () => Promise<void> {
  let seen = 0;
  let running = true;
  const answering: Promise<void>[] = [];
  let failure: unknown;
  const look = async () => {
    while (running) {
      const events = env.eventBus.events;
      for (; seen < events.length; seen += 1) {
        const event = events[seen];
        if (event?.DetailType !== 'credential.action-required') continue;
        const task = JSON.parse(event.Detail) as ActionRequiredDetail;
        if (!watcher.wants(task)) continue;
        answering.push(
          watcher.answer(task).catch((error: unknown) => {
            failure ??= error;
          }),
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  const looking = look();
  return async () => {
    running = false;
    await looking;
    await Promise.all(answering);
    if (failure) throw failure;
  };
}
