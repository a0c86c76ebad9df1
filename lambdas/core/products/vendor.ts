/**
 * The one interface every product adapter implements. A product either issues keys through its API
 * (`issuance: 'api'`) or only in its own UI (`issuance: 'operator'`), where an operator task hands
 * the downloaded credential in. Every operation is idempotent: create-if-absent, delete-if-present.
 * Adapters throw only the typed errors of ../errors.ts.
 */
import type { ProvisionRequest, TargetDefinition } from '../requests.ts';
import type { FleetSelector } from '../schemas.ts';
import type { CredentialRef } from './managed-user.ts';
import type { CredentialMaterial } from './material.ts';

export type { CredentialMaterial } from './material.ts';

export interface VendorCapabilities {
  /** Who creates users and keys: this system through the product's API, or an operator in the product's UI. */
  readonly issuance: 'api' | 'operator';
  /** The product has an admin profile the system creates when absent. */
  readonly accessProfiles: boolean;
  /** Rotation without downtime alternates two twin users. */
  readonly twinUsers: boolean;
  /** The stored credential is exchanged for short-lived bearer tokens that this system mints and keeps. */
  readonly tokenBroker: boolean;
  /** Most keys one product user may hold (documented limit), checked before an operator is asked for another. */
  readonly maxKeysPerUser?: number;
  /**
   * The product locks a source address out after `threshold` refused key checks within `windowMs`
   * (every execution calls from the provisioner's one address); absent where no such lockout is known.
   */
  readonly keyLockout?: { readonly threshold: number; readonly windowMs: number };
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
  /** The credential the user serves, stored with it so only this credential's workflows adopt, re-key or delete it. */
  readonly credential: CredentialRef;
  readonly comment?: string;
  /** FortiManager: the JSON-RPC access the user gets (absent: read). */
  readonly rpcPermit?: 'read' | 'read-write';
}

interface EnsureResult {
  /** True when the object now exists because of this request (created now, or by an earlier attempt of the same request). */
  readonly createdByThisRequest: boolean;
}

export interface ManagedUser {
  readonly name: string;
  /** The request id recorded on the user when this system created it. */
  readonly requestId: string;
  /** The credential its marker names (absent on users marked before markers named one). */
  readonly credential?: CredentialRef;
}

/** A short-lived bearer token minted from the stored credential (token-broker products). */
export interface AccessToken {
  readonly token: string;
  readonly expiresAt: string;
}

/**
 * What the product said of a credential. `rejected`: refused now (revoked, replaced, not yet
 * propagated, outside its trusted hosts). `broken`: refused for a reason no retry cures (its
 * owner lost the needed role or was deactivated); `reason` says which, without material.
 * `inconclusive`: the answer proves neither (a permission error of an authenticated caller, an ambiguous status); never a proof of refusal.
 */
export interface VerifyResult {
  readonly outcome: 'accepted' | 'rejected' | 'broken' | 'inconclusive';
  readonly reason?: string;
  /** Token-broker products: the bearer token the successful exchange produced, for the broker's secret. */
  readonly accessToken?: AccessToken;
}

/** A proof that the product refuses the credential: `rejected` or `broken`, never `inconclusive`. */
export function provesRefusal(result: VerifyResult): boolean {
  return result.outcome === 'rejected' || result.outcome === 'broken';
}

interface VendorBase {
  /** The product's name in the product list (typed as a string: the list is built from the adapters). */
  readonly name: string;
  readonly capabilities: VendorCapabilities;
  /** Calls the product with the credential (a transport failure throws; a refusal is a result). */
  verify(material: CredentialMaterial): Promise<VerifyResult>;
}

/** Products whose API creates users and issues keys. */
export interface ApiVendor extends VendorBase {
  readonly capabilities: VendorCapabilities & { readonly issuance: 'api' };
  ensureAccessProfile(spec: AccessProfileSpec): Promise<EnsureResult>;
  /** Creates the user, adopts one this system manages, refuses an unmanaged one (UnmanagedUserExists). */
  ensureUser(spec: ApiUserSpec): Promise<EnsureResult>;
  /** The user as this system recorded it, or undefined when absent or not managed by this system. */
  findManagedUser(name: string): Promise<ManagedUser | undefined>;
  /** Every API user on the product that this system created (reconciliation looks for orphans among them). */
  listManagedUsers(): Promise<ManagedUser[]>;
  /**
   * Where a product is a cluster whose other members are reachable (FortiOS HA): each member's own
   * list of those users, which a stalled configuration sync lets differ from the primary's.
   */
  listManagedUsersOnMembers?(): Promise<{ readonly host: string; readonly users: ManagedUser[] }[]>;
  /** Key material lives only inside the Lambda invocation that issued it, on its way to Secrets Manager. */
  issueKey(apiUser: string): Promise<{ readonly key: string }>;
  /** Deletes the user if present. Returns whether it existed. */
  revoke(apiUser: string): Promise<{ readonly removed: boolean }>;
  /**
   * Where a product's keys live and die with their user: whether the credential's user is gone,
   * asked with the admin credential, so proving a dead key costs no refused key login. `rejected`:
   * the product answers that it holds no such user (the proof); `accepted`: it still holds this
   * credential's user; `inconclusive`: anything else (a same-named user of another credential).
   */
  proveRevoked?(apiUser: string, credential: CredentialRef): Promise<VerifyResult>;
  /** Fleet targets: the managed devices a request's selector names, as their manager lists them. */
  fleetDevices?(selector: FleetSelector): Promise<string[]>;
  /** The product's admin credential rotates between two admin users (absent: it does not, say why in its README). */
  readonly adminTwins?: AdminTwins;
  /** The adapter's CLI login rotates between two admin users too (products whose adapter logs in over SSH). */
  readonly loginTwins?: LoginTwins;
}

