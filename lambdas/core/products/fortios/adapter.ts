/**
 * FortiOS 7.x REST adapter (wire facts: README.md beside this file). Always the admin token in the
 * Authorization header (never in a URL; 7.4.5+ answers a URL token with 401); errors read from
 * the body as well as the HTTP status line, mapped in one place.
 */
import { excerpt, FatalError, NotFoundError, RetryableError, redact } from '../../errors.ts';
import { type HttpResponse, httpsJson } from '../../http.ts';
import {
  adoptExistingUser,
  cidrToAddressMask,
  creatingRequestOf,
  managedUserMarker,
  managedUsersIn,
  SHARED_MARKER,
} from '../managed-user.ts';
import { ApiKeyMaterial, readMaterial } from '../material.ts';
import type {
  AccessProfileSpec,
  ApiUserSpec,
  ApiVendor,
  CredentialMaterial,
  VendorContext,
  VerifyResult,
} from '../vendor.ts';
import type { FortiOsTarget } from './target.ts';

interface FortiOsError {
  status?: string;
  http_status?: number;
  error?: number;
  cli_error?: string | string[];
}

function cliErrorText(body: FortiOsError | undefined): string {
  const cli = body?.cli_error;
  return Array.isArray(cli) ? cli.join('; ') : (cli ?? '');
}

/** `{"fwgrp.address": "read"}` -> `{fwgrp: "custom", "fwgrp-permission": {address: "read"}}`. */
function accprofileBody(spec: AccessProfileSpec): Record<string, unknown> {
  const body: Record<string, unknown> = { name: spec.name, comments: SHARED_MARKER };
  for (const [key, permission] of Object.entries(spec.permissions)) {
    const [group = key, sub] = key.split('.');
    if (!sub) {
      body[group] = permission;
      continue;
    }
    body[group] = 'custom';
    const custom = (body[`${group}-permission`] ?? {}) as Record<string, string>;
    custom[sub] = permission;
    body[`${group}-permission`] = custom;
  }
  return body;
}

export class FortiOsVendor implements ApiVendor {
  readonly name = 'fortios' as const;
  readonly capabilities = {
    issuance: 'api',
    accessProfiles: true,
    twinUsers: true,
    tokenBroker: false,
  } as const;

  constructor(private readonly context: VendorContext<FortiOsTarget>) {}

  private get token(): string {
    return this.context.target.adminCredential.token;
  }

  private async call(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    options: { body?: unknown; bearer?: string; secrets?: string[] } = {},
  ): Promise<HttpResponse> {
    const { target } = this.context;
    const response = await httpsJson({
      baseUrl: target.baseUrl,
      method,
      path,
      query: target.vdom ? { vdom: target.vdom } : undefined,
      headers: { authorization: `Bearer ${options.bearer ?? this.token}` },
      body: options.body,
      tls: target.tls,
      timeoutMs: this.context.timeoutMs,
    });
    return response;
  }

  /** The one place FortiOS answers become typed errors. 404 is returned to the caller to decide. */
  private check(response: HttpResponse, what: string, secrets: (string | undefined)[] = []): HttpResponse {
    const body = response.json as FortiOsError | undefined;
    const status = body?.http_status ?? response.status;
    const failed = response.status >= 400 || body?.status === 'error';
    if (status === 404) return response;
    if (!failed) {
      // FortiOS answers every successful call with its JSON envelope; anything else (a login page,
      // a proxy's HTML, a body cut short) is not an answer to act on.
      if (body?.status !== 'success') {
        throw new FatalError(
          `FortiOS answered ${what} with HTTP ${response.status} but ${response.json === undefined ? 'a body that is not JSON' : 'without "status": "success"'}`,
        );
      }
      return response;
    }
    const detail = excerpt(redact(cliErrorText(body), [this.token, ...secrets]));
    const code =
      typeof body?.error === 'number' ? ` (error ${body.error}${detail ? `: ${detail}` : ''})` : '';
    if (status === 401) {
      throw new FatalError(
        `FortiOS refused ${what}: wrong admin token, or this caller is outside its trusted hosts`,
      );
    }
    if (status === 403) {
      throw new FatalError(
        `FortiOS refused ${what}: missing permission (the target's admin must be super_admin)${code}`,
      );
    }
    if (status === 429) throw new RetryableError(`FortiOS is rate limiting or locked out ${what}`);
    if (body?.error === -3 || /-3\b/.test(cliErrorText(body))) {
      throw new FatalError(`FortiOS refused ${what}: unknown profile or invalid reference${code}`);
    }
    if (status >= 500 && typeof body?.error !== 'number') {
      throw new RetryableError(`FortiOS failed transiently on ${what} (HTTP ${status})`);
    }
    throw new FatalError(`FortiOS refused ${what} (HTTP ${status})${code}`);
  }

