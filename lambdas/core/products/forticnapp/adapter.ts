/**
 * FortiCNAPP (Lacework) API v2 adapter (wire facts: README.md beside this file). API keys are created only in the
 * console (an operator task, at most 20 per user); this system verifies a key and brokers bearer
 * tokens with `POST /api/v2/access/tokens` (`X-LW-UAKS: <secret>`). The HTTP status is trusted over
 * the body, whose `ok` may say true on an error; the error text is read as lacework/go-sdk reads it.
 */
import { excerpt, FatalError, RetryableError, redact, ValidationError } from '../../errors.ts';
import { type HttpResponse, httpsJson } from '../../http.ts';
import { KeyPairMaterial, readMaterial } from '../material.ts';
import type {
  CredentialMaterial,
  OperatorPurpose,
  OperatorRequest,
  OperatorVendor,
  VendorContext,
  VerifyResult,
} from '../vendor.ts';
import type { FortiCnappTarget } from './target.ts';

const MAX_FILE_BYTES = 16 * 1024;

/**
 * The texts of the token exchange's 403 refusal, lower-cased: `User not authorized.` as text
 * (lacework/go-sdk cli/cmd/package_manifest_test.go) and `{"message":"Unauthorized Access"}`
 * (lacework/terraform-provider-lacework#153).
 */
const REFUSALS: ReadonlySet<string> = new Set(['user not authorized.', 'unauthorized access']);

/** A member of a JSON object, matched as Go's encoding/json matches a field: by its exact name, else ignoring case. */
function member(value: unknown, name: string): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  if (Object.hasOwn(record, name)) return record[name];
  const key = Object.keys(record).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : record[key];
}

