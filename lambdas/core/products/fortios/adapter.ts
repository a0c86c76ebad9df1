/**
 * FortiOS 7.x REST adapter (wire facts: README.md beside this file). Always the admin token in the
 * Authorization header (never in a URL; 7.4.5+ answers a URL token with 401); answers read by
 * answers.ts, per-VDOM envelopes included. A key is verified on every member of an HA cluster.
 */
import { FatalError, NotFoundError, RetryableError, UnmanagedUserError } from '../../errors.ts';
import { type HttpResponse, httpsJson, type TlsPin } from '../../http.ts';
import {
  adoptExistingProfile,
  adoptExistingUser,
  type CredentialRef,
  cidrToAddressMask,
  type Grants,
  managedUserMarker,
  managedUsersIn,
  markerOf,
  SHARED_MARKER,
  servesCredential,
  twinsOf,
} from '../managed-user.ts';
import { ApiKeyMaterial, readMaterial } from '../material.ts';
import type {
  AccessProfileSpec,
  AdminTwins,
  ApiUserSpec,
  ApiVendor,
  CredentialMaterial,
  VendorContext,
  VerifyResult,
} from '../vendor.ts';
import { type FortiOsAnswer, type FortiOsEnvelope, failureOf, readAnswer } from './answers.ts';
import type { FortiOsTarget } from './target.ts';

/** One FortiGate the adapter calls: the target's address, or an HA member's own management address. */
interface Device {
  readonly baseUrl: string;
  readonly tls: TlsPin;
}

/** One FortiOS REST call as the adapter asks it; a transport carries it to the FortiGate. */
export interface FortiOsCall {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly path: string;
  readonly vdom: string | undefined;
  readonly body?: unknown;
  /** The key presented instead of the admin token (a key check). */
  readonly bearer?: string;
  /** The HA member asked instead of the target's FortiGate. */
  readonly device?: Device;
}

/**
 * How calls reach the FortiGate: straight over HTTPS (this product), or carried by a manager in
 * between (../fortigate-fleet: FortiManager's `/sys/proxy/json`). The answer is the FortiGate's own.
 */
export type FortiOsTransport = (call: FortiOsCall) => Promise<HttpResponse>;

/** The FortiGate's REST API over HTTPS, the admin token (or the key checked) as Bearer. */
function directTransport(context: VendorContext<FortiOsTarget>): FortiOsTransport {
  return ({ method, path, vdom, body, bearer, device }) => {
    const { target } = context;
    const { baseUrl, tls } = device ?? target;
    return httpsJson({
      baseUrl,
      method,
      path,
      query: vdom ? { vdom } : undefined,
      headers: { authorization: `Bearer ${bearer ?? target.adminCredential.token}` },
      body,
      tls,
      timeoutMs: context.timeoutMs,
    });
  };
}

/** What one device said of a key, or why it said nothing. */
type DeviceCheck = { readonly host: string } & (
  | { readonly result: VerifyResult }
  | { readonly error: Error }
);

type Settled<K extends 'exists' | 'absent'> = Extract<FortiOsAnswer, { kind: 'success' | K }>;

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

/**
 * What a profile grants, flattened as requests name it: a group's own access, or for a `custom`
 * group each sub-permission of its `<group>-permission`; `none` and other settings left out.
 */
function grantsOf(profile: Record<string, unknown>): Grants {
  const grants: Record<string, 'read' | 'read-write'> = {};
  const granting = (value: unknown): value is 'read' | 'read-write' =>
    value === 'read' || value === 'read-write';
  for (const [group, value] of Object.entries(profile)) {
    if (granting(value)) grants[group] = value;
    if (value !== 'custom') continue;
    const subs = profile[`${group}-permission`];
    for (const [sub, permission] of Object.entries(typeof subs === 'object' && subs ? subs : {})) {
      if (granting(permission)) grants[`${group}.${sub}`] = permission;
    }
  }
  return grants;
}

export class FortiOsVendor implements ApiVendor {
  readonly name: string = 'fortios';
  readonly capabilities: ApiVendor['capabilities'] = {
    issuance: 'api',
    accessProfiles: true,
    twinUsers: true,
    tokenBroker: false,
    // admin-lockout-threshold 3 within 60 s by default (README.md, "API-key lockout").
    keyLockout: { threshold: 3, windowMs: 60_000 },
  };

  constructor(
    private readonly context: VendorContext<FortiOsTarget>,
    private readonly transport: FortiOsTransport = directTransport(context),
  ) {}

  readonly adminTwins: AdminTwins | undefined = {
    ensureAdminTwin: (current, twin, marker) => this.ensureAdminTwin(current, twin, marker),
    verifyAdmin: () => this.onEveryMember((device) => this.adminReadOn(device)),
    retireAdmin: (name, marker) => this.retireAdmin(name, marker),
  };

