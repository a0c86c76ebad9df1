/**
 * FortiGates managed by a FortiManager (wire facts: README.md beside this file). The FortiOS
 * adapter's own logic (../fortios/adapter.ts) over another transport: each admin call is carried by
 * the manager's JSON-RPC `exec /sys/proxy/json` to one device and the device's REST answer is taken
 * out of the manager's per-target result; a key is checked at the device's own address, where its
 * consumers use it (the proxy carries the manager's session to the device, never a key).
 */
import { FatalError, RetryableError } from '../../errors.ts';
import { type HttpResponse, httpsJson } from '../../http.ts';
import type { FleetSelector } from '../../schemas.ts';
import { FMG_STATUS, fmgRpc } from '../fortimanager/json-rpc.ts';
import { type FortiOsCall, type FortiOsTransport, FortiOsVendor } from '../fortios/adapter.ts';
import type { FortiOsTarget } from '../fortios/target.ts';
import { ADMIN_KEY_MAX_AGE_DAYS } from '../policy.ts';
import type { VendorContext } from '../vendor.ts';
import type { FortiGateFleetTarget } from './target.ts';

/** One device's entry in the manager's answer to `/sys/proxy/json` (README.md, "Wire facts"). */
interface ProxyResult {
  readonly target?: unknown;
  readonly status?: { readonly code?: unknown; readonly message?: unknown };
  readonly response?: unknown;
}

function deviceOf(target: FortiGateFleetTarget, what: string): string {
  if (!target.device)
    throw new FatalError(`${what} needs one device of the fleet: name the target as <fleet>.<device>`);
  return target.device;
}

function managerCheck(answer: { code: number; message: string; httpStatus: number }, what: string): void {
  if (answer.code === FMG_STATUS.ok) return;
  if (answer.httpStatus === 401 || answer.code === FMG_STATUS.noPermission)
    throw new FatalError(
      `FortiManager refused ${what}: wrong admin token, no permission (-11), or this caller is outside its trusted hosts`,
    );
  throw new FatalError(
    `FortiManager refused ${what} (${answer.code}${answer.message ? `: ${answer.message}` : ''})`,
  );
}

/**
 * Admin calls through the manager's proxy to the device; key checks (`bearer`) straight to the
 * device's own address with the devices' pinning. The proxy's answer for the device is the
 * FortiGate's own REST answer, read by FortiOS's reader as if it had come directly.
 */
function fleetTransport(context: VendorContext<FortiGateFleetTarget>): FortiOsTransport {
  const { target } = context;
  return async (call: FortiOsCall): Promise<HttpResponse> => {
    const device = deviceOf(target, `${call.method} ${call.path}`);
    if (call.bearer) {
      // FortiOS's key check always names the device it asks (../fortios/adapter.ts, verifyOn).
      if (!call.device) throw new FatalError(`a key check on ${device} names no address to ask`);
      return httpsJson({
        baseUrl: call.device.baseUrl,
        method: call.method,
        path: call.path,
        query: call.vdom ? { vdom: call.vdom } : undefined,
        headers: { authorization: `Bearer ${call.bearer}` },
        tls: target.deviceTls,
        timeoutMs: context.timeoutMs,
      });
    }
    const resource = call.vdom ? `${call.path}?vdom=${encodeURIComponent(call.vdom)}` : call.path;
    const proxyTarget = `adom/${target.adom}/device/${device}`;
    const what = `${call.method} ${call.path} on ${device}`;
    const answer = await fmgRpc(target, context.timeoutMs, 'exec', '/sys/proxy/json', {
      data: {
        action: call.method.toLowerCase(),
        resource,
        target: [proxyTarget],
        ...(call.body === undefined ? {} : { payload: call.body }),
      },
    });
    managerCheck(answer, what);
    const results = Array.isArray(answer.data) ? (answer.data as ProxyResult[]) : [];
    const result =
      results.find((r) => String(r.target ?? '').replace(/^\//, '') === proxyTarget) ?? results[0];
    if (!result) throw new FatalError(`FortiManager answered ${what} without a result for the device`);
    const code = typeof result.status?.code === 'number' ? result.status.code : Number.NaN;
    if (code !== FMG_STATUS.ok || result.response === undefined) {
      // The manager could not carry the call (the device is offline, its tunnel down): nothing reached it.
      throw new RetryableError(
        `FortiManager could not reach ${device} for ${call.method} ${call.path} (${Number.isNaN(code) ? 'no status' : code}${result.status?.message ? `: ${String(result.status.message).slice(0, 120)}` : ''})`,
      );
    }
    const envelope = result.response as { http_status?: unknown };
    return {
      status: typeof envelope?.http_status === 'number' ? envelope.http_status : 200,
      contentType: 'application/json',
      text: JSON.stringify(result.response),
      json: result.response,
    };
  };
}

/** The fleet target as FortiOS's logic sees one device: key checks at its own address, the devices' pinning. */
function deviceView(target: FortiGateFleetTarget): FortiOsTarget {
  const keyCheckUrl = target.device ? target.devices[target.device]?.keyCheckUrl : undefined;
  return {
    vendor: 'fortios',
    baseUrl: keyCheckUrl ?? target.baseUrl,
    adminCredential: target.adminCredential,
    tls: target.deviceTls,
    vdom: target.vdom,
    // The fleet's admin credential is the manager's token, which this view never rotates.
    policy: target.policy && { ...target.policy, adminKeyMaxAgeDays: ADMIN_KEY_MAX_AGE_DAYS },
  };
}

export class FortiGateFleetVendor extends FortiOsVendor {
  override readonly name: string = 'fortigate-fleet';
  /** The devices' admin is the manager's token: a device's api-users are not the provisioner's admin. */
  override readonly adminTwins = undefined;

  constructor(private readonly fleet: VendorContext<FortiGateFleetTarget>) {
    super({ target: deviceView(fleet.target), timeoutMs: fleet.timeoutMs }, fleetTransport(fleet));
  }

  /** The devices a fleet request names, as the manager lists them (a group's members, an ADOM's devices). */
  async fleetDevices(selector: FleetSelector): Promise<string[]> {
    if ('devices' in selector) return [...selector.devices];
    const { target, timeoutMs } = this.fleet;
    const adom = encodeURIComponent(target.adom);
    const url =
      'deviceGroup' in selector
        ? `/dvmdb/adom/${adom}/group/${encodeURIComponent(selector.deviceGroup)}/object member`
        : `/dvmdb/adom/${adom}/device`;
    const what =
      'deviceGroup' in selector
        ? `listing device group ${selector.deviceGroup}`
        : `listing the devices of ADOM ${target.adom}`;
    const answer = await fmgRpc(target, timeoutMs, 'get', url);
    if (answer.code === FMG_STATUS.notFound) throw new FatalError(`FortiManager answered ${what}: not found`);
    managerCheck(answer, what);
    const members = Array.isArray(answer.data) ? (answer.data as { name?: unknown }[]) : [];
    return [...new Set(members.flatMap((m) => (typeof m.name === 'string' ? [m.name] : [])))];
  }
}

export function createFortiGateFleetVendor(
  context: VendorContext<FortiGateFleetTarget>,
): FortiGateFleetVendor {
  return new FortiGateFleetVendor(context);
}
