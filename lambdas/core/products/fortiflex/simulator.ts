/**
 * A FortiCloud (FortiFlex) simulator on loopback HTTPS, modelling the vendor facts in README.md beside this file and the
 * vendor document: the OAuth password grant takes a JSON body only and answers Fortinet's own
 * status / message beside the OAuth fields; one token is active per API user (a new one replaces
 * it); tokens expire; revoke answers 200 even when it deleted nothing. The `console` is the IAM
 * portal an operator uses: API users are created there, and each credential download resets the
 * password (the old one is dead at once).
 */
import { randomText, startHttpsSimulator } from '../../../../local/simulator-kit.ts';
import { FORTICLOUD_CLIENT_IDS } from './target.ts';

export interface FortiFlexSimulatorOptions {
  readonly port?: number;
  /** Token lifetime in seconds (documented 14400, observed 3600). */
  readonly expiresIn?: number;
  readonly now?: () => number;
  /** Answer token requests without this field (a malformed 200 the adapter must refuse). */
  readonly omit?: 'access_token' | 'expires_in';
}

interface SimApiUser {
  readonly username: string;
  readonly permissionProfile: string;
  password?: string;
}

interface SimToken {
  readonly username: string;
  readonly expiresAt: number;
}

export async function startFortiFlexSimulator(options: FortiFlexSimulatorOptions = {}) {
  const now = options.now ?? Date.now;
  const expiresIn = options.expiresIn ?? 3600;
  const users = new Map<string, SimApiUser>();
  const tokens = new Map<string, SimToken>();
  const error = (status: number, message: string, oauthError?: string) => ({
    status,
    body: { status: 'error', message, ...(oauthError ? { error: oauthError } : {}) },
  });
  /** An OAuth error (RFC 6749 section 5.2: `error`, `error_description`). */
  const oauthError = (status: number, code: string, description: string) => ({
    status,
    body: { error: code, error_description: description },
  });
  /** Client ids are compared exactly: the documented ones, in their documented case. */
  const knownClient = (clientId: unknown) => (FORTICLOUD_CLIENT_IDS as readonly unknown[]).includes(clientId);
  const liveToken = (token: string | undefined) => {
    const found = token ? tokens.get(token) : undefined;
    return found && found.expiresAt > now() && users.has(found.username) ? found : undefined;
  };
  const dropTokensOf = (username: string) => {
    for (const [token, t] of tokens) if (t.username === username) tokens.delete(token);
  };

  const server = await startHttpsSimulator(options, (req) => {
    if (req.method === 'POST' && req.path === '/api/v1/oauth/token/') {
      const body = req.json as Record<string, unknown> | undefined;
      if (!String(req.headers['content-type'] ?? '').includes('application/json') || !body) {
        return error(400, 'Request body must be JSON.');
      }
      // RFC 6749 section 5.2 lets an unknown client be refused with 401, the status of a refused password.
      if (!knownClient(body.client_id)) return oauthError(401, 'invalid_client', 'Invalid client_id.');
      if (body.grant_type !== 'password')
        return oauthError(400, 'unsupported_grant_type', 'Unsupported grant type.');
      const user = users.get(String(body.username ?? ''));
      // An unknown API user: 400 invalid_grant; a wrong password: 401 (cprevot93/forticare
      // tests/test_forticare.py, test_invalid_cred and test_invalid_pwd).
      if (!user?.password) return oauthError(400, 'invalid_grant', 'Invalid credentials given.');
      if (user.password !== body.password) {
        return { status: 401, body: { error: 'Unexpected error has happened', status: 'failure' } };
      }
      dropTokensOf(user.username);
      const token = randomText(30);
      tokens.set(token, { username: user.username, expiresAt: now() + expiresIn * 1000 });
      // The answer of FortiCloud IAM's "Accessing FortiAPIs" example.
      return {
        status: 200,
        commits: true,
        body: {
          ...(options.omit === 'access_token' ? {} : { access_token: token }),
          ...(options.omit === 'expires_in' ? {} : { expires_in: expiresIn }),
          refresh_token: randomText(30),
          token_type: 'Bearer',
          scope: 'read write',
          status: 'success',
          message: 'successfully authenticated',
        },
      };
    }
    if (req.method === 'POST' && req.path === '/api/v1/oauth/revoke_token/') {
      const body = req.json as Record<string, unknown> | undefined;
      if (!knownClient(body?.client_id)) return oauthError(401, 'invalid_client', 'Invalid client_id.');
      tokens.delete(String(body?.token ?? ''));
      return { status: 200, commits: true, body: { status: 'success', message: 'Access token revoked' } };
    }
    if (req.method === 'POST' && req.path === '/ES/api/fortiflex/v2/programs/list') {
      const bearer = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
      if (!liveToken(bearer))
        return error(401, 'Authentication credentials were not provided or are invalid.');
      return { status: 200, body: { status: 0, message: 'Request processed successfully.', programs: [] } };
    }
    return error(404, 'Not found.');
  });

  return {
    ...server,
    state: { users, tokens },
    /** Whether a bearer token works at a consumer endpoint now. */
    tokenWorks: (token: string) => liveToken(token) !== undefined,
    /** The IAM portal, as an operator uses it. */
    console: {
      createApiUser(permissionProfile = 'FlexVM-ReadOnly'): string {
        const username = `${randomText(8, '0123456789ABCDEF')}-${randomText(4, '0123456789ABCDEF')}`;
        users.set(username, { username, permissionProfile });
        return username;
      },
      /** "Download Credentials": a new password each time; the previous one dies at once. */
      downloadCredentials(username: string): string {
        const user = users.get(username);
        if (!user) throw new Error(`no IAM API user ${username}`);
        user.password = randomText(24);
        return `API ID: ${username}\nPassword: ${user.password}\n`;
      },
      deleteApiUser(username: string): boolean {
        dropTokensOf(username);
        return users.delete(username);
      },
    },
  };
}

export type FortiFlexSimulator = Awaited<ReturnType<typeof startFortiFlexSimulator>>;