  private get token(): string {
    return this.context.target.adminCredential.token;
  }

  private call(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    options: { body?: unknown; bearer?: string; device?: Device; vdom?: string } = {},
  ): Promise<HttpResponse> {
    const vdom = 'vdom' in options ? options.vdom : this.context.target.vdom;
    return this.transport({ method, path, ...options, vdom });
  }

  /** The answer when it succeeded (or is one of the `allowed` outcomes); its typed error otherwise. */
  private settle<K extends 'exists' | 'absent' = never>(
    response: HttpResponse,
    what: string,
    allowed: readonly K[] = [],
    secrets: readonly string[] = [],
  ): Settled<K> {
    const answer = readAnswer(response);
    if (answer.kind === 'success' || (allowed as readonly string[]).includes(answer.kind)) {
      return answer as Settled<K>;
    }
    throw failureOf(answer as Exclude<FortiOsAnswer, { kind: 'success' }>, what, [this.token, ...secrets]);
  }

  /** Every object the answer's envelopes carry in `results` (a list over several VDOMs repeats global ones). */
  private static results(answer: {
    readonly envelopes: readonly FortiOsEnvelope[];
  }): Record<string, unknown>[] {
    return answer.envelopes.flatMap((envelope) => {
      const results = Array.isArray(envelope.results) ? envelope.results : [envelope.results];
      return results.filter((r): r is Record<string, unknown> => typeof r === 'object' && r !== null);
    });
  }

  // Create-if-absent writes first and reads only on "already exists" (-5): the usual case costs one
  // call. Over several VDOMs, a -5 beside a success still means this call created the object.
  async ensureAccessProfile(spec: AccessProfileSpec) {
    const body = accprofileBody(spec);
    const answer = this.settle(
      await this.call('POST', '/api/v2/cmdb/system/accprofile', { body }),
      `creating profile ${spec.name}`,
      ['exists'],
    );
    if (answer.kind === 'success') return { createdByThisRequest: true };
    const existing = FortiOsVendor.results(
      this.settle(
        await this.call('GET', `/api/v2/cmdb/system/accprofile/${encodeURIComponent(spec.name)}`),
        `reading profile ${spec.name}`,
      ),
    )[0];
    return adoptExistingProfile(spec.name, existing?.comments, grantsOf(body), grantsOf(existing ?? {}));
  }

  async findManagedUser(name: string) {
    const user = await this.readUser(name);
    const marker = user ? markerOf(user.comments) : undefined;
    return marker ? { name, ...marker } : undefined;
  }

  async listManagedUsers() {
    return this.managedUsersOn();
  }

  /** Each HA member's own users, read with the admin token at its own address. */
  async listManagedUsersOnMembers() {
    return Promise.all(
      this.devices()
        .slice(1)
        .map(async (device) => ({
          host: new URL(device.baseUrl).host,
          users: await this.managedUsersOn(device),
        })),
    );
  }

  private async managedUsersOn(device?: Device) {
    const answer = this.settle(
      await this.call('GET', '/api/v2/cmdb/system/api-user', { device }),
      `listing API users${device ? ` on ${new URL(device.baseUrl).host}` : ''}`,
    );
    const users = managedUsersIn(FortiOsVendor.results(answer), 'name', 'comments');
    return users.filter((user, index) => users.findIndex((u) => u.name === user.name) === index);
  }

  protected async readUser(name: string, device?: Device): Promise<Record<string, unknown> | undefined> {
    const answer = this.settle(
      await this.call('GET', `/api/v2/cmdb/system/api-user/${encodeURIComponent(name)}`, { device }),
      `reading API user ${name}`,
      ['absent'],
    );
    return answer.kind === 'absent' ? undefined : FortiOsVendor.results(answer)[0];
  }

  async ensureUser(spec: ApiUserSpec) {
    if (spec.trustedHosts.length === 0 || spec.trustedHosts.some((h) => h.endsWith('/0'))) {
      throw new FatalError('an API user needs a trusted host narrower than 0.0.0.0/0');
    }
    const comments = managedUserMarker(spec, spec.comment);
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
    if (this.settle(created, `creating API user ${spec.name}`, ['exists']).kind === 'success') {
      return { createdByThisRequest: true };
    }
    // Ours (an earlier attempt, its answer lost), another request's, or someone else's: decide from what is there.
    const user = await this.readUser(spec.name);
    if (!user) throw new RetryableError(`API user ${spec.name} reported as existing but not readable yet`);
    return adoptExistingUser(spec.name, spec, user.comments);
  }

