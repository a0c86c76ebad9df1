/**
 * How a simulated function's AWS calls carry its principal. In Lambda each function has its own
 * temporary credentials; here every function shares one process and the module-level SDK clients
 * of `lambdas/core/aws-clients.ts`, so the local runtime runs each invocation inside
 * `runAsSession`, and a middleware every client gets adds that invocation's session token to each
 * request before it is signed, as temporary credentials add `x-amz-security-token`.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { extendEveryClient } from '#core/aws-clients.ts';
import { SESSION_TOKEN_HEADER, type Session } from './account.ts';

const invocationSession = new AsyncLocalStorage<Session>();

export function runAsSession<T>(session: Session, work: () => Promise<T>): Promise<T> {
  return invocationSession.run(session, work);
}

interface BuildArgs {
  readonly request: unknown;
}
type BuildHandler = (args: BuildArgs) => Promise<unknown>;
interface BuildStack {
  add(middleware: (next: BuildHandler) => BuildHandler, options: { step: 'build'; name: string }): void;
}

let installed = false;

/** Once per process: every client built from now on sends the current invocation's session. */
export function sendInvocationSessions(): void {
  if (installed) return;
  installed = true;
  extendEveryClient((client) => {
    (client.middlewareStack as unknown as BuildStack).add(
      (next) => async (args) => {
        const session = invocationSession.getStore();
        const headers = (args.request as { headers?: Record<string, string> }).headers;
        if (session && headers) headers[SESSION_TOKEN_HEADER] = session.token;
        return next(args);
      },
      { step: 'build', name: 'localInvocationSession' },
    );
  });
}
