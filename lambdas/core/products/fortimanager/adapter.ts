/**
 * FortiManager (>= 7.2.2) adapter (wire facts: README.md beside this file): the API admin
 * is managed over JSON-RPC with the admin token as Bearer; its key exists only on the CLI, so it
 * is generated over SSH (`execute api-user generate-key <user>`) with the host key pinned.
 * The status is in `result[0].status.code`; HTTP is 200 either way. Calls to one manager are
 * queued (`maxConcurrentCalls`), and a -11 is asked once more before it counts.
 */
import { createHash } from 'node:crypto';
import type * as z from 'zod';
import {
  CALLER_REFUSED,
  CallerRefusedError,
  excerpt,
  FatalError,
  NotFoundError,
  RetryableError,
  redact,
  UnmanagedUserError,
  ValidationError,
} from '../../errors.ts';
import { ApiUserName, type SshAccess } from '../../schemas.ts';
import {
  adoptExistingProfile,
  adoptExistingUser,
  cidrToAddressMask,
  type Grants,
  managedUserMarker,
  managedUsersIn,
  markerOf,
  SHARED_MARKER,
} from '../managed-user.ts';
import { ApiKeyMaterial, readMaterial } from '../material.ts';
import type {
  AccessProfileSpec,
  AdminTwins,
  ApiUserSpec,
  ApiVendor,
  CredentialMaterial,
  LoginTwins,
  VendorContext,
  VerifyResult,
} from '../vendor.ts';
import { FMG_STATUS, fmgRpc, type RpcAnswer, type RpcMethod, type RpcOptions } from './json-rpc.ts';
import { type FortiManagerTarget, rpcPermitBeyondPolicy } from './target.ts';

const KEY_LINE = /New API key:\s*([A-Za-z0-9]{16,128})/;

/** The SSH server refused the login (wrong user or password): a result for a login check, fatal elsewhere. */
class SshLoginRefusedError extends FatalError {}

/** An admin user's trusted hosts as JSON-RPC shows them: `trusthost1` to `trusthost10`. */
function trusthostsOf(user: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(user).filter(([field]) => /^trusthost\d+$/.test(field)));
}

/** What a FortiManager profile grants: its flat permission fields that read or read-write. */
function grantsOf(profile: Record<string, unknown>): Grants {
  return Object.fromEntries(
    Object.entries(profile).filter(
      (entry): entry is [string, 'read' | 'read-write'] => entry[1] === 'read' || entry[1] === 'read-write',
    ),
  );
}

export class FortiManagerVendor implements ApiVendor {
  readonly name = 'fortimanager' as const;
  readonly capabilities = {
    issuance: 'api',
    accessProfiles: true,
    twinUsers: true,
    tokenBroker: false,
  } as const;

  constructor(private readonly context: VendorContext<FortiManagerTarget>) {}

  readonly adminTwins: AdminTwins = {
    ensureAdminTwin: (current, twin, marker) => this.ensureTwin(current, twin, marker),
    verifyAdmin: () => this.verifyAdmin(),
    retireAdmin: (name, marker) => this.retireAdmin(name, marker),
  };

  readonly loginTwins: LoginTwins = {
    ensureLoginTwin: (current, twin, marker, password) => this.ensureTwin(current, twin, marker, password),
    verifyLogin: () => this.verifyLogin(),
  };

  /** One JSON-RPC call in the manager's queue, a -11 asked once more (./json-rpc.ts). */
  private rpc(method: RpcMethod, url: string, options: RpcOptions = {}): Promise<RpcAnswer> {
    return fmgRpc(this.context.target, this.context.timeoutMs, method, url, options);
  }