  async issueKey(apiUser: string) {
    const answer = this.settle(
      await this.call('POST', '/api/v2/monitor/system/api-user/generate-key', {
        body: { 'api-user': apiUser },
      }),
      `generating a key for ${apiUser}`,
      ['absent'],
    );
    if (answer.kind === 'absent')
      throw new NotFoundError(`API user ${apiUser} does not exist on the product`);
    const keys = new Set(
      FortiOsVendor.results(answer).flatMap((r) => {
        const key = r.access_token ?? r.api_key;
        return typeof key === 'string' && key.length >= 8 ? [key] : [];
      }),
    );
    const [key, ...others] = keys;
    if (!key) {
      throw new FatalError('FortiOS answered generate-key without results.access_token or results.api_key');
    }
    // Over several VDOMs each envelope may have generated its own key, and only the last one lives.
    if (others.length > 0) throw new FatalError('FortiOS answered generate-key with more than one key');
    return { key };
  }

  /** The target's FortiGate, then each HA member's own address (its pinning, or the target's). */
  protected devices(): Device[] {
    const { target } = this.context;
    return [
      target,
      ...(target.haMembers ?? []).map((m) => ({ baseUrl: m.baseUrl, tls: m.tls ?? target.tls })),
    ];
  }

  /**
   * Accepted when every member accepts the key, refused when every member refuses it; any
   * difference is inconclusive, naming the members (a member whose HA sync stalled keeps the old
   * state). Each member is asked once: a refusal is a failed API-key login there.
   */
  async verify(material: CredentialMaterial): Promise<VerifyResult> {
    const { key } = readMaterial(ApiKeyMaterial, material, this.name);
    return this.onEveryMember((device) => this.verifyOn(device, key));
  }

  /** One check on every member, read together as `verify` documents. */
  private async onEveryMember(check: (device: Device) => Promise<VerifyResult>): Promise<VerifyResult> {
    const checks = await Promise.all(
      this.devices().map(async (device): Promise<DeviceCheck> => {
        const host = new URL(device.baseUrl).host;
        try {
          return { host, result: await check(device) };
        } catch (error) {
          return { host, error: error as Error };
        }
      }),
    );
    const hosts = (outcome: VerifyResult['outcome']) =>
      checks.flatMap((c) => ('result' in c && c.result.outcome === outcome ? [c.host] : [])).join(', ');
    const refused = hosts('rejected');
    const lost = checks.find((c) => 'error' in c);
    if (lost && 'error' in lost) {
      // A member that refused the key counted a failed login against this address: end the check
      // with a result, so the step's spaced retry follows, never a quick transient one.
      if (!refused) throw lost.error;
      return {
        outcome: 'inconclusive',
        reason: `${lost.host} did not answer (${lost.error.message}) while ${refused} refused the key`,
      };
    }
    const unclear = checks.find((c) => 'result' in c && c.result.outcome === 'inconclusive');
    if (unclear && 'result' in unclear) {
      const { reason } = unclear.result;
      return { outcome: 'inconclusive', reason: checks.length > 1 ? `${unclear.host}: ${reason}` : reason };
    }
    const accepted = hosts('accepted');
    if (!refused) return { outcome: 'accepted' };
    if (!accepted) return { outcome: 'rejected' };
    return {
      outcome: 'inconclusive',
      reason: `the HA members disagree: ${accepted} accept the key, ${refused} refuse it (a member whose sync stalled keeps the old state)`,
    };
  }

  /**
   * One FortiGate's word on the key. Only its HTML 401 or 403 page refuses the key; a JSON 403 is
   * the key's user lacking a permission. A scope over several VDOMs (global) may be one the key's
   * user cannot reach, so the key is asked in its own VDOM then.
   */
  private async verifyOn(device: Device, key: string): Promise<VerifyResult> {
    const { vdom } = this.context.target;
    const response = await this.call('GET', '/api/v2/monitor/system/status', {
      bearer: key,
      device,
      vdom: vdom === 'global' ? undefined : vdom,
    });
    const answer = readAnswer(response);
    if (answer.kind === 'refused') return { outcome: 'rejected' };
    if (answer.kind === 'denied') {
      return {
        outcome: 'inconclusive',
        reason:
          'FortiOS answered a JSON 403: the key authenticated, but its user lacks a permission or the VDOM asked',
      };
    }
    this.settle(response, 'verifying a key', [], [key]);
    return { outcome: 'accepted' };
  }

