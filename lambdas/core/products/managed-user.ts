/**
 * How this system recognizes the users it created on a product: a marker with the creating
 * request's id, kept in the user's comments / description. Shared by every adapter that creates users.
 */
import { UnmanagedUserError } from '../errors.ts';
import { EXECUTION_NAME_PATTERN } from '../execution-names.ts';

const MARKER = 'managed-by=credential-provisioner';
const MARKER_PATTERN = new RegExp(`${MARKER} request=(${EXECUTION_NAME_PATTERN.source.slice(1, -1)})`);

/** Marks a profile or other object as created by this system (no request: it is shared). */
export const SHARED_MARKER = MARKER;

export function managedUserMarker(requestId: string, comment?: string): string {
  return [`${MARKER} request=${requestId}`, comment].filter(Boolean).join(' ');
}

/** The creating request's id, or undefined when the text carries no marker (an unmanaged user). */
export function creatingRequestOf(text: unknown): string | undefined {
  return MARKER_PATTERN.exec(String(text ?? ''))?.[1];
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
 * system created for another request (adopted), or someone else's (refused).
 */
export function adoptExistingUser(
  name: string,
  requestId: string,
  markerText: unknown,
): { createdByThisRequest: boolean } {
  const creator = creatingRequestOf(markerText);
  if (!creator)
    throw new UnmanagedUserError(`API user ${name} exists on the product but was not created by this system`);
  return { createdByThisRequest: creator === requestId };
}

/** The two users a twin-user credential alternates between: its own name and a twin (`.b`), within 35 characters. */
export function twinsOf(apiUser: string): readonly [string, string] {
  return [apiUser, `${apiUser.slice(0, 33)}.b`];
}

/** The users this system created, from a product's list of users (name field, marker field). */
export function managedUsersIn(
  list: unknown,
  nameField: string,
  markerField: string,
): { name: string; requestId: string }[] {
  return (Array.isArray(list) ? list : []).flatMap((user: Record<string, unknown>) => {
    const requestId = creatingRequestOf(user?.[markerField]);
    const name = user?.[nameField];
    return requestId && typeof name === 'string' ? [{ name, requestId }] : [];
  });
}
