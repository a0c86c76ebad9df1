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
  RetryableError,
  redact,
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
  ApiUserSpec,
  ApiVendor,
  CredentialMaterial,
  VendorContext,
  VerifyResult,
} from '../vendor.ts';
import { FMG_STATUS, fmgRpc, type RpcAnswer, type RpcMethod, type RpcOptions } from './json-rpc.ts';
import { type FortiManagerTarget, rpcPermitBeyondPolicy } from './target.ts';

const KEY_LINE = /New API key:\s*([A-Za-z0-9]{16,128})/;

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

  /** One JSON-RPC call in the manager's queue, a -11 asked once more (./json-rpc.ts). */
  private rpc(method: RpcMethod, url: string, options: RpcOptions = {}): Promise<RpcAnswer> {
    return fmgRpc(this.context.target, this.context.timeoutMs, method, url, options);
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
    const ssh = this.context.target.ssh;
    const output = await runSshCommand(
      new URL(this.context.target.baseUrl).hostname,
      ssh,
      `execute api-user generate-key ${apiUser}`,
      this.context.timeoutMs ?? 10_000,
    );
    const key = KEY_LINE.exec(output)?.[1];
    if (!key)
      throw new FatalError(
        `FortiManager printed no new API key for ${apiUser}: ${excerpt(redact(output, [ssh.password]), 120)}`,
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
          fail(new FatalError(`ssh login to ${host} was refused`));
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
