/**
 * How this system recognizes the users it created on a product: a marker with the creating
 * request's id and the credential the user serves (its target and the API user name it was
 * requested under; a twin serves its base name's credential), kept in the user's comments /
 * description. Shared by every adapter that creates users. A user is adopted, re-keyed or deleted
 * only when its marker names this very credential: another credential's twin, or a user another
 * target on the same device made, is left alone.
 */
import { ConflictError, UnmanagedUserError } from '../errors.ts';
import { EXECUTION_NAME_PATTERN } from '../execution-names.ts';
import { CREDENTIAL_TARGET_PATTERN } from '../schemas.ts';
import type { ApiVendor, VerifyResult } from './vendor.ts';

const MARKER = 'managed-by=credential-provisioner';
const inner = (pattern: RegExp) => pattern.source.slice(1, -1);
// Target and API user names are allow-listed (schemas.ts): no spaces, so each field ends at one.
const MARKER_PATTERN = new RegExp(
  `${MARKER} request=(${inner(EXECUTION_NAME_PATTERN)})(?: target=(${CREDENTIAL_TARGET_PATTERN}) credential=([A-Za-z0-9._-]{1,35}))?(?=\\s|$)`,
);

/** Marks a profile or other object as created by this system (no request: it is shared). */
export const SHARED_MARKER = MARKER;

/** The credential an API user serves: its target and the API user name it was requested under. */
export interface CredentialRef {
  readonly target: string;
  readonly apiUser: string;
}

/** What a marker records. `credential` is absent on users marked before markers named one. */
interface Marker {
  readonly requestId: string;
  readonly credential?: CredentialRef;
}

export function managedUserMarker(
  owner: { readonly requestId: string; readonly credential: CredentialRef },
  comment?: string,
): string {
  const { requestId, credential } = owner;
  return [
    `${MARKER} request=${requestId} target=${credential.target} credential=${credential.apiUser}`,
    comment,
  ]
    .filter(Boolean)
    .join(' ');
}

/** The marker a product kept, or undefined when the text carries none (an unmanaged user). */
export function markerOf(text: unknown): Marker | undefined {
  const found = MARKER_PATTERN.exec(String(text ?? ''));
  if (!found?.[1]) return undefined;
  const [, requestId, target, apiUser] = found;
  return target && apiUser ? { requestId, credential: { target, apiUser } } : { requestId };
}

/** The creating request's id, or undefined when the text carries no marker (an unmanaged user). */
export function creatingRequestOf(text: unknown): string | undefined {
  return markerOf(text)?.requestId;
}

/** Whether a marker names this very credential (a marker naming none names no credential). */
export function servesCredential(marker: Marker | undefined, credential: CredentialRef): boolean {
  return marker?.credential?.target === credential.target && marker.credential.apiUser === credential.apiUser;
}

/** What a profile grants, as requests name it (`fwgrp.address: read`, `sysgrp: read`); `none` left out. */
export type Grants = Readonly<Record<string, 'read' | 'read-write'>>;

/**
 * Whether an existing access profile may serve a request: only one this system created (the
 * shared marker) that grants exactly what the request asks. Anything else, a built-in or a
 * hand-made profile, or one of ours granting more or other (a read-write profile asked for
 * read-only), is refused: adopting it would hand out what it grants.
 */
export function adoptExistingProfile(
  name: string,
  markerText: unknown,
  requested: Grants,
  granted: Grants,
): { createdByThisRequest: false } {
  if (!String(markerText ?? '').includes(SHARED_MARKER)) {
    throw new ConflictError(
      `access profile ${name} exists on the product but was not created by this system: it is not adopted; name another profile`,
    );
  }
  const describe = (grants: Grants) =>
    Object.entries(grants)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, permission]) => `${key}=${permission}`)
      .join(', ') || 'nothing';
  if (describe(requested) !== describe(granted)) {
    throw new ConflictError(
      `access profile ${name} exists with other permissions (${describe(granted)}) than requested (${describe(requested)}): it is not adopted; name another profile`,
    );
  }
  return { createdByThisRequest: false };
}