  /**
   * The twin admin as a copy of `current` (profile, ADOMs, JSON-RPC access, trusted hosts): an API
   * admin, or with `password` a local admin for CLI logins. A twin carrying `marker` (left by an
   * earlier attempt) is adopted, and gets `password`; any other is refused.
   */
  private async ensureTwin(current: string, twin: string, marker: string, password?: string): Promise<void> {
    const admin = await this.readUser(current);
    if (!admin) throw new NotFoundError(`admin user ${current} does not exist on the product`);
    const material = password === undefined ? [] : [password];
    const added = await this.rpc('add', '/cli/global/system/admin/user', {
      data: {
        userid: twin,
        user_type: password === undefined ? 'api' : 'local',
        profileid: admin.profileid,
        adom: admin.adom,
        'rpc-permit': admin['rpc-permit'],
        description: marker,
        ...trusthostsOf(admin),
        ...(password === undefined ? {} : { password }),
      },
      material,
    });
    if (added.code !== FMG_STATUS.exists) return this.check(added, `creating admin user ${twin}`);
    const existing = await this.readUser(twin);
    if (existing?.description !== marker) {
      throw new UnmanagedUserError(
        `admin user ${twin} exists on the product but was not made by this target's admin rotation: remove it, or name another admin user in the target`,
      );
    }
    if (password === undefined) return;
    const updated = await this.rpc('update', `/cli/global/system/admin/user/${encodeURIComponent(twin)}`, {
      data: { password },
      material,
    });
    this.check(updated, `setting the password of admin user ${twin}`);
  }

  /**
   * The admin token's own check: \`/sys/status\` takes any key the manager holds (-11 twice: it does
   * not), then listing the admin users is an administrator's read (-11 there: a key that
   * authenticates without administering).
   */
  private async verifyAdmin(): Promise<VerifyResult> {
    const status = await this.rpc('get', '/sys/status');
    if (status.httpStatus === 401 || status.code === FMG_STATUS.noPermission) return { outcome: 'rejected' };
    this.check(status, 'reading the status with the admin token');
    const listed = await this.rpc('get', '/cli/global/system/admin/user');
    if (listed.code === FMG_STATUS.noPermission) {
      return {
        outcome: 'inconclusive',
        reason: 'FortiManager took the token but answered -11 to listing admin users: it does not administer',
      };
    }
    this.check(listed, 'listing admin users with the admin token');
    return { outcome: 'accepted' };
  }

  /** A CLI login with the target's SSH credential, and a read (\`get system status\`). */
  private async verifyLogin(): Promise<VerifyResult> {
    try {
      await this.ssh('get system status');
      return { outcome: 'accepted' };
    } catch (error) {
      if (error instanceof SshLoginRefusedError) return { outcome: 'rejected' };
      throw error;
    }
  }

  /**
   * Deletes the admin user, then reads it back with the admin token: gone (-3) is the proof, and no
   * dead credential is presented. Never the admin whose token or login this adapter uses.
   */
  private async retireAdmin(name: string, marker?: string): Promise<VerifyResult> {
    const { adminCredential, ssh } = this.context.target;
    if (name === adminCredential.user || name === ssh.username) {
      throw new FatalError(`${name} holds an admin credential this call uses: it is never retired by itself`);
    }
    if (marker !== undefined) {
      const user = await this.readUser(name);
      if (user && user.description !== marker) {
        return {
          outcome: 'inconclusive',
          reason: `admin user ${name} is not an admin twin this system made`,
        };
      }
    }
    await this.revoke(name);
    if (!(await this.readUser(name))) return { outcome: 'rejected' };
    return { outcome: 'accepted', reason: `admin user ${name} is still on the manager` };
  }

  /** One command on the manager's CLI with the target's SSH credential (host key pinned). */
  private ssh(command: string): Promise<string> {
    const { baseUrl, ssh } = this.context.target;
    return runSshCommand(new URL(baseUrl).hostname, ssh, command, this.context.timeoutMs ?? 10_000);
  }

