/** FortiGates managed by a FortiManager: FortiOS's REST API carried by the manager's `/sys/proxy/json`. */
import { ValidationError } from '../../errors.ts';
import { ApiKeyMaterial } from '../material.ts';
import {
  ADMIN_TOKEN_FLAGS,
  adminTokenDefinition,
  type ProductDefinition,
  vdomOutsideTarget,
} from '../product.ts';
import { FortiGateFleetTarget } from './target.ts';

/** `--device fgt-1=https://10.0.0.1` -> `{ "fgt-1": { keyCheckUrl: "https://10.0.0.1" } }`. */
function devicesOf(given: unknown): Record<string, { keyCheckUrl: string }> {
  const entries = (Array.isArray(given) ? given : []).map((pair: string) => {
    const at = pair.indexOf('=');
    if (at < 1) throw new ValidationError('--device takes <name>=<https url of the device>');
    return [pair.slice(0, at), { keyCheckUrl: pair.slice(at + 1) }] as const;
  });
  return Object.fromEntries(entries);
}

export const fortigateFleet = {
  name: 'fortigate-fleet',
  displayName: 'FortiGate fleet (through FortiManager)',
  target: FortiGateFleetTarget,
  material: ApiKeyMaterial,
  requestFields: {
    accessProfile: 'admin profile the API user gets on each device; created when absent',
    trustedHosts: 'source addresses allowed to use the key (CIDR or address and mask), on each device',
    fleet:
      'the devices to provision, one credential each: `devices` (names), `deviceGroup` (a FortiManager device group) or `adom` (every device of the ADOM)',
  },
  // The FortiGates' factory profiles, as for FortiOS (../fortios/product.ts).
  builtInProfiles: ['super_admin', 'prof_admin'],
  checkRequest(target, request) {
    const issues = [...vdomOutsideTarget(target, request)];
    const { fleet } = request;
    if (target.device) {
      if (fleet) issues.push(`fleet: the target already names device ${target.device}; remove fleet`);
      if (!target.devices[target.device])
        issues.push(`target: ${target.device} is not among the fleet target's devices`);
      return issues;
    }
    if (!fleet) {
      issues.push(
        'fleet: name the devices (`devices`, `deviceGroup` or `adom`), or one device as target <fleet>.<device>',
      );
    } else if ('devices' in fleet) {
      const unknown = fleet.devices.filter((device) => !target.devices[device]);
      if (unknown.length > 0)
        issues.push(`fleet.devices: not among the fleet target's devices: ${unknown.join(', ')}`);
      if (new Set(fleet.devices).size !== fleet.devices.length)
        issues.push('fleet.devices: a device is named twice');
    } else if ('adom' in fleet && fleet.adom !== target.adom) {
      issues.push(
        `fleet.adom: the fleet target is managed in ADOM ${target.adom}; name it or a device group`,
      );
    }
    return issues;
  },
  // Its users live on the devices: a second fleet target on the same manager and ADOM would judge them too.
  deviceScope: (target) => ({
    origin: `${new URL(target.baseUrl).origin}/adom/${target.adom}`,
    vdom: target.vdom ?? 'root',
  }),
  targetFlags: {
    options: [
      ...ADMIN_TOKEN_FLAGS,
      { flag: '--adom <adom>', description: 'the ADOM the FortiGates are managed in (default root)' },
      {
        flag: '--device <name=url...>',
        description: 'a managed FortiGate by its FortiManager name, and its own https address for key checks',
      },
      {
        flag: '--device-ca-file <pem>',
        description: "the CA of the FortiGates' own certificates (PEM)",
      },
    ],
    async definition(input) {
      const { flags } = input;
      const definition = await adminTokenDefinition(input);
      const caFile = flags.deviceCaFile as string | undefined;
      return {
        ...definition,
        adom: flags.adom,
        devices: devicesOf(flags.device),
        deviceTls: caFile ? { caPem: await input.readSecret(caFile, 65_536) } : undefined,
      };
    },
  },
} as const satisfies ProductDefinition<'fortigate-fleet', typeof FortiGateFleetTarget, typeof ApiKeyMaterial>;
