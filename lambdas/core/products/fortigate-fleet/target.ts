/**
 * A fleet of FortiGates managed by one FortiManager: the manager's JSON-RPC (TLS pinned, its admin
 * token) carries every FortiOS admin call to the devices (`/sys/proxy/json`); keys are checked where
 * their consumers use them, at each device's own address, TLS pinned to the devices' certificates.
 * A credential lives on one device: its target is `<fleet>.<device>` (`device` set on loading).
 */
import * as z from 'zod';
import { AdminToken, DeviceName, HttpsBaseUrl, TlsPinning, VdomName } from '../../schemas.ts';
import { FortiManagerTarget } from '../fortimanager/target.ts';
import { DEVICE_RULES, policyOf } from '../policy.ts';

/** How many FortiGates one fleet target names at most (one credential each, one Map iteration each). */
const MAX_FLEET_DEVICES = 100;

// Built on its first parse, not at import: a call builds only its own target's schema (../../requests.ts).
export const FortiGateFleetTarget = z.lazy(() => {
  const FleetDevice = z
    .object({
      keyCheckUrl: HttpsBaseUrl.describe(
        "the device's own HTTPS address, where a key is checked as its consumers use it (FortiManager's proxy carries its own session, never a key)",
      ),
    })
    .strict();
  return z
    .object({
      vendor: z.literal('fortigate-fleet'),
      baseUrl: HttpsBaseUrl.describe('the FortiManager'),
      adminCredential: AdminToken.describe("the FortiManager's admin API token"),
      tls: TlsPinning.describe("the FortiManager's CA or certificate"),
      maxConcurrentCalls: FortiManagerTarget.unwrap().shape.maxConcurrentCalls,
      adom: VdomName.default('root').describe('the ADOM the fleet is managed in'),
      vdom: VdomName.optional().describe('the FortiGates’ VDOM the API users get (default root)'),
      devices: z
        .record(DeviceName, FleetDevice)
        .refine((devices) => Object.keys(devices).length >= 1, 'name at least one device')
        .refine(
          (devices) => Object.keys(devices).length <= MAX_FLEET_DEVICES,
          `at most ${MAX_FLEET_DEVICES} devices`,
        )
        .describe('the managed FortiGates this target may provision, by their FortiManager name'),
      deviceTls: TlsPinning.describe("the CA (or certificate) of the FortiGates' own HTTPS, for key checks"),
      device: DeviceName.optional().describe(
        'set when a credential target `<fleet>.<device>` is loaded; never registered',
      ),
      policy: policyOf(...DEVICE_RULES),
    })
    .strict();
});
export type FortiGateFleetTarget = z.output<typeof FortiGateFleetTarget>;
