/**
 * The one interface every product adapter implements. Each operation is idempotent:
 * create-if-absent, delete-if-present, so a retried workflow step does no work twice.
 * Adapters throw only the typed errors of ../errors.ts.
 */
import type { TargetDefinition, VendorName } from '../requests.ts';

export interface VendorCapabilities {
  /** The product has an admin profile the system creates when absent. */
  readonly accessProfiles: boolean;
  /** Keys are generated through an API (false: an operator task issues them). */
  readonly automaticKeyIssue: boolean;
  /** Rotation without downtime alternates two twin users. */
  readonly twinUsers: boolean;
}

export interface AccessProfileSpec {
  readonly name: string;
  readonly permissions: Readonly<Record<string, 'none' | 'read' | 'read-write'>>;
}

export interface ApiUserSpec {
  readonly name: string;
  readonly profile: string;
  /** Normalized CIDR strings, never 0.0.0.0/0. */
  readonly trustedHosts: readonly string[];
  readonly vdom: string;
  /** Identifies the request that creates the user; stored on the product so a retry or a compensation recognizes it. */
  readonly requestId: string;
  readonly comment?: string;
}

export interface EnsureResult {
  /** True when the object now exists because of this request (created now, or by an earlier attempt of the same request). */
  readonly createdByThisRequest: boolean;
}

export interface ManagedUser {
  readonly name: string;
  /** The request id recorded on the user when this system created it. */
  readonly requestId: string;
}

/** Key material. Lives only inside the Lambda invocation that issued it, on its way to Secrets Manager. */
export interface IssuedKey {
  readonly key: string;
}

export type VerifyOutcome = 'accepted' | 'rejected';

export interface Vendor {
  readonly name: VendorName;
  readonly capabilities: VendorCapabilities;
  ensureAccessProfile(spec: AccessProfileSpec): Promise<EnsureResult>;
  /** Creates the user, adopts one this system manages, refuses an unmanaged one (UnmanagedUserExists). */
  ensureUser(spec: ApiUserSpec): Promise<EnsureResult>;
  /** The user as this system recorded it, or undefined when absent or not managed by this system. */
  findManagedUser(name: string): Promise<ManagedUser | undefined>;
  issueKey(apiUser: string): Promise<IssuedKey>;
  /** Calls the product with the credential: 'rejected' means the product refused it (not a transport error). */
  verify(key: string): Promise<VerifyOutcome>;
  /** Deletes the user if present. Returns whether it existed. */
  revoke(apiUser: string): Promise<{ readonly removed: boolean }>;
}

/** Everything an adapter needs to reach one target. */
export interface VendorContext {
  readonly target: TargetDefinition;
  /** Per-request timeout in milliseconds. */
  readonly timeoutMs?: number;
}

export type VendorFactory = (context: VendorContext) => Vendor;
