/**
 * What a product is to this system. Each product folder exports one definition, listed once in
 * ./index.ts; the target and request schemas, the material shapes and the CLI's `target add` flags
 * are derived from that list. A definition holds no adapter (./registry.ts maps products to their
 * adapters), so code that only parses input (the intake) bundles no product client.
 */
import type * as z from 'zod';
import { ValidationError } from '../errors.ts';
import type { ProvisionRequest } from '../requests.ts';
import type { MaterialSchema } from './material.ts';

/** Provision-request fields only some products use; each product says in its own words what it does with them. */
export type RequestField =
  | 'accessProfile'
  | 'trustedHosts'
  | 'serviceUser'
  | 'permissionProfile'
  | 'rpcPermit'
  | 'fleet';

/** One flag of `provisioner target add` (commander syntax, e.g. `--client-id <id>`). */
export interface TargetFlag {
  readonly flag: string;
  readonly description: string;
}

/** What `provisioner target add` hands a product to build its target definition from flags. */
export interface TargetFlagInput {
  /** The flags as commander parsed them (camelCase names). */
  readonly flags: Readonly<Record<string, unknown>>;
  /** Vendor, base URL and TLS pin, common to every product (`tls` absent when nothing was pinned). */
  readonly common: Readonly<Record<string, unknown>>;
  /** The TLS pin as given, for products that must pin (the schema says what is missing). */
  readonly pin: { readonly caPem?: string; readonly fingerprint?: string };
  /** A secret read from a file, or from standard input for `-`, bounded; secrets never come from arguments. */
  readSecret(source: string, maxBytes: number): Promise<string>;
}

export interface ProductDefinition<
  N extends string = string,
  T extends z.ZodLazy<z.ZodObject> = z.ZodLazy<z.ZodObject>,
  M extends MaterialSchema = MaterialSchema,
> {
  /** The `vendor` of its targets and tags. */
  readonly name: N;
  /** The product's own name, for people. */
  readonly displayName: string;
  /** Its target definition; `vendor` is the literal `name`. Lazy: built on its first parse. */
  readonly target: T;
  /** The shape of the credential material it issues. */
  readonly material: M;
  readonly requestFields: Readonly<Partial<Record<RequestField, string>>>;
  /** The product's own access profiles, which no request may name (they are not this system's to grant). */
  readonly builtInProfiles?: readonly string[];
  /** The rules of the target's own policy a request breaks (one issue each), checked before any product call. */
  checkRequest?(target: z.output<T> & { readonly vendor: N }, request: ProvisionRequest): readonly string[];
  /**
   * The device and VDOM (or ADOM) a target administers, for products whose users several targets
   * could see; two targets may not share one (registration refuses the second).
   */
  deviceScope?(target: z.output<T>): { readonly origin: string; readonly vdom: string };
  readonly targetFlags: {
    readonly options: readonly TargetFlag[];
    /** The unparsed definition; the target schema checks it afterwards. */
    definition(input: TargetFlagInput): Promise<Record<string, unknown>>;
  };
}

/** Appliances whose admin API token this system holds (the token is read from a file or stdin). */
export const ADMIN_TOKEN_FLAGS: readonly TargetFlag[] = [
  { flag: '--vdom <vdom>', description: 'default VDOM' },
  { flag: '--admin-token-file <file>', description: 'file holding the admin (super_admin) API token' },
  { flag: '--admin-token-stdin', description: 'read the admin API token from standard input' },
];

/**
 * The VDOM (FortiOS) or ADOM (FortiManager) an API user gets: the request's, else the target's,
 * else root. A target of VDOM `global` spans every VDOM (FortiOS's `?vdom=global` scope), so its
 * users default to root like a target naming none.
 */
export function requestVdom(target: { readonly vdom?: string }, request: { readonly vdom?: string }): string {
  return request.vdom ?? (target.vdom && target.vdom !== 'global' ? target.vdom : 'root');
}

/**
 * A request stays in its target's VDOM: a target naming one admits only it, a target naming none
 * only root, and a `global` target any; a target policy's `vdoms` admits those it lists. Checked before any product call, so a request cannot place
 * an API user in a VDOM or ADOM its target was not registered for.
 */
export function vdomOutsideTarget(
  target: { readonly vdom?: string; readonly policy?: { readonly vdoms?: readonly string[] } },
  request: { readonly vdom?: string },
): readonly string[] {
  if (request.vdom === undefined) return [];
  // A policy naming VDOMs (ADOMs) replaces the target's own rule with its list.
  const listed = target.policy?.vdoms;
  if (listed)
    return listed.includes(request.vdom)
      ? []
      : [`vdom ${request.vdom}: not among the target policy's vdoms (${listed.join(', ')})`];
  if (target.vdom === 'global') return [];
  const allowed = target.vdom ?? 'root';
  if (request.vdom === allowed) return [];
  return [
    target.vdom
      ? `vdom ${request.vdom}: the target's VDOM is ${allowed}; name ${allowed} or omit vdom`
      : `vdom ${request.vdom}: the target names no VDOM, so only root; name root or omit vdom`,
  ];
}

/**
 * An appliance target's device (its base URL's origin) and VDOM or ADOM: root when it names none,
 * `global` for a target spanning every VDOM.
 */
export function vdomScope(target: { readonly baseUrl: string; readonly vdom?: string }) {
  return { origin: new URL(target.baseUrl).origin, vdom: target.vdom ?? 'root' };
}

export async function adminTokenDefinition(input: TargetFlagInput): Promise<Record<string, unknown>> {
  const { flags } = input;
  const source = flags.adminTokenStdin ? '-' : (flags.adminTokenFile as string | undefined);
  if (!source)
    throw new ValidationError('give the admin token with --admin-token-file or --admin-token-stdin');
  const token = (await input.readSecret(source, 4096)).trim();
  return { ...input.common, tls: input.pin, adminCredential: { token }, vdom: flags.vdom };
}