/**
 * The adapter's own admin credential rotates like a credential with twin users: a key on the
 * other admin user, verified, then the old admin user removed. Each adapter instance acts with the
 * admin credential of the target it was built for.
 */
export interface AdminTwins {
  /**
   * Creates `twin` as a copy of the admin user `current` (profile, scopes, trusted hosts), marked
   * `marker`; adopts a `twin` carrying that marker; refuses any other (UnmanagedUserExists).
   */
  ensureAdminTwin(current: string, twin: string, marker: string): Promise<void>;
  /** An authenticated admin read with this adapter's admin credential: `accepted` only if it administers. */
  verifyAdmin(): Promise<VerifyResult>;
  /**
   * Deletes the admin user `name` if present, then asks, with this adapter's admin credential,
   * whether the product still holds it: `rejected` (gone, its key with it) is the proof. With
   * `marker`, a user not carrying it is left alone and answered `inconclusive`.
   */
  retireAdmin(name: string, marker?: string): Promise<VerifyResult>;
}

/**
 * The adapter's CLI login (an admin with a password) rotates as its admin token does: the twin gets
 * a new password through the admin API, a login proves it, then `AdminTwins.retireAdmin` removes
 * the old admin user.
 */
export interface LoginTwins {
  /**
   * Creates `twin` as a copy of the login admin `current` (profile, scopes, trusted hosts) with
   * `password`, marked `marker`; a `twin` carrying that marker gets `password`; any other is
   * refused (UnmanagedUserExists).
   */
  ensureLoginTwin(current: string, twin: string, marker: string, password: string): Promise<void>;
  /** A login with this adapter's CLI credential and a read: `accepted`, or `rejected` when the login is refused. */
  verifyLogin(): Promise<VerifyResult>;
}

/** What a person must do in the product's UI, for the action-required event and `provisioner tasks`. */
export interface OperatorInstructions {
  readonly summary: string;
  readonly steps: readonly string[];
  /** The file or text `provisioner submit` expects. */
  readonly expects: string;
}

/** What operator instructions are written from: the request's names, never material. */
export type OperatorRequest = Pick<
  ProvisionRequest,
  'apiUser' | 'ticket' | 'serviceUser' | 'permissionProfile'
>;

/**
 * `provision`: the first credential. `rotate`: a second one beside the current, which keeps working
 * until the rotation retires it (the overlap consumers need).
 */
export type OperatorPurpose = 'provision' | 'rotate';

export interface SubmitHints {
  /** When the submitted credential expires (products whose UI sets an expiry). */
  readonly expiresAt?: string;
}

/** Products that issue credentials only in their own UI: an operator task hands them in. */
export interface OperatorVendor extends VendorBase {
  readonly capabilities: VendorCapabilities & { readonly issuance: 'operator' };
  instructions(request: OperatorRequest, purpose: OperatorPurpose): OperatorInstructions;
  /** Parses the product's own credential file; a clear ValidationError (never echoing the file) otherwise. */
  parseCredentialFile(text: string, hints: SubmitHints): CredentialMaterial;
  /**
   * `verify` that also refuses (ValidationError) a handed-in credential the product says belongs to
   * another product user than the credential's service user, from the same call; absent where the
   * product cannot tell.
   */
  verifyOwnedBy?(material: CredentialMaterial, serviceUser: string): Promise<VerifyResult>;
  /**
   * Revokes what the system itself can revoke (brokered tokens); `operatorAction` says what a person
   * must still do in the product's UI (delete the key or user), or is absent when nothing is left.
   */
  revoke(
    material: CredentialMaterial,
    accessToken?: AccessToken,
  ): Promise<{ readonly removed: boolean; readonly operatorAction?: string }>;
}

export type Vendor = ApiVendor | OperatorVendor;

/** Everything an adapter needs to reach one target. */
export interface VendorContext<T extends { readonly vendor: string } = TargetDefinition> {
  readonly target: T;
  /** Per-request timeout in milliseconds. */
  readonly timeoutMs?: number;
}
