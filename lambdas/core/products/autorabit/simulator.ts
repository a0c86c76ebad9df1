/**
 * An AutoRABIT ARM simulator on loopback HTTPS, modelling the vendor document: a token is shown
 * once, has an expiry, at most 10 live tokens per user license, dies with its user, and a revoked
 * token can be re-approved before it expires. Its authenticated read (the verify path) sends the
 * token in the `token` header and answers a `status` string in the body; a dead token is refused
 * with HTTP 401 (or 403), a model: ARM has no public API reference.
 */
import { randomText, startHttpsSimulator } from '../../../../local/simulator-kit.ts';

export interface AutoRabitSimulatorOptions {
  readonly port?: number;
  readonly verifyPath?: string;
  /** The HTTP status the verify path refuses a dead token with. */
  readonly refusalStatus?: 401 | 403;
  /**
   * The `status` the verify path answers a live token with (default `SUCCESS`). Public clients
   * read `Inprogress`, `Completed`, `Success`, `Successful` as success (jakubmplatek/PyRABIT
   * src/autorabit.py, `STATUS_OK`); quick deploy answers free text (`Quick deploy initiated
   * successfully`, same file); a job endpoint answers its job's status, `Failed` among them
   * (AutoRABIT-AI/ARM-MCP-Server src/index.ts, `DEPLOYMENT_STATUSES`).
   */
  readonly status?: string;
  /**
   * The `status` holds the token's first 20 characters, lower-cased, as ARM's has been seen to
   * (issue "Read every product answer as the real product means it, and prove revocation only
   * from an unambiguous refusal").
   */
  readonly statusEchoesToken?: boolean;
  readonly now?: () => number;
}

interface SimToken {
  readonly user: string;
  readonly name: string;
  readonly expiresAt: number;
  revoked: boolean;
}

const MAX_TOKENS_PER_LICENSE = 10;

export async function startAutoRabitSimulator(options: AutoRabitSimulatorOptions = {}) {
  const now = options.now ?? Date.now;
  const verifyPath = options.verifyPath ?? '/api/arm/v1/user/details';
  const users = new Map<string, { active: boolean }>();
  const tokens = new Map<string, SimToken>();
  const failed = (message: string) => ({
    status: options.refusalStatus ?? 401,
    body: { status: 'FAILED', message },
  });
  /** Why a token does not work now, or undefined when it does. */
  const refusal = (token: string | undefined) => {
    const found = token ? tokens.get(token) : undefined;
    if (!found) return 'Invalid token';
    if (!users.get(found.user)?.active) return 'User is inactive';
    if (found.expiresAt <= now()) return 'Token expired';
    if (found.revoked) return 'Token revoked';
    return undefined;
  };
  const live = (user: string) =>
    [...tokens.values()].filter((t) => t.user === user && !t.revoked && t.expiresAt > now()).length;

  const server = await startHttpsSimulator(options, (req) => {
    if (req.path === verifyPath && (req.method === 'GET' || req.method === 'POST')) {
      if (req.query.has('token')) return failed('Token must be sent in the token header');
      const header = req.headers.token;
      const token = typeof header === 'string' ? header : undefined;
      const why = refusal(token);
      if (why) return failed(why);
      const user = tokens.get(token ?? '')?.user;
      const status = options.statusEchoesToken
        ? (token ?? '').slice(0, 20).toLowerCase()
        : (options.status ?? 'SUCCESS');
      return { status: 200, body: { status, data: { userName: user, orgId: 'SIM-ORG' } } };
    }
    return { status: 404, body: { status: 'FAILED', message: 'Not Found' } };
  });

  return {
    ...server,
    verifyPath,
    state: { users, tokens },
    /** The Admin > API Tokens UI, as an Org Administrator uses it. */
    console: {
      createUser(name: string): void {
        if (!users.has(name)) users.set(name, { active: true });
      },
      /** "Create API Token": the token is returned once. */
      createToken(user: string, name: string, expiresAt: string): string {
        if (!users.get(user)?.active) throw new Error(`no active ARM user ${user}`);
        if (live(user) >= MAX_TOKENS_PER_LICENSE)
          throw new Error(`maximum of ${MAX_TOKENS_PER_LICENSE} tokens per user license`);
        const token = randomText(48);
        tokens.set(token, { user, name, expiresAt: Date.parse(expiresAt), revoked: false });
        return token;
      },
      /** True only when the token was live. */
      revokeToken(token: string): boolean {
        const found = tokens.get(token);
        if (!found || found.revoked) return false;
        found.revoked = true;
        return true;
      },
      /** A revoked token can be re-approved any time before it expires. */
      reapproveToken(token: string): boolean {
        const found = tokens.get(token);
        if (!found?.revoked || found.expiresAt <= now()) return false;
        found.revoked = false;
        return true;
      },
      /** The user's tokens die with it. */
      deactivateUser(name: string): void {
        const user = users.get(name);
        if (user) user.active = false;
      },
      tokenCount: live,
    },
  };
}

export type AutoRabitSimulator = Awaited<ReturnType<typeof startAutoRabitSimulator>>;