function nonEmptyText(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * The text of an error answer in lacework/go-sdk's order (api/errors.go, apiErrorResponse.Message):
 * `data.ErrorMsg`, `data.message`, `message` unless it is "SUCCESS", `data.statusMessage`; else the body.
 */
function errorTextOf(response: HttpResponse): string {
  const data = member(response.json, 'data');
  const message = nonEmptyText(member(response.json, 'message'));
  return (
    nonEmptyText(member(data, 'ErrorMsg')) ??
    nonEmptyText(member(data, 'message')) ??
    (message === 'SUCCESS' ? undefined : message) ??
    nonEmptyText(member(data, 'statusMessage')) ??
    response.text
  );
}

export class FortiCnappVendor implements OperatorVendor {
  readonly name = 'forticnapp' as const;
  readonly capabilities = {
    issuance: 'operator',
    accessProfiles: false,
    twinUsers: false,
    tokenBroker: true,
    maxKeysPerUser: 20,
  } as const;

  constructor(private readonly context: VendorContext<FortiCnappTarget>) {}

  async verify(material: CredentialMaterial): Promise<VerifyResult> {
    const { keyId, secret } = readMaterial(KeyPairMaterial, material, this.name);
    const { target } = this.context;
    const response = await httpsJson({
      baseUrl: target.baseUrl,
      method: 'POST',
      path: '/api/v2/access/tokens',
      headers: { 'X-LW-UAKS': secret },
      body: { keyId, expiryTime: target.tokenExpirySeconds },
      tls: target.tls,
      timeoutMs: this.context.timeoutMs,
    });
    const detail = excerpt(redact(errorTextOf(response), [secret, keyId]), 120);
    if (response.status === 401)
      return { outcome: 'rejected', reason: 'FortiCNAPP does not know this key (deleted or disabled)' };
    if (response.status === 403) {
      return REFUSALS.has(detail.toLowerCase())
        ? {
            outcome: 'rejected',
            reason: `FortiCNAPP refuses this key (HTTP 403: ${detail}): it is disabled, or its user no longer has the admin role`,
          }
        : {
            outcome: 'inconclusive',
            reason: `FortiCNAPP answered the token exchange with an HTTP 403 that is none of its refusals${detail ? `: ${detail}` : ''}`,
          };
    }
    if (response.status === 429 || response.status >= 500) {
      throw new RetryableError(
        `FortiCNAPP failed transiently on the token exchange (HTTP ${response.status})`,
      );
    }
    if (response.status < 200 || response.status > 299) {
      throw new FatalError(
        `FortiCNAPP refused the token exchange (HTTP ${response.status}${detail ? `: ${detail}` : ''})`,
      );
    }
    const body = response.json as { token?: unknown; expiresAt?: unknown } | undefined;
    // expiresAt comes with or without milliseconds; Date.parse reads both.
    const expiresAt = typeof body?.expiresAt === 'string' ? Date.parse(body.expiresAt) : Number.NaN;
    if (typeof body?.token !== 'string' || body.token.length < 8 || Number.isNaN(expiresAt)) {
      throw new FatalError('FortiCNAPP answered the token exchange without a token and a readable expiresAt');
    }
    return {
      outcome: 'accepted',
      accessToken: { token: body.token, expiresAt: new Date(expiresAt).toISOString() },
    };
  }

  /** Keys can be deleted only in the console: the operator is asked to. */
  async revoke(material: CredentialMaterial) {
    const { keyId } = readMaterial(KeyPairMaterial, material, this.name);
    return {
      removed: false,
      operatorAction: `delete API key ${keyId} in Settings > Configuration > API keys`,
    };
  }

  instructions(request: OperatorRequest, purpose: OperatorPurpose) {
    const user = request.serviceUser ?? '(the service user named in the request)';
    const rotating = purpose === 'rotate';
    return {
      summary: rotating
        ? `Create a new FortiCNAPP API key "${request.apiUser}" for service user ${user} beside the current one (ticket ${request.ticket}) and hand in its key file`
        : `Create a FortiCNAPP API key "${request.apiUser}" for service user ${user} (ticket ${request.ticket}) and hand in its key file`,
      steps: [
        'Sign in to the FortiCNAPP console as an account admin (or with write permission on API keys).',
        `Check that service user ${user} holds fewer than ${rotating ? '19' : '20'} API keys (the product's limit is 20).`,
        'Settings > Configuration > API keys > Service user API keys > + Add New.',
        `Name the key "${request.apiUser}", toggle "Assign this to a service user", select ${user}, Save.`,
        'Download the generated API key file and submit it as it is.',
        ...(rotating
          ? [
              'Leave the current key enabled: the workflow asks you to delete it once consumers use the new one.',
            ]
          : []),
      ],
      expects: 'the downloaded API key file (JSON with keyId and secret)',
    };
  }

  parseCredentialFile(text: string) {
    if (Buffer.byteLength(text) > MAX_FILE_BYTES) {
      throw new ValidationError(`a FortiCNAPP API key file is at most ${MAX_FILE_BYTES} bytes`);
    }
    let json: Record<string, unknown> | undefined;
    try {
      const parsed = JSON.parse(text) as unknown;
      json =
        parsed && typeof parsed === 'object' && !Array.isArray(parsed)
          ? (parsed as Record<string, unknown>)
          : undefined;
    } catch {
      json = undefined;
    }
    const keyId = json?.keyId;
    const secret = json?.secret;
    if (
      typeof keyId !== 'string' ||
      !/^[A-Za-z0-9_]{8,128}$/.test(keyId) ||
      typeof secret !== 'string' ||
      !/^_?[A-Za-z0-9]{16,128}$/.test(secret)
    ) {
      throw new ValidationError(
        'not a FortiCNAPP API key file: expected JSON with "keyId" and "secret" as the console downloads it',
      );
    }
    const host = new URL(this.context.target.baseUrl).hostname;
    if (typeof json?.account === 'string' && json.account !== host) {
      const account = /^[A-Za-z0-9.-]{1,128}$/.test(json.account) ? json.account : 'another account';
      throw new ValidationError(`this API key belongs to ${account}, but the target is ${host}`);
    }
    return KeyPairMaterial.parse({ keyId, secret });
  }
}

export function createFortiCnappVendor(context: VendorContext<FortiCnappTarget>): FortiCnappVendor {
  return new FortiCnappVendor(context);
}
