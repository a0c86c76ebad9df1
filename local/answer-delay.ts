/**
 * How long a local endpoint takes to answer, standing for the network and the service behind it (an
 * AWS API, a product's): 0, the default everywhere but the offboarding bench, answers at once.
 * Mutable, so a run can set it once its unmeasured set-up is done.
 */
export class AnswerDelay {
  ms = 0;

  /** Resolves after `ms` on the process's timers (fake ones in tests). */
  wait(): Promise<void> {
    const ms = this.ms;
    return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
  }
}
