/**
 * AutoRABIT ARM adapter (wire facts: README.md beside this file). Tokens are created, revoked and re-approved only in
 * the UI (operator tasks), carry an expiry, and die with their user. There is no public API
 * reference, so the authenticated read that proves a token is configured per target. Only an HTTP
 * refusal proves a token dead; success is read from the body's status string as public clients
 * read it, and that string is never quoted (ARM's has been seen to echo part of the token).
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
import { type AutoRabitTarget, DEFAULT_ACCEPTED_STATUSES } from './target.ts';

const MAX_FILE_BYTES = 16 * 1024;
const TOKEN = /^[A-Za-z0-9._~+/=-]{16,512}$/;

/**
 * What the `status` of a 2xx answer says: success when absent or one of the target's statuses;
 * `failed` or `error` is the status of the job an endpoint reports (AutoRABIT-AI/ARM-MCP-Server
 * lists `Failed` among deployment statuses; PyRABIT raises it as the job's failing status), never
 * a dead token; anything else is ambiguous.
 */
function statusOutcome(status: unknown, verify: AutoRabitTarget['verify']): VerifyResult {
  if (status === undefined) return { outcome: 'accepted' };
  const said = typeof status === 'string' ? status.toLowerCase() : undefined;
  const accepted = verify.acceptedStatuses ?? DEFAULT_ACCEPTED_STATUSES;
  if (said !== undefined && accepted.some((s) => s.toLowerCase() === said)) return { outcome: 'accepted' };
  if (said === 'failed' || said === 'error') {
    return {
      outcome: 'inconclusive',
      reason: 'the verify read answered a failure status: the status of a job, not of the token',
    };
  }
  return {
    outcome: 'inconclusive',
    reason: "the verify read answered a status outside this target's acceptedStatuses (not quoted)",
  };
}

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

  /** The target's authenticated read with the token. */
  private read(token: string) {
    const { target } = this.context;
    return httpsJson({
      baseUrl: target.baseUrl,
      method: target.verify.method,
      path: target.verify.path,
      // The token travels in its header only, never in a URL.
      headers: { token },
      tls: target.tls,
      timeoutMs: this.context.timeoutMs,
    });
  }

  /**
   * A token is created for one user license: the verify read, where it names the user
   * (`data.userName`, the simulator's model of a user-details read), must name the service user,
   * and the same read is the verification (one call, the bench's minimum). A read that names no
   * user cannot tell, and the verification still proves the token works.
   */
  async verifyOwnedBy(material: CredentialMaterial, serviceUser: string): Promise<VerifyResult> {
    const { token } = readMaterial(ExpiringTokenMaterial, material, this.name);
    const response = await this.read(token);
    const user = (response.json as { data?: { userName?: unknown } } | undefined)?.data?.userName;
    const success = response.status >= 200 && response.status <= 299;
    if (success && typeof user === 'string' && user.toLowerCase() !== serviceUser.toLowerCase()) {
      throw new ValidationError(
        `the token handed in belongs to ARM user ${excerpt(redact(user, [token]), 64)}, not to ${serviceUser}, the service user of this credential`,
      );
    }
    return this.outcomeOf(response);
  }

  async verify(material: CredentialMaterial): Promise<VerifyResult> {
    const { token } = readMaterial(ExpiringTokenMaterial, material, this.name);
    return this.outcomeOf(await this.read(token));
  }

  private outcomeOf(response: Awaited<ReturnType<AutoRabitVendor['read']>>): VerifyResult {
    const { target } = this.context;
    if (response.status === 429 || response.status >= 500) {
      throw new RetryableError(
        `AutoRABIT ARM failed transiently on the verify call (HTTP ${response.status})`,
      );
    }
    if (response.status === 404) {
      throw new FatalError(`AutoRABIT ARM has no ${target.verify.path}: the target's verify path is wrong`);
    }
    // ARM's texts are read to classify, never quoted: they may echo the token, in another case.
    const body = response.json as { status?: unknown; message?: unknown } | undefined;
    const message = typeof body?.message === 'string' ? body.message : '';
    if (response.status === 401 || (response.status === 403 && target.verify.forbiddenIsRefusal)) {
      if (/inactive|deactivated/i.test(message)) {
        return { outcome: 'broken', reason: 'the ARM user of this token is deactivated' };
      }
      if (/expired/i.test(message)) return { outcome: 'rejected', reason: 'the token has expired' };
      if (/revoked/i.test(message)) return { outcome: 'rejected', reason: 'the token is revoked' };
      return { outcome: 'rejected', reason: 'ARM does not accept the token' };
    }
    if (response.status === 403) {
      return {
        outcome: 'inconclusive',
        reason:
          'ARM answered HTTP 403, which this target does not count as a refusal (verify.forbiddenIsRefusal)',
      };
    }
    if (response.status < 200 || response.status > 299 || body === undefined) {
      throw new FatalError(
        `AutoRABIT ARM answered the verify call with HTTP ${response.status}${response.json === undefined ? ' (not JSON)' : ''}`,
      );
    }
    // An authenticated read returns data: an empty object is no proof the token works.
    if (typeof body !== 'object' || body === null || Object.keys(body).length === 0) {
      throw new FatalError('AutoRABIT ARM answered the verify call with an empty body');
    }
    return statusOutcome(body.status, target.verify);
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
