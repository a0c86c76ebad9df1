/**
 * FortiFlex (FortiCloud IAM) adapter (wire facts: README.md beside this file). The IAM API
 * user and its password exist only in the portal (an operator task); this system is the token
 * broker: it exchanges username + password for a bearer token (OAuth password grant, JSON body)
 * and keeps it for consumers. One token is active per API user, so nothing else may mint one.
 */
import { excerpt, FatalError, RetryableError, redact, ValidationError } from '../../errors.ts';
import { type HttpResponse, httpsJson } from '../../http.ts';
import { PasswordMaterial, readMaterial } from '../material.ts';
import type {
  AccessToken,
  CredentialMaterial,
  OperatorPurpose,
  OperatorRequest,
  OperatorVendor,
  VendorContext,
  VerifyResult,
} from '../vendor.ts';
import type { FortiFlexTarget } from './target.ts';

const MAX_FILE_BYTES = 16 * 1024;
const USERNAME_KEYS = new Set([
  'username',
  'user name',
  'api id',
  'apiid',
  'api_id',
  'api user id',
  'api user',
]);

interface OAuthAnswer {
  access_token?: unknown;
  expires_in?: unknown;
  error?: unknown;
  error_description?: unknown;
  status?: unknown;
  message?: unknown;
}

/** The extracted credential file: JSON, or `key: value` / `key=value` lines (layout not documented publicly). */
function credentialFields(text: string): { username?: string; password?: string } {
  try {
    const json = JSON.parse(text) as Record<string, unknown>;
    if (json && typeof json === 'object' && !Array.isArray(json)) {
      const username = json.username ?? json.apiId ?? json.api_id;
      return {
        username: typeof username === 'string' ? username : undefined,
        password: typeof json.password === 'string' ? json.password : undefined,
      };
    }
  } catch {
    // Not JSON: read it as lines.
  }
  const fields: { username?: string; password?: string } = {};
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*([A-Za-z _]{2,20}?)\s*[:=]\s*(\S+)\s*$/.exec(line);
    if (!match?.[1] || !match[2]) continue;
    const key = match[1].trim().toLowerCase();
    if (USERNAME_KEYS.has(key)) fields.username = match[2];
    else if (key === 'password') fields.password = match[2];
  }
  return fields;
}

export class FortiFlexVendor implements OperatorVendor {
  readonly name = 'fortiflex' as const;
  readonly capabilities = {
    issuance: 'operator',
    accessProfiles: false,
    twinUsers: false,
    tokenBroker: true,
  } as const;

  constructor(private readonly context: VendorContext<FortiFlexTarget>) {}

  private post(path: string, body: unknown): Promise<HttpResponse> {
    const { target } = this.context;
    return httpsJson({
      baseUrl: target.baseUrl,
      method: 'POST',
      path,
      body,
      tls: target.tls,
      timeoutMs: this.context.timeoutMs,
    });
  }

  /** The one place FortiCloud OAuth answers become typed errors (secrets redacted from any vendor text). */
  private refuse(response: HttpResponse, what: string, secrets: string[]): never {
    const body = response.json as OAuthAnswer | undefined;
    const text = body?.error_description ?? body?.message ?? body?.error ?? '';
    const detail = excerpt(redact(String(text), secrets), 120);
    if (response.status === 429 || response.status >= 500) {
      throw new RetryableError(`FortiCloud failed transiently on ${what} (HTTP ${response.status})`);
    }
    if (body?.error === 'invalid_client') {
      throw new FatalError(
        `FortiCloud refused ${what}: it does not know client id "${this.context.target.clientId}" (each product has its own; FortiFlex's is flexvm)`,
      );
    }
    throw new FatalError(
      `FortiCloud refused ${what} (HTTP ${response.status}${detail ? `: ${detail}` : ''})`,
    );
  }