  private static isExists(response: HttpResponse): boolean {
    return (response.json as FortiOsError | undefined)?.error === -5;
  }

  private static results(response: HttpResponse): Record<string, unknown> | undefined {
    const results = (response.json as { results?: unknown } | undefined)?.results;
    const first = Array.isArray(results) ? results[0] : results;
    return first && typeof first === 'object' ? (first as Record<string, unknown>) : undefined;
  }

  // Create-if-absent writes first and reads only on "already exists" (-5): the usual case costs one call.
  async ensureAccessProfile(spec: AccessProfileSpec) {
    const created = await this.call('POST', '/api/v2/cmdb/system/accprofile', { body: accprofileBody(spec) });
    if (FortiOsVendor.isExists(created)) return { createdByThisRequest: false };
    this.check(created, `creating profile ${spec.name}`);
    return { createdByThisRequest: true };
  }

  async findManagedUser(name: string) {
    const user = await this.readUser(name);
    const requestId = user ? creatingRequestOf(user.comments) : undefined;
    return requestId ? { name, requestId } : undefined;
  }

  async listManagedUsers() {
    const response = this.check(await this.call('GET', '/api/v2/cmdb/system/api-user'), 'listing API users');
    return managedUsersIn((response.json as { results?: unknown } | undefined)?.results, 'name', 'comments');
  }

  private async readUser(name: string): Promise<Record<string, unknown> | undefined> {
    const response = this.check(
      await this.call('GET', `/api/v2/cmdb/system/api-user/${encodeURIComponent(name)}`),
      `reading API user ${name}`,
    );
    return response.status === 404 ? undefined : FortiOsVendor.results(response);
  }

  async ensureUser(spec: ApiUserSpec) {
    if (spec.trustedHosts.length === 0 || spec.trustedHosts.some((h) => h.endsWith('/0'))) {
      throw new FatalError('an API user needs a trusted host narrower than 0.0.0.0/0');
    }
    const comments = managedUserMarker(spec.requestId, spec.comment);
    const created = await this.call('POST', '/api/v2/cmdb/system/api-user', {
      body: {
        name: spec.name,
        accprofile: spec.profile,
        vdom: [{ name: spec.vdom }],
        trusthost: spec.trustedHosts.map((host, index) => ({
          id: index + 1,
          type: 'ipv4-trusthost',
          'ipv4-trusthost': cidrToAddressMask(host),
        })),
        comments,
      },
    });
    if (FortiOsVendor.isExists(created)) {
      // Ours (an earlier attempt, its answer lost), another request's, or someone else's: decide from what is there.
      const user = await this.readUser(spec.name);
      if (!user) throw new RetryableError(`API user ${spec.name} reported as existing but not readable yet`);
      return adoptExistingUser(spec.name, spec.requestId, user.comments);
    }
    this.check(created, `creating API user ${spec.name}`);
    return { createdByThisRequest: true };
  }

  async issueKey(apiUser: string) {
    const response = this.check(
      await this.call('POST', '/api/v2/monitor/system/api-user/generate-key', {
        body: { 'api-user': apiUser },
      }),
      `generating a key for ${apiUser}`,
    );
    if (response.status === 404) throw new NotFoundError(`API user ${apiUser} does not exist on the product`);
    const results = (response.json as { results?: Record<string, unknown> } | undefined)?.results;
    const key = results?.access_token ?? results?.api_key;
    if (typeof key !== 'string' || key.length < 8) {
      throw new FatalError('FortiOS answered generate-key without results.access_token or results.api_key');
    }
    return { key };
  }

  async verify(material: CredentialMaterial): Promise<VerifyResult> {
    const { key } = readMaterial(ApiKeyMaterial, material, this.name);
    const response = await this.call('GET', '/api/v2/monitor/system/status', { bearer: key });
    if (response.status === 401 || response.status === 403) return { outcome: 'rejected' };
    this.check(response, 'verifying a key', [key]);
    return { outcome: 'accepted' };
  }

  async revoke(apiUser: string) {
    const response = this.check(
      await this.call('DELETE', `/api/v2/cmdb/system/api-user/${encodeURIComponent(apiUser)}`),
      `deleting API user ${apiUser}`,
    );
    return { removed: response.status !== 404 };
  }
}

export function createFortiOsVendor(context: VendorContext<FortiOsTarget>): FortiOsVendor {
  return new FortiOsVendor(context);
}
