/**
 * A FortiManager with a fleet of managed FortiGates behind it, on loopback: the FortiManager
 * simulator (../fortimanager/simulator.ts) answers the device database (`/dvmdb/adom/<adom>/device`,
 * `/dvmdb/adom/<adom>/group/<group>/object member`) and `exec /sys/proxy/json`, which it carries to
 * each FortiGate, a FortiOS simulator (../fortios/simulator.ts) of its own, with the device's admin
 * token the manager holds; the FortiGates share one certificate, as devices signed by one CA do.
 * A device can be offline: the proxy then answers for it with a non-zero per-target status.
 * Wire facts and their sources: README.md beside this file.
 */

import { loopbackCertificate } from '../../../../local/simulator-kit.ts';
import { httpsJson } from '../../http.ts';
import { type ManagedDevices, startFortiManagerSimulator } from '../fortimanager/simulator.ts';
import { type FortiOsSimulator, startFortiOsSimulator } from '../fortios/simulator.ts';

const OK = { code: 0, message: 'OK' } as const;
/**
 * What the proxy says of a device it cannot reach. No public capture records the exact code and
 * text (README.md, "Where reality differs"); the adapter reads any non-zero status without a
 * `response` as "not carried".
 */
const UNREACHABLE = { code: -1, message: 'device is not connected to the FortiManager' } as const;
const NOT_MANAGED = { code: -3, message: 'Object does not exist' } as const;

export interface FleetSimulatorOptions {
  readonly adom?: string;
  /** The managed FortiGates by name; `offline` ones are known to the manager but unreachable. */
  readonly devices: readonly { readonly name: string; readonly offline?: boolean }[];
  /** Device groups of the ADOM and their members. */
  readonly groups?: Readonly<Record<string, readonly string[]>>;
  /** FortiManager's firmware (default 7.6.3, which serves concurrent token calls). */
  readonly version?: string;
}

interface ManagedFortiGate {
  readonly name: string;
  readonly fortigate: FortiOsSimulator;
  online: boolean;
}

export async function startFortiGateFleetSimulator(options: FleetSimulatorOptions) {
  const adom = options.adom ?? 'root';
  const certificate = await loopbackCertificate();
  const fleet = new Map<string, ManagedFortiGate>();
  for (const { name, offline } of options.devices) {
    // No lockout: every local caller is 127.0.0.1 (../fortios/simulated.ts says why).
    const fortigate = await startFortiOsSimulator({ certificate, lockout: false });
    fleet.set(name, { name, fortigate, online: !offline });
  }
  const groups = options.groups ?? {};
  let forwarded = 0;

  /** One device's part of a proxy call: the FortiGate's own answer, or why it was not carried. */
  const carry = async (device: ManagedFortiGate, data: Record<string, unknown>, target: string) => {
    if (!device.online) return { target, status: UNREACHABLE };
    const resource = new URL(String(data.resource ?? '/'), 'https://fortigate');
    forwarded += 1;
    const answer = await httpsJson({
      baseUrl: device.fortigate.url,
      method: String(data.action ?? 'get').toUpperCase() as 'GET' | 'POST' | 'PUT' | 'DELETE',
      path: resource.pathname,
      query: Object.fromEntries(resource.searchParams),
      headers: { authorization: `Bearer ${device.fortigate.adminToken}` },
      body: data.payload,
      tls: { caPem: certificate.cert },
    });
    return { target, status: OK, response: answer.json ?? answer.text };
  };

  /** `adom/<adom>/device/<name>` or `adom/<adom>/group/<group>` (a leading `/` allowed) -> its devices. */
  const devicesOf = (target: string): ManagedFortiGate[] | undefined => {
    const match = /^\/?adom\/([^/]+)\/(device|group)\/([^/]+)$/.exec(target);
    if (!match || match[1] !== adom) return undefined;
    const named = match[2] === 'device' ? [match[3] ?? ''] : groups[match[3] ?? ''];
    const devices = named?.map((name) => fleet.get(name));
    return devices?.every((d) => d) ? (devices as ManagedFortiGate[]) : undefined;
  };

  const managedDevices: ManagedDevices = async (method, url, data) => {
    if (method === 'get' && url === `/dvmdb/adom/${adom}/device`) {
      // conn_status 1 is up, 2 down (FortiManager JSON API, dvmdb device).
      const devices = [...fleet.values()].map((d) => ({
        name: d.name,
        conn_status: d.online ? 1 : 2,
        ip: '127.0.0.1',
        os_type: 'fos',
      }));
      return { code: 0, data: devices };
    }
    const group = new RegExp(`^/dvmdb/adom/${adom}/group/([^/]+)/object member$`).exec(url);
    if (method === 'get' && group) {
      const members = groups[decodeURIComponent(group[1] ?? '')];
      if (!members) return NOT_MANAGED;
      return { code: 0, data: members.map((name) => ({ name, vdom: 'root' })) };
    }
    if (method !== 'exec' || url !== '/sys/proxy/json') return undefined;
    const targets = Array.isArray(data.target) ? data.target.map(String) : [];
    const results = [];
    for (const target of targets) {
      const devices = devicesOf(target);
      if (!devices) {
        results.push({ target, status: NOT_MANAGED });
        continue;
      }
      for (const device of devices)
        results.push(await carry(device, data, `adom/${adom}/device/${device.name}`));
    }
    return { code: 0, data: results };
  };

  const manager = await startFortiManagerSimulator({ version: options.version ?? '7.6.3', managedDevices });
  return {
    ...manager,
    adom,
    deviceCaPem: certificate.cert,
    devices: fleet,
    /** Takes a device off the manager's tunnel, or brings it back. */
    setOnline(name: string, online: boolean) {
      const device = fleet.get(name);
      if (!device) throw new Error(`no managed device ${name}`);
      device.online = online;
    },
    /** Requests this system made: the manager's, and the key checks each FortiGate answered itself. */
    requestCount: () =>
      manager.state.requestsLog.length +
      [...fleet.values()].reduce((sum, d) => sum + d.fortigate.state.requestsLog.length, 0) -
      forwarded,
    close: async () => {
      await Promise.all([manager.close(), ...[...fleet.values()].map((d) => d.fortigate.close())]);
    },
  };
}

export type FortiGateFleetSimulator = Awaited<ReturnType<typeof startFortiGateFleetSimulator>>;