  async verify(material: CredentialMaterial): Promise<VerifyResult> {
    const { username, password } = readMaterial(PasswordMaterial, material, this.name);
    const response = await this.post('/api/v1/oauth/token/', {
      username,
      password,
      client_id: this.context.target.clientId,
      grant_type: 'password',
    });
    const body = response.json as OAuthAnswer | undefined;
    // An unknown client may be refused with 401 too (RFC 6749 section 5.2): that is no refused password.
    if (body?.error !== 'invalid_client') {
      if (response.status === 400 && body?.error === 'invalid_grant') {
        return {
          outcome: 'rejected',
          reason: 'FortiCloud does not know this API user and password (HTTP 400 invalid_grant)',
        };
      }
      if (response.status === 401)
        return { outcome: 'rejected', reason: 'FortiCloud refused the password (HTTP 401)' };
    }
    if (response.status < 200 || response.status > 299)
      this.refuse(response, 'the token request', [password]);
    const token = body?.access_token;
    const lifetime = body?.expires_in;
    if (typeof token !== 'string' || token.length < 8 || typeof lifetime !== 'number' || lifetime <= 0) {
      throw new FatalError('FortiCloud answered the token request without access_token and expires_in');
    }
    // The lifetime is read from each answer: documented as 14400 s, observed as 3600 s.
    return {
      outcome: 'accepted',
      accessToken: { token, expiresAt: new Date(Date.now() + lifetime * 1000).toISOString() },
    };
  }

  async revoke(material: CredentialMaterial, accessToken?: AccessToken) {
    const { username } = readMaterial(PasswordMaterial, material, this.name);
    if (accessToken) {
      // Answers 200 even when the token was already gone, so a repeat is harmless.
      const response = await this.post('/api/v1/oauth/revoke_token/', {
        client_id: this.context.target.clientId,
        token: accessToken.token,
      });
      if (response.status < 200 || response.status > 299)
        this.refuse(response, 'the token revocation', [accessToken.token]);
    }
    return {
      removed: accessToken !== undefined,
      operatorAction: `delete IAM API user ${username} in the FortiCloud IAM portal (support.fortinet.com/iam)`,
    };
  }

  instructions(request: OperatorRequest, purpose: OperatorPurpose) {
    if (purpose === 'rotate') {
      return {
        summary: `Rotate the FortiCloud IAM API user credential of ${request.apiUser} (ticket ${request.ticket}): download new credentials and hand them in`,
        steps: [
          'Open the FortiCloud IAM portal (support.fortinet.com/iam) as an IAM administrator.',
          `Open the API user provisioned for ${request.apiUser} and click "Download Credentials"; set a password for the download.`,
          'The download resets the password at once; consumers keep the access token the provisioner holds, and the next one is minted from the new password.',
          'Extract the downloaded archive with that password and submit the extracted file now.',
        ],
        expects: 'the extracted FortiCloud credential file',
      };
    }
    const profile =
      request.permissionProfile ??
      'a permission profile with FlexVM access (Read, or ReadWrite only if the consumer changes data)';
    return {
      summary: `Create a FortiCloud IAM API user for ${request.apiUser} (ticket ${request.ticket}) and hand in its credential file`,
      steps: [
        'Open the FortiCloud IAM portal (support.fortinet.com/iam) as an IAM administrator.',
        `Users > Add New > API User; select ${profile}; Next > Confirm (the portal assigns the API user id).`,
        'Open the new user and click "Download Credentials"; set a password for the download.',
        'Extract the downloaded archive with that password and submit the extracted file.',
        'Downloading again resets the password: submit only the newest file.',
      ],
      expects: 'the extracted FortiCloud credential file',
    };
  }

  parseCredentialFile(text: string) {
    if (Buffer.byteLength(text) > MAX_FILE_BYTES) {
      throw new ValidationError(`a FortiFlex credential file is at most ${MAX_FILE_BYTES} bytes`);
    }
    const fields = credentialFields(text);
    const parsed = PasswordMaterial.safeParse(fields);
    const username = fields.username && /^[A-Za-z0-9._@-]{1,128}$/.test(fields.username);
    const password = fields.password && /^[\x21-\x7e]{8,256}$/.test(fields.password);
    if (!parsed.success || !username || !password) {
      throw new ValidationError(
        'not a FortiFlex credential file: expected the API user id ("API ID" or "username") and "password", as JSON or key: value lines',
      );
    }
    return parsed.data;
  }
}

export function createFortiFlexVendor(context: VendorContext<FortiFlexTarget>): FortiFlexVendor {
  return new FortiFlexVendor(context);
}
