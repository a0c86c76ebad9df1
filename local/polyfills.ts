/**
 * aws-local-stepfunctions 3.x calls Promise.withResolvers, which Node 20 lacks (Node 22 has it).
 * Import this module before that package on every entry point that may run on Node 20. It also
 * silences the SDK's Node 20 warning, as the CLI does.
 */
import '#cli/node20.ts';

if (typeof (Promise as { withResolvers?: unknown }).withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value<T>() {
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}
