/**
 * AutoRABIT ARM adapter (wire facts: README.md beside this file). Tokens are created, revoked and re-approved only in
 * the UI (operator tasks), carry an expiry, and die with their user. There is no public API
 * reference, so the authenticated read that proves a token is configured per target; success is
 * judged from the status string in the body, as public clients do, not from the HTTP status alone.
 */
import { excerpt, FatalError, RetryableError, redact, ValidationError } from '../../errors.ts';
import { httpsJson } from '../../http.ts';
import { ExpiringTokenMaterial, readMaterial } from '../material.ts';
import type {
  CredentialMaterial,
  OperatorPurpose,
  OperatorRequest,
  OperatorVendor,
  SubmitHints,
  VendorContext,
  VerifyResult,
} from '../vendor.ts';
import type { AutoRabitTarget } from './target.ts';

const MAX_FILE_BYTES = 16 * 1024;
const TOKEN = /^[A-Za-z0-9._~+/=-]{16,512}$/;

export class AutoRabitVendor implements OperatorVendor {
  readonly name = 'autorabit' as const;
  readonly capabilities = {
    issuance: 'operator',
    accessProfiles: false,
    twinUsers: false,
    tokenBroker: false,
    maxKeysPerUser: 10,
  } as const;

  constructor(private readonly context: VendorContext<AutoRabitTarget>) {}

  async verify(material: CredentialMaterial): Promise<VerifyResult> {
    const { token } = readMaterial(ExpiringTokenMaterial, material, this.name);
    const { target } = this.context;
    const response = await httpsJson({
      baseUrl: target.baseUrl,
      method: target.verify.method,
      path: target.verify.path,
      // The token travels in its header only, never in a URL.
      headers: { token },
      tls: target.tls,
      timeoutMs: this.context.timeoutMs,
    });
    if (response.status === 429 || response.status >= 500) {
      throw new RetryableError(
        `AutoRABIT ARM failed transiently on the verify call (HTTP ${response.status})`,
      );
    }
    if (response.status === 404) {
      throw new FatalError(`AutoRABIT ARM has no ${target.verify.path}: the target's verify path is wrong`);
    }
    const body = response.json as { status?: unknown; message?: unknown } | undefined;
    const message = redact(typeof body?.message === 'string' ? body.message : '', [token]);
    const status = typeof body?.status === 'string' ? body.status.toLowerCase() : undefined;
    const refused =
      response.status === 401 || response.status === 403 || status === 'failed' || status === 'error';
    if (refused) {
      if (/inactive|deactivated/i.test(message)) {
        return { outcome: 'broken', reason: 'the ARM user of this token is deactivated' };
      }
      if (/expired/i.test(message)) return { outcome: 'rejected', reason: 'the token has expired' };
      if (/revoked/i.test(message)) return { outcome: 'rejected', reason: 'the token is revoked' };
      return { outcome: 'rejected', reason: 'ARM does not accept the token' };
    }
    if (response.status < 200 || response.status > 299 || body === undefined) {
      throw new FatalError(
        `AutoRABIT ARM answered the verify call with HTTP ${response.status} ${response.json === undefined ? '(not JSON)' : excerpt(message, 80)}`,
      );
    }
    // An authenticated read returns data: an empty object is no proof the token works.
    if (typeof body !== 'object' || body === null || Object.keys(body).length === 0) {
      throw new FatalError('AutoRABIT ARM answered the verify call with an empty body');
    }
    if (status !== undefined && status !== 'success' && status !== 'ok') {
      throw new FatalError(`AutoRABIT ARM answered the verify call with status "${excerpt(status, 20)}"`);
    }
    return { outcome: 'accepted' };
  }

  /** Revoking is a UI action; the revoke workflow then proves the token is rejected. */
  async revoke(material: CredentialMaterial) {
    const { expiresAt } = readMaterial(ExpiringTokenMaterial, material, this.name);
    return {
      removed: false,
      operatorAction: `revoke the API token (expires ${expiresAt}) in ARM Admin > API Tokens`,
    };
  }

  instructions(request: OperatorRequest, purpose: OperatorPurpose) {
    const user = request.serviceUser ?? '(the user named in the request)';
    const rotating = purpose === 'rotate';
    return {
      summary: rotating
        ? `Create a new AutoRABIT ARM API token "${request.apiUser}" for ${user} beside the current one (ticket ${request.ticket}) and hand it in with its expiry`
        : `Create an AutoRABIT ARM API token "${request.apiUser}" for ${user} (ticket ${request.ticket}) and hand it in with its expiry`,
      steps: [
        'Sign in to ARM as an Org Administrator.',
        `Check that ${user} holds fewer than ${rotating ? '9' : '10'} API tokens (the limit per user license is 10).`,
        'Hover the Admin tile > API Tokens > Create API Token.',
        `Token Name "${request.apiUser}", Create; copy the token now (it is shown once) and note its expiry.`,
        'Submit it with --stdin (or a file) and --expires-at <the expiry shown>.',
        ...(rotating
          ? [
              'Leave the current token in place: the workflow asks you to revoke it once consumers use the new one.',
            ]
          : []),
      ],
      expects: 'the token text, with --expires-at <ISO date>',
    };
  }

  parseCredentialFile(text: string, hints: SubmitHints) {
    if (Buffer.byteLength(text) > MAX_FILE_BYTES) {
      throw new ValidationError(`an ARM token submission is at most ${MAX_FILE_BYTES} bytes`);
    }
    let token: unknown = text.trim();
    let expiresAt: unknown = hints.expiresAt;
    if (text.trim().startsWith('{')) {
      try {
        const json = JSON.parse(text) as Record<string, unknown>;
        token = json.token;
        expiresAt = json.expiresAt ?? hints.expiresAt;
      } catch {
        throw new ValidationError('not an ARM token: the JSON does not parse');
      }
    }
    if (typeof token !== 'string' || !TOKEN.test(token)) {
      throw new ValidationError(
        'not an ARM token: expected one line of 16-512 token characters, or JSON {token, expiresAt}',
      );
    }
    if (typeof expiresAt !== 'string' || Number.isNaN(Date.parse(expiresAt))) {
      throw new ValidationError(
        'an ARM token needs its expiry: give --expires-at <ISO date> as the UI shows it',
      );
    }
    if (Date.parse(expiresAt) <= Date.now()) {
      throw new ValidationError('the ARM token has already expired: create a new one');
    }
    return ExpiringTokenMaterial.parse({ token, expiresAt: new Date(expiresAt).toISOString() });
  }
}

export function createAutoRabitVendor(context: VendorContext<AutoRabitTarget>): AutoRabitVendor {
  return new AutoRabitVendor(context);
}
