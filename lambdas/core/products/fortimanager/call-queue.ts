/**
 * The JSON-RPC calls this process makes to one FortiManager, at most `limit` at a time, in the
 * order they come: 7.2.7 to 7.4.7 answer -11 to concurrent token calls (README.md beside this file).
 * The queue is per manager, not per adapter: each workflow step builds its own adapter.
 */
class CallQueue {
  private running = 0;
  private readonly waiting: { readonly limit: number; readonly start: () => void }[] = [];

  async run<T>(limit: number, call: () => Promise<T>): Promise<T> {
    await new Promise<void>((start) => {
      this.waiting.push({ limit, start });
      this.startNext();
    });
    try {
      return await call();
    } finally {
      this.running -= 1;
      this.startNext();
    }
  }

  private startNext(): void {
    for (let next = this.waiting[0]; next && this.running < next.limit; next = this.waiting[0]) {
      this.waiting.shift();
      this.running += 1;
      next.start();
    }
  }
}

const QUEUES = new Map<string, CallQueue>();

/** Runs `call` in the queue of the manager at `baseUrl` (two spellings of one origin share it). */
export function queuedCall<T>(baseUrl: string, limit: number, call: () => Promise<T>): Promise<T> {
  const manager = new URL(baseUrl).origin;
  let queue = QUEUES.get(manager);
  if (!queue) {
    queue = new CallQueue();
    QUEUES.set(manager, queue);
  }
  return queue.run(limit, call);
}