  /**
   * A key is its api-user's `api-key` (FortiOS CLI Reference, `config system api-user`): once the
   * user is deleted no key of it authenticates. So a revocation is proven by the admin token's
   * `GET cmdb/system/api-user/<name>` answering 404 on every member, a successful login that never
   * counts toward the lockout, where presenting the dead key would be one failed login per member.
   */
  async proveRevoked(apiUser: string, credential: CredentialRef): Promise<VerifyResult> {
    const held = await Promise.all(
      this.devices().map(async (device) => ({
        host: new URL(device.baseUrl).host,
        user: await this.readUser(apiUser, device),
      })),
    );
    const hosts = (found: typeof held) => found.map((h) => h.host).join(', ');
    const serving = held.filter((h) => h.user && servesCredential(markerOf(h.user.comments), credential));
    if (serving.length > 0) {
      return { outcome: 'accepted', reason: `API user ${apiUser} is still on ${hosts(serving)}` };
    }
    const others = held.filter((h) => h.user);
    if (others.length === 0) return { outcome: 'rejected' };
    // The twin name taken by another credential's own user (its marker says so) never held this
    // credential's key: workflows put a key only on a user whose marker names its credential.
    const twinOfAnother =
      apiUser !== credential.apiUser &&
      twinsOf(credential.apiUser).includes(apiUser) &&
      others.every((h) => markerOf(h.user?.comments)?.credential !== undefined);
    if (twinOfAnother) return { outcome: 'rejected' };
    return {
      outcome: 'inconclusive',
      reason: `an API user named ${apiUser} that is not this credential's is on ${hosts(others)}`,
    };
  }

  /**
   * The admin token's own check: listing the API users is an administrator's read (the README's
   * "REST API administrator"); a JSON 403 is a token that authenticated without administering.
   */
  private async adminReadOn(device: Device): Promise<VerifyResult> {
    const response = await this.call('GET', '/api/v2/cmdb/system/api-user', { device });
    const answer = readAnswer(response);
    if (answer.kind === 'refused') return { outcome: 'rejected' };
    if (answer.kind === 'denied') {
      return {
        outcome: 'inconclusive',
        reason: 'FortiOS answered a JSON 403: the token authenticated but does not administer API users',
      };
    }
    this.settle(response, 'reading API users with the admin token');
    return { outcome: 'accepted' };
  }

  /** The twin gets the current admin's profile, VDOMs and trusted hosts, so it administers the same. */
  private async ensureAdminTwin(current: string, twin: string, marker: string): Promise<void> {
    const admin = await this.readUser(current);
    if (!admin) throw new NotFoundError(`admin API user ${current} does not exist on the product`);
    const vdoms = Array.isArray(admin.vdom) ? (admin.vdom as unknown[]) : [];
    const trusthosts = Array.isArray(admin.trusthost) ? (admin.trusthost as Record<string, unknown>[]) : [];
    const created = await this.call('POST', '/api/v2/cmdb/system/api-user', {
      body: {
        name: twin,
        accprofile: admin.accprofile,
        // Read back as names (the simulator) or as {name, q_origin_key} objects (FortiOS).
        vdom: vdoms.map((v) => ({ name: typeof v === 'string' ? v : (v as { name?: unknown }).name })),
        trusthost: trusthosts.map((t, index) => ({
          id: index + 1,
          type: 'ipv4-trusthost',
          'ipv4-trusthost': t['ipv4-trusthost'],
        })),
        comments: marker,
      },
    });
    if (this.settle(created, `creating admin API user ${twin}`, ['exists']).kind === 'success') return;
    const existing = await this.readUser(twin);
    if (existing?.comments !== marker) {
      throw new UnmanagedUserError(
        `API user ${twin} exists on the product but was not made by this target's admin rotation: remove it, or name another admin user in the target`,
      );
    }
  }

  private async retireAdmin(name: string, marker?: string): Promise<VerifyResult> {
    if (name === this.context.target.adminCredential.user) {
      throw new FatalError(`${name} holds the admin token this call uses: it is never retired by itself`);
    }
    if (marker !== undefined) {
      const user = await this.readUser(name);
      if (user && user.comments !== marker) {
        return { outcome: 'inconclusive', reason: `API user ${name} is not an admin twin this system made` };
      }
    }
    await this.revoke(name);
    const held = await Promise.all(
      this.devices().map(async (device) => ({
        host: new URL(device.baseUrl).host,
        user: await this.readUser(name, device),
      })),
    );
    const still = held.filter((h) => h.user).map((h) => h.host);
    if (still.length === 0) return { outcome: 'rejected' };
    return { outcome: 'accepted', reason: `admin API user ${name} is still on ${still.join(', ')}` };
  }

  async revoke(apiUser: string) {
    const answer = this.settle(
      await this.call('DELETE', `/api/v2/cmdb/system/api-user/${encodeURIComponent(apiUser)}`),
      `deleting API user ${apiUser}`,
      ['absent'],
    );
    return { removed: answer.kind === 'success' };
  }
}

export function createFortiOsVendor(context: VendorContext<FortiOsTarget>): FortiOsVendor {
  return new FortiOsVendor(context);
}