  /** The one place FortiManager status codes become typed errors. */
  private check(answer: { code: number; message: string; httpStatus: number }, what: string): void {
    if (answer.code === FMG_STATUS.ok) return;
    if (answer.httpStatus === 401) {
      throw new CallerRefusedError(`FortiManager refused ${what} (HTTP 401): ${CALLER_REFUSED}`);
    }
    if (answer.code === FMG_STATUS.noPermission) {
      throw new FatalError(
        `FortiManager refused ${what}: no permission (-11 twice in a row; the admin token must be a read-write super user)`,
      );
    }
    if (answer.code === FMG_STATUS.invalidData && /profile/i.test(answer.message)) {
      throw new FatalError(`FortiManager refused ${what}: unknown profile (-10: ${answer.message})`);
    }
    throw new FatalError(
      `FortiManager refused ${what} (${answer.code}${answer.message ? `: ${answer.message}` : ''})`,
    );
  }

  // Create-if-absent adds first and reads only on "already exists" (-2): the usual case costs one call.
  async ensureAccessProfile(spec: AccessProfileSpec) {
    // FortiManager permission fields are flat ("device-manager": "read"); dotted keys become dashed.
    const permissions = Object.fromEntries(
      Object.entries(spec.permissions).map(([key, value]) => [key.replace('.', '-'), value]),
    );
    const added = await this.rpc('add', '/cli/global/system/admin/profile', {
      data: { profileid: spec.name, description: SHARED_MARKER, ...permissions },
    });
    if (added.code !== FMG_STATUS.exists) {
      this.check(added, `creating profile ${spec.name}`);
      return { createdByThisRequest: true };
    }
    const read = await this.rpc('get', `/cli/global/system/admin/profile/${encodeURIComponent(spec.name)}`);
    this.check(read, `reading profile ${spec.name}`);
    const existing = (read.data ?? {}) as Record<string, unknown>;
    return adoptExistingProfile(spec.name, existing.description, grantsOf(permissions), grantsOf(existing));
  }

  private async readUser(name: string): Promise<Record<string, unknown> | undefined> {
    const answer = await this.rpc('get', `/cli/global/system/admin/user/${encodeURIComponent(name)}`);
    if (answer.code === FMG_STATUS.notFound) return undefined;
    this.check(answer, `reading API user ${name}`);
    return (answer.data ?? {}) as Record<string, unknown>;
  }

  async findManagedUser(name: string) {
    const user = await this.readUser(name);
    const marker = user ? markerOf(user.description) : undefined;
    return marker ? { name, ...marker } : undefined;
  }

  async listManagedUsers() {
    const answer = await this.rpc('get', '/cli/global/system/admin/user');
    this.check(answer, 'listing API users');
    return managedUsersIn(answer.data, 'userid', 'description');
  }

  async ensureUser(spec: ApiUserSpec) {
    const beyondPolicy = rpcPermitBeyondPolicy(this.context.target, spec.rpcPermit);
    if (beyondPolicy) throw new ValidationError(`API user ${spec.name} not created: ${beyondPolicy}`);
    if (
      spec.trustedHosts.length === 0 ||
      spec.trustedHosts.length > 10 ||
      spec.trustedHosts.some((h) => h.endsWith('/0'))
    ) {
      throw new FatalError('an API user needs 1-10 trusted hosts narrower than 0.0.0.0/0');
    }
    const trusthosts = Object.fromEntries(
      spec.trustedHosts.map((h, i) => [`trusthost${i + 1}`, cidrToAddressMask(h)]),
    );
    const added = await this.rpc('add', '/cli/global/system/admin/user', {
      data: {
        userid: spec.name,
        user_type: 'api',
        profileid: spec.profile,
        'rpc-permit': spec.rpcPermit ?? 'read',
        adom: [{ 'adom-name': spec.vdom }],
        description: managedUserMarker(spec, spec.comment),
        ...trusthosts,
      },
    });
    if (added.code === FMG_STATUS.exists) {
      const user = await this.readUser(spec.name);
      if (!user) throw new RetryableError(`API user ${spec.name} reported as existing but not readable yet`);
      return adoptExistingUser(spec.name, spec, user.description);
    }
    this.check(added, `creating API user ${spec.name}`);
    return { createdByThisRequest: true };
  }