/** `10.0.0.0/24` -> `10.0.0.0 255.255.255.0`, the form Fortinet products store trusted hosts in. */
export function cidrToAddressMask(cidr: string): string {
  const [address, bits] = cidr.split('/');
  const prefix = Number(bits);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return `${address} ${[24, 16, 8, 0].map((shift) => (mask >>> shift) & 255).join('.')}`;
}

/**
 * What to do with a user that already exists: this request's own (an earlier attempt), one this
 * system created for this credential in another request (adopted), or anything else: another
 * credential's (a twin name or a same-named user of another target on the device) or someone
 * else's (refused).
 */
export function adoptExistingUser(
  name: string,
  owner: { readonly requestId: string; readonly credential: CredentialRef },
  markerText: unknown,
): { createdByThisRequest: boolean } {
  const marker = markerOf(markerText);
  if (!marker)
    throw new UnmanagedUserError(`API user ${name} exists on the product but was not created by this system`);
  if (!servesCredential(marker, owner.credential)) {
    const theirs = marker.credential
      ? `credential ${marker.credential.apiUser} of target ${marker.credential.target}`
      : 'a credential its marker does not name';
    throw new ConflictError(
      `API user ${name} exists on the product for ${theirs}, not for ${owner.credential.apiUser} of target ${owner.credential.target}: it is not adopted`,
    );
  }
  return { createdByThisRequest: marker.requestId === owner.requestId };
}

/** The two users a twin-user credential alternates between: its own name and a twin (`.b`), within 35 characters. */
export function twinsOf(apiUser: string): readonly [string, string] {
  return [apiUser, `${apiUser.slice(0, 33)}.b`];
}

/** Names up to this long keep their whole name in their twin's, so no two names share a twin. */
const MAX_TWIN_USER_NAME = 33;

/**
 * Why a name may not be requested on a twin-user product: one ending in `.b` is the twin of
 * another name, and two names longer than 33 characters that share their first 33 share one twin.
 * Refused at validation, so no two credentials of a target can ever name the same user.
 */
export function twinNameIssues(apiUser: string): readonly string[] {
  if (apiUser.endsWith('.b'))
    return [
      `apiUser: ${apiUser} ends in ".b", the form of a twin user (the twin of ${apiUser.slice(0, -2)}); choose a name not ending in ".b"`,
    ];
  if (apiUser.length > MAX_TWIN_USER_NAME)
    return [
      `apiUser: ${apiUser} is ${apiUser.length} characters; at most ${MAX_TWIN_USER_NAME} on a product with twin users (its twin adds ".b" within the products' 35)`,
    ];
  return [];
}

/**
 * Deletes a user only when its marker names this very credential; absent, unmanaged or another
 * credential's user is left as it is. Says whether it removed one.
 */
export async function removeCredentialUser(
  api: Pick<ApiVendor, 'findManagedUser' | 'revoke'>,
  name: string,
  credential: CredentialRef,
): Promise<boolean> {
  const user = await api.findManagedUser(name);
  if (!servesCredential(user, credential)) return false;
  return (await api.revoke(name)).removed;
}

/**
 * Whether every user of the credential (both twins on a twin-user product) is gone, through the
 * vendor's admin proof: `accepted` while any still holds it, `rejected` when all are gone, the
 * first `inconclusive` answer otherwise; undefined for a vendor without that proof.
 */
export async function proveUsersGone(
  api: ApiVendor,
  credential: CredentialRef,
): Promise<VerifyResult | undefined> {
  if (!api.proveRevoked) return undefined;
  const users = api.capabilities.twinUsers ? twinsOf(credential.apiUser) : [credential.apiUser];
  const answers = await Promise.all(users.map((user) => api.proveRevoked?.(user, credential)));
  return (
    answers.find((a) => a?.outcome === 'accepted') ??
    answers.find((a) => a?.outcome !== 'rejected') ?? { outcome: 'rejected' }
  );
}

/** The users this system created, from a product's list of users (name field, marker field). */
export function managedUsersIn(
  list: unknown,
  nameField: string,
  markerField: string,
): { name: string; requestId: string; credential?: CredentialRef }[] {
  return (Array.isArray(list) ? list : []).flatMap((user: Record<string, unknown>) => {
    const marker = markerOf(user?.[markerField]);
    const name = user?.[nameField];
    return marker && typeof name === 'string' ? [{ name, ...marker }] : [];
  });
}