  /** `execute api-user generate-key <user>` over SSH; the user name is allow-listed first, so nothing can be injected. */
  async issueKey(apiUser: string) {
    if (!ApiUserName.safeParse(apiUser).success)
      throw new ValidationError(`not an API user name: ${JSON.stringify(apiUser).slice(0, 40)}`);
    const output = await this.ssh(`execute api-user generate-key ${apiUser}`);
    const key = KEY_LINE.exec(output)?.[1];
    if (!key)
      throw new FatalError(
        `FortiManager printed no new API key for ${apiUser}: ${excerpt(redact(output, [this.context.target.ssh.password]), 120)}`,
      );
    return { key };
  }

  async verify(material: CredentialMaterial): Promise<VerifyResult> {
    const { key } = readMaterial(ApiKeyMaterial, material, this.name);
    const answer = await this.rpc('get', '/sys/status', { bearer: key });
    // A -11 here came twice in a row; once could have been the concurrency fault (see `rpc`).
    if (answer.httpStatus === 401 || answer.code === FMG_STATUS.noPermission) return { outcome: 'rejected' };
    this.check(answer, 'verifying a key');
    return { outcome: 'accepted' };
  }

  async revoke(apiUser: string) {
    const answer = await this.rpc('delete', `/cli/global/system/admin/user/${encodeURIComponent(apiUser)}`);
    if (answer.code === FMG_STATUS.notFound) return { removed: false };
    this.check(answer, `deleting API user ${apiUser}`);
    return { removed: true };
  }
}

/**
 * Runs one command over SSH with the host key pinned (OpenSSH "SHA256:" fingerprint); returns its output.
 * @public the bundle test calls it from the deployed bundle to prove ssh2 loads there.
 */
export async function runSshCommand(
  host: string,
  ssh: z.output<typeof SshAccess>,
  command: string,
  timeoutMs: number,
): Promise<string> {
  // Loaded on first use: only key issuing speaks SSH, so no other step pays for ssh2's start-up.
  // ssh2 is CommonJS: Node's ESM loader sees only its default export.
  const { default: ssh2 } = await import('ssh2');
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    let output = '';
    let pinMismatch = false;
    const fail = (error: Error) => {
      client.end();
      reject(error);
    };
    client
      .on('ready', () => {
        client.exec(command, (error, stream) => {
          if (error) return fail(new RetryableError(`ssh exec failed on ${host}`));
          stream
            .on('data', (chunk: Buffer) => {
              output += chunk.toString('utf8');
              if (output.length > 64 * 1024) fail(new FatalError(`ssh output from ${host} over 64 KiB`));
            })
            .on('close', () => {
              client.end();
              resolve(output);
            });
          stream.stderr.on('data', (chunk: Buffer) => {
            output += chunk.toString('utf8');
          });
        });
      })
      .on('error', (error: Error & { level?: string }) => {
        if (pinMismatch)
          fail(new FatalError(`ssh host key of ${host} does not match the pinned fingerprint`));
        else if (error.level === 'client-authentication')
          fail(new SshLoginRefusedError(`ssh login to ${host} was refused`));
        else fail(new RetryableError(`ssh connection to ${host} failed`));
      })
      .connect({
        host,
        port: ssh.port,
        username: ssh.username,
        password: ssh.password,
        readyTimeout: timeoutMs,
        hostVerifier: (key: Buffer) => {
          const actual = `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
          pinMismatch = actual !== ssh.hostKeySha256.replace(/=+$/, '');
          return !pinMismatch;
        },
      });
  });
}

export function createFortiManagerVendor(context: VendorContext<FortiManagerTarget>): FortiManagerVendor {
  return new FortiManagerVendor(context);
}
