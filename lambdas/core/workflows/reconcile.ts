/**
 * Reconciliation: compares Secrets Manager with each target. It finds API users this
 * system created that no credential accounts for (orphans), credentials their product no longer
 * accepts (broken), credentials whose state its answer could not establish (inconclusive: neither
 * broken nor working), credentials whose check failed (unverified), and credentials near their
 * expiry; it repairs only what is safe: an orphan is removed (its key is in no secret, so nobody
 * can be using it) once DescribeSecret confirms that no secret of its name exists, since ListSecrets
 * may miss the last minutes' secrets, and once its creating execution ended more than that listing
 * lag ago (LISTING_LAG_SECONDS); until then it is reported only. On twin-user products it also
 * finds drift a configuration restore, an RMA or a stalled HA sync leaves (`detectTwinDrift`, a
 * pure function of what was read), which the target policy's `repair: fix` undoes where it safely
 * can: a resurrected retired twin of this credential deleted, a broken current key re-issued by a
 * rotation.
 */
import * as z from 'zod';
import { LISTING_LAG_SECONDS } from '../config.ts';
import { expiryOf } from '../credential-expiry.ts';
import type { WorkflowStarter } from '../deactivation.ts';
import { excerpt, ProvisionerError, ValidationError } from '../errors.ts';
import { ExecutionName, executionNameFor } from '../execution-names.ts';
import { CURRENT, credentialSecretName, PENDING, SECRET_PREFIX } from '../names.ts';
import { asApiVendor } from '../products/adapters.ts';
import { materialOf } from '../products/index.ts';
import {
  type CredentialRef,
  proveUsersGone,
  removeCredentialUser,
  servesCredential,
  twinsOf,
} from '../products/managed-user.ts';
import type { AccessPolicy } from '../products/policy.ts';
import {
  type AccessToken,
  type ApiVendor,
  type CredentialMaterial,
  type ManagedUser,
  provesRefusal,
  type Vendor,
  type VerifyResult,
} from '../products/vendor.ts';
import type { TargetDefinition } from '../requests.ts';
import { CredentialTarget, parseInput } from '../schemas.ts';
import { credentialStatus, versionWithStage } from '../secrets.ts';
import type { WorkflowDeps } from '../workflow-deps.ts';
import { keepAccessToken, vendorOf } from '../workflow-deps.ts';
import { staleAdminCredentials } from './admin-rotate.ts';
import type { RotateRequest } from './rotate.ts';

/** Credentials this close to their expiry are reported. */
const EXPIRY_WARNING_DAYS = 14;

export interface ReconcileDeps extends WorkflowDeps {
  /**
   * Whether the execution that created a user still runs or stopped less than `withinMs` ago (then
   * its secret may not exist yet, or not be listed yet).
   */
  readonly executionRecent: (requestId: string, withinMs: number) => Promise<boolean>;
  /** Starts rotate executions: `repair: fix` re-issues a broken current key through the twin path. */
  readonly rotations: WorkflowStarter;
}

/**
 * Drift of a twin-user product that reconciliation can tell apart (docs/target-policy.md, "repair"):
 * a retired twin a configuration restore brought back, a current key its existing user no longer
 * accepts (a restore of an older key, an RMA), an HA member whose users differ from the primary's.
 */
const DriftKind = z.enum(['retired-twin-restored', 'current-key-broken', 'ha-member-out-of-sync']);

export const DriftFinding = z
  .object({
    kind: DriftKind,
    /** The secret of the credential the user serves. */
    credential: z.string().max(512),
    user: z.string().max(35),
    detail: z.string().max(400),
    /**
     * `reported`: left for a person; `removed`: the resurrected twin deleted and proven gone;
     * `rotation-started`: a rotation (`execution`) re-issues the key on the other twin.
     */
    repair: z.enum(['reported', 'removed', 'rotation-started']),
    execution: ExecutionName.optional(),
  })
  .strict();
export type DriftFinding = z.output<typeof DriftFinding>;

export const TargetDrift = z.object({
  target: z.string(),
  checked: z.number().int(),
  orphans: z.array(z.string()),
  repaired: z.array(z.string()),
  broken: z.array(z.string()),
  inconclusive: z.array(z.string()),
  /** Credentials whose check failed (transport or product error): neither accepted nor refused. */
  unverified: z.array(z.string()),
  expiring: z.array(z.string()),
  /** The target's own admin credential, older than its policy allows (docs/cli.md, `target rotate`). */
  staleAdmins: z.array(z.string()),
  findings: z.array(DriftFinding).default([]),
  /**
   * How many findings of each kind there were, when the lists above are a sample of them (the
   * workflow's per-target result, `boundDrift`); absent, the lists are complete. Twin-user drift
   * counts as `findings.<kind>.<repair>`.
   */
  counts: z.record(z.string(), z.number().int().nonnegative()).optional(),
  /** The target's product, and its credentials by status tag: the dashboard's counts. */
  vendor: z.string().optional(),
  statuses: z.record(z.string(), z.number().int()).optional(),
});
export type TargetDrift = z.output<typeof TargetDrift>;

/** Every list of a target's result is a kind of finding (any kind added later included). */
type FindingKind = {
  [K in keyof TargetDrift]-?: TargetDrift[K] extends string[] ? K : never;
}[keyof TargetDrift];
const FINDING_KINDS = Object.entries(TargetDrift.shape)
  .filter(([, schema]) => schema instanceof z.ZodArray)
  .map(([kind]) => kind as FindingKind);

/**
 * The bounds that keep reconciliation within Step Functions' 256 KiB per state (the Map's results
 * and ReportDrift's) and the drift event within 256 KB (EventBridge's entry limit before 2026, still
 * SNS's and SQS's message limit; docs/embedded-default.md, "Reconcile results"): one finding is at
 * most FINDING_MAX_CHARS characters; all targets' samples share RESULTS_SAMPLE_BYTES, at most
 * TARGET_SAMPLE_MAX_BYTES each; the event's lists take at most EVENT_SAMPLE_BYTES. The counts stay
 * complete, and every finding is in ReconcileTarget's log (`reconcile findings`).
 */
const FINDING_MAX_CHARS = 300;
const RESULTS_SAMPLE_BYTES = 96 * 1024;
const TARGET_SAMPLE_MAX_BYTES = 8 * 1024;
const EVENT_SAMPLE_BYTES = 128 * 1024;
/** Findings a log line holds: a line stays far below CloudWatch Logs' event size. */
const FINDINGS_PER_LOG_LINE = 100;

const ReconcileTargetInput = z
  .object({
    target: CredentialTarget,
    /** This target's share of the sample bytes (ListTargets divides them among the targets). */
    sampleBytes: z.number().int().min(0).max(TARGET_SAMPLE_MAX_BYTES).optional(),
  })
  .strict();

/**
 * Takes findings from every list in turn (the first of each kind, then the second...) while they
 * fit in `budget` UTF-8 bytes, so that no kind crowds the others out of a sample.
 */
function sampleOf(lists: Record<string, readonly string[]>, budget: number): Record<string, string[]> {
  const sample: Record<string, string[]> = Object.fromEntries(Object.keys(lists).map((kind) => [kind, []]));
  let left = budget;
  const longest = Math.max(0, ...Object.values(lists).map((list) => list.length));
  for (let index = 0; index < longest && left > 0; index++) {
    for (const [kind, list] of Object.entries(lists)) {
      const finding = list[index];
      if (finding === undefined) continue;
      const bounded = excerpt(finding, FINDING_MAX_CHARS);
      // A finding costs its bytes, its quotes and a comma in the JSON that carries it.
      const cost = Buffer.byteLength(JSON.stringify(bounded)) + 1;
      if (cost > left) {
        left = 0;
        break;
      }
      left -= cost;
      sample[kind]?.push(bounded);
    }
  }
  return sample;
}

/** The first twin-user findings that fit in `budget` bytes (DriftFinding bounds each one). */
function sampleFindings(findings: readonly DriftFinding[], budget: number): DriftFinding[] {
  const sample: DriftFinding[] = [];
  let left = budget;
  for (const finding of findings) {
    const cost = Buffer.byteLength(JSON.stringify(finding)) + 1;
    if (cost > left) break;
    left -= cost;
    sample.push(finding);
  }
  return sample;
}

/** Twin-user findings take half a sample's bytes when there are any, the lists the rest. */
function splitBudget(findings: readonly DriftFinding[], budget: number) {
  const forFindings = findings.length > 0 ? Math.floor(budget / 2) : 0;
  return { forFindings, forLists: budget - forFindings };
}

const findingCountKey = (finding: DriftFinding) => `findings.${finding.kind}.${finding.repair}`;

function countsOf(drift: TargetDrift): Record<string, number> {
  if (drift.counts) return drift.counts;
  // A kind without findings is left out: at hundreds of targets the zeros alone would fill the state.
  const counts: Record<string, number> = Object.fromEntries(
    FINDING_KINDS.filter((kind) => drift[kind].length > 0).map((kind) => [kind, drift[kind].length]),
  );
  for (const finding of drift.findings)
    counts[findingCountKey(finding)] = (counts[findingCountKey(finding)] ?? 0) + 1;
  return counts;
}

/**
 * What a count adds to the drift a person must look at: a repaired orphan takes one off; a
 * twin-user finding only reported adds one, but a broken current key is among `broken` already, and
 * one a rotation re-issues counts as repaired (as a removed orphan does).
 */
function driftWeight(countKey: string): number {
  if (countKey === 'repaired') return -1;
  const finding = /^findings\.([a-z-]+)\.([a-z-]+)$/.exec(countKey);
  if (!finding) return 1;
  const [, kind, repair] = finding;
  if (kind === 'current-key-broken') return repair === 'rotation-started' ? -1 : 0;
  return repair === 'reported' ? 1 : 0;
}

/** A target's result as the workflow carries it: complete counts and a sample of each kind. */
export function boundDrift(drift: TargetDrift, input: unknown): TargetDrift {
  const { sampleBytes = TARGET_SAMPLE_MAX_BYTES } = parseInput(
    ReconcileTargetInput,
    input,
    'reconcile input',
  );
  const { forFindings, forLists } = splitBudget(drift.findings, sampleBytes);
  const lists = Object.fromEntries(FINDING_KINDS.map((kind) => [kind, drift[kind]]));
  return {
    ...drift,
    ...sampleOf(lists, forLists),
    findings: sampleFindings(drift.findings, forFindings),
    counts: countsOf(drift),
  };
}

/** Every finding of a target, as log lines of at most FINDINGS_PER_LOG_LINE findings. */
export function findingLogLines(
  drift: TargetDrift,
): { target: string; kind: string; findings: readonly unknown[] }[] {
  const kinds: [string, readonly unknown[]][] = [
    ...FINDING_KINDS.map((kind): [string, readonly unknown[]] => [kind, drift[kind]]),
    ['findings', drift.findings],
  ];
  return kinds.flatMap(([kind, findings]) => {
    const lines = [];
    for (let from = 0; from < findings.length; from += FINDINGS_PER_LOG_LINE)
      lines.push({
        target: drift.target,
        kind,
        findings: findings.slice(from, from + FINDINGS_PER_LOG_LINE),
      });
    return lines;
  });
}

/** An operator task due within this long is near its deadline: the daily report raises the alarm once before. */
const NEAR_DEADLINE_MS = 86_400_000;

/** Why one credential's check failed, for the report: a typed error's name and message (secret-free), else only its name. */
function failureOf(error: unknown): string {
  if (error instanceof ProvisionerError) return `${error.name}: ${excerpt(error.message, 200)}`;
  return `unexpected ${error instanceof Error ? error.name : 'failure'}`;
}

/**
 * The reconcile workflow's execution input (the console's, the CLI's; the daily rule sends `{}`):
 * every target, or only the one named; `"dryRun": true` returns the plan of that one target
 * (plans.ts) and changes nothing.
 */
export const ReconcileRequest = z
  .object({
    target: CredentialTarget.optional().describe(
      'Reconciles only this target (a fleet: each of its devices; `<fleet>.<device>`: that one); a plan needs it',
    ),
    dryRun: z
      .boolean()
      .optional()
      .describe(
        "true: the execution only returns the plan (each finding and the repair the target's policy would make) and changes nothing",
      ),
  })
  .strict();

/**
 * ListTargets: every registered target, or the one the request names; a fleet target
 * (products/fortigate-fleet) as each of its devices, `<fleet>.<device>`, since its credentials and
 * users live on the devices one by one. Each gets its share of the sample bytes.
 */
export async function listTargets(
  deps: WorkflowDeps,
  input: unknown = {},
): Promise<{ targets: string[]; sampleBytes: number }> {
  const { target: only } = parseInput(ReconcileRequest, input, 'reconcile request');
  const targets: string[] = [];
  for (const { name, vendor } of await deps.store.listTargets()) {
    const definition = vendor === 'fortigate-fleet' ? await deps.store.loadTarget(name) : undefined;
    const names =
      definition?.vendor === 'fortigate-fleet'
        ? Object.keys(definition.devices).map((device) => `${name}.${device}`)
        : [name];
    targets.push(...(only === undefined || only === name ? names : names.filter((n) => n === only)));
  }
  if (only !== undefined && targets.length === 0)
    throw new ValidationError(`no target ${only} to reconcile (provisioner target list names them)`);
  const share = Math.floor(RESULTS_SAMPLE_BYTES / Math.max(1, targets.length));
  return { targets, sampleBytes: Math.min(share, TARGET_SAMPLE_MAX_BYTES) };
}

/**
 * How a read treats a token broker's credential: checked as the run checks it, which mints an
 * access token (a product-side change) that `keep` stores at once, since the product may have
 * killed the previous one already; or `withhold`: never presented (a plan), and what its stored
 * token shows said instead.
 */
type BrokerChecks = { readonly keep: (secretName: string, token: AccessToken) => Promise<void> } | 'withhold';

/** What finding drift reads: the workflow's deps and whether a user's creating execution is recent. */
export type DriftReadDeps = Omit<ReconcileDeps, 'rotations'>;

/**
 * What reconciliation read of one target, before any repair: its drift (orphans listed, nothing
 * repaired, no twin-user finding yet) and what the repairs would act on.
 */
export interface TargetReading {
  readonly drift: TargetDrift;
  readonly target: TargetDefinition;
  readonly vendor: Vendor;
  readonly api?: ApiVendor;
  readonly repair: AccessPolicy['repair'];
  /** The active credentials, by secret name. */
  readonly active: readonly string[];
  /** Orphans whose creating execution ended more than the listing lag ago: removed by the run. */
  readonly removable: readonly string[];
  /** Twin-user drift that is no workflow's own state. */
  readonly candidates: readonly DriftCandidate[];
  /** Brokered credentials not presented (`withhold`), each with why and what its stored token shows. */
  readonly withheld: readonly string[];
}

export async function reconcileTarget(deps: ReconcileDeps, input: unknown): Promise<TargetDrift> {
  const { target: targetName } = parseInput(ReconcileTargetInput, input, 'reconcile input');
  const reading = await findDrift(deps, targetName, {
    // The check minted the product's one live token: keep it, as the broker always does.
    keep: (secretName, token) => keepAccessToken(deps, secretName, token),
  });
  const { drift, api } = reading;
  if (!api) return drift;
  for (const user of reading.removable) {
    await api.revoke(user);
    drift.repaired.push(user);
  }
  for (const candidate of reading.candidates)
    drift.findings.push(await repairFinding(deps, api, candidate, reading.repair));
  return drift;
}

/**
 * Reconciliation's drift finding, with no write of any kind: Secrets Manager and the products are
 * only read (a broker's credential, whose check mints a token, only when `brokers` keeps it), no
 * execution is started, nothing is published. `reconcileTarget` repairs what it finds; a plan describes it.
 */
export async function findDrift(
  deps: DriftReadDeps,
  targetName: string,
  brokers: BrokerChecks,
): Promise<TargetReading> {
  const { vendor, target } = await vendorOf(deps, targetName);
  const credentials = await deps.store.listByTarget(targetName);
  const statuses: Record<string, number> = {};
  for (const credential of credentials) {
    const status = credentialStatus(credential) ?? 'untagged';
    statuses[status] = (statuses[status] ?? 0) + 1;
  }
  const drift: TargetDrift = {
    target: targetName,
    checked: 0,
    orphans: [],
    repaired: [],
    broken: [],
    inconclusive: [],
    unverified: [],
    expiring: [],
    findings: [],
    vendor: target.vendor,
    statuses,
    staleAdmins: [],
  };
  drift.staleAdmins.push(...(await staleAdminCredentials(deps, targetName, target)));
  const api = vendor.capabilities.issuance === 'api' ? asApiVendor(vendor) : undefined;
  const users = api ? await api.listManagedUsers() : [];
  const observed: ObservedCredential[] = [];
  const active: string[] = [];
  const withheld: string[] = [];
  const soon = deps.now().getTime() + EXPIRY_WARNING_DAYS * 86_400_000;
  const check = keyChecker(deps, vendor, targetName);
  for (const credential of credentials) {
    if (credentialStatus(credential) !== 'active') continue;
    active.push(credential.name);
    if (brokers === 'withhold' && vendor.capabilities.tokenBroker) {
      // A broker's credential carries no expiry of its own (credential-expiry.ts): nothing more to note.
      withheld.push(await withheldCheck(deps, credential.name));
      continue;
    }
    drift.checked += 1;
    const current = versionWithStage(credential, CURRENT);
    if (!current) {
      drift.broken.push(`${credential.name}: no current version`);
      continue;
    }
    const apiUser = credential.name.slice(`${SECRET_PREFIX}${targetName}/`.length);
    const pending = versionWithStage(credential, PENDING);
    let currentUser = apiUser;
    let expiresAt: string | undefined;
    // One credential's failed check is reported; the target's other credentials are still checked.
    const result = await deps.store
      .readVersion(credential.arn, current)
      .then((stored) => {
        currentUser = stored.apiUser;
        const material = materialOf(target.vendor, stored);
        expiresAt = expiryOf(material);
        return check(apiUser, material);
      })
      .catch((error: unknown) => {
        drift.unverified.push(`${credential.name}: not verified (${failureOf(error)})`);
        return undefined;
      });
    observed.push({
      apiUser,
      currentUser,
      currentVersion: current,
      rotating: pending !== undefined && pending !== current,
      keyRefused: result !== undefined && provesRefusal(result),
    });
    if (result?.outcome === 'inconclusive') {
      drift.inconclusive.push(`${credential.name}: ${result.reason ?? 'no reason given'}`);
    } else if (result && result.outcome !== 'accepted') {
      drift.broken.push(`${credential.name}: ${result.outcome}${result.reason ? ` (${result.reason})` : ''}`);
    } else if (result?.accessToken) {
      // The check minted the product's one live token: keep it, as the broker always does.
      if (brokers !== 'withhold') await brokers.keep(credential.name, result.accessToken);
    }
    if (expiresAt && Date.parse(expiresAt) < soon)
      drift.expiring.push(`${credential.name}: expires ${expiresAt}`);
  }
  const repair = target.policy && 'repair' in target.policy ? target.policy.repair : undefined;
  const reading = { drift, target, vendor, api, repair, active, withheld };
  if (!api) return { ...reading, removable: [], candidates: [] };
  const accounted = new Set(credentials.map((c) => c.name.slice(`${SECRET_PREFIX}${targetName}/`.length)));
  const removable: string[] = [];
  for (const user of users) {
    // Only what this target created is judged: another target on the same device (another VDOM)
    // reconciles its own, and a user whose marker names no credential is not provably anyone's.
    const credential = user.credential;
    if (credential?.target !== targetName) continue;
    const names = vendor.capabilities.twinUsers ? twinsOf(credential.apiUser) : [credential.apiUser];
    if (names.includes(user.name)) {
      if (accounted.has(credential.apiUser)) continue;
      // ListSecrets may not show a secret written in the last minutes: its own name settles it.
      if (await secretHeld(deps, targetName, credential.apiUser)) continue;
    }
    drift.orphans.push(user.name);
    // The product's users carry no creation time: the creating execution's end stands for it.
    if (!(await deps.executionRecent(user.requestId, LISTING_LAG_SECONDS * 1000))) removable.push(user.name);
  }
  if (!vendor.capabilities.twinUsers) return { ...reading, removable, candidates: [] };
  const detected = detectTwinDrift({
    target: targetName,
    credentials: observed,
    users,
    members: (await api.listManagedUsersOnMembers?.()) ?? [],
  });
  const candidates: DriftCandidate[] = [];
  for (const candidate of detected) if (!(await rotationsOwn(deps, candidate))) candidates.push(candidate);
  return { ...reading, removable, candidates };
}

/**
 * Why a plan did not present a broker's credential, and what its stored access token shows: a
 * token still valid was minted from a credential the product accepted then.
 */
async function withheldCheck(deps: WorkflowDeps, secretName: string): Promise<string> {
  const stored = await deps.store.readAccessToken(secretName);
  const expiresAt = stored?.expiresAt;
  if (!expiresAt)
    return `${secretName}: not checked: it has no stored access token, and checking it would mint one, which a plan does not`;
  if (Date.parse(expiresAt) <= deps.now().getTime())
    return `${secretName}: not checked: its stored access token expired at ${expiresAt}, and checking it would mint one, which a plan does not`;
  return `${secretName}: not presented: checking it mints a new access token (a product-side change a plan does not make); its stored token, minted ${stored.mintedAt}, is valid until ${expiresAt}`;
}

/**
 * Whether a candidate is a workflow's own state rather than drift: a user made or retired by an
 * execution still running (a rotation's grace period keeps both twins), or a credential whose
 * AWSCURRENT moved on since ListSecrets showed it (DescribeSecret reads the present; the listing
 * may lag behind a rotation that just promoted).
 */
async function rotationsOwn(deps: DriftReadDeps, candidate: DriftCandidate): Promise<boolean> {
  const running = await Promise.all(candidate.excusedBy.map((id) => deps.executionRecent(id, 0)));
  if (running.some(Boolean)) return true;
  if (!candidate.currentVersion) return false;
  const secret = await deps.store.describe(
    credentialSecretName(candidate.credential.target, candidate.credential.apiUser),
  );
  const current = secret && versionWithStage(secret, CURRENT);
  const pending = secret && versionWithStage(secret, PENDING);
  return current !== candidate.currentVersion || (pending !== undefined && pending !== current);
}

/** What reconciliation read of one active credential, for the detection below. */
export interface ObservedCredential {
  /** The name it was provisioned under (its secret's last part). */
  readonly apiUser: string;
  /** The twin its AWSCURRENT key belongs to. */
  readonly currentUser: string;
  readonly currentVersion: string;
  /** A version is AWSPENDING beside AWSCURRENT: a rotation is between issuing and promoting. */
  readonly rotating: boolean;
  /** The product refused the AWSCURRENT key (or proved its users gone). */
  readonly keyRefused: boolean;
}

/**
 * A finding before its repair: the AWSCURRENT version it was read against (credential findings),
 * and the executions whose still running would make it a workflow's own state.
 */
export interface DriftCandidate {
  readonly kind: DriftFinding['kind'];
  readonly credential: CredentialRef;
  readonly user: string;
  readonly detail: string;
  readonly currentVersion?: string;
  readonly excusedBy: readonly string[];
}

/**
 * Twin-user drift, a pure function of what reconciliation read: the target's active credentials,
 * the users this system made as the product lists them, and each HA member's own list. Only users
 * whose marker names one of this target's credentials are judged.
 */
export function detectTwinDrift(read: {
  readonly target: string;
  readonly credentials: readonly ObservedCredential[];
  readonly users: readonly ManagedUser[];
  readonly members: readonly { readonly host: string; readonly users: readonly ManagedUser[] }[];
}): DriftCandidate[] {
  const candidates: DriftCandidate[] = [];
  const held = (name: string, credential: CredentialRef) =>
    read.users.find((u) => u.name === name && servesCredential(u, credential));
  for (const observed of read.credentials) {
    const credential = { target: read.target, apiUser: observed.apiUser };
    const current = held(observed.currentUser, credential);
    const retiredName = twinsOf(observed.apiUser).find((name) => name !== observed.currentUser);
    const retired = retiredName && !observed.rotating ? held(retiredName, credential) : undefined;
    if (retired) {
      candidates.push({
        kind: 'retired-twin-restored',
        credential,
        user: retired.name,
        detail: `the retired twin ${retired.name} is on the product again (created by ${retired.requestId}), though AWSCURRENT is ${observed.currentUser}'s key: a configuration restore brings back a deleted user with its old key`,
        currentVersion: observed.currentVersion,
        excusedBy: [retired.requestId, ...(current ? [current.requestId] : [])],
      });
    }
    if (current && observed.keyRefused && !observed.rotating) {
      candidates.push({
        kind: 'current-key-broken',
        credential,
        user: current.name,
        detail: `the product refuses the AWSCURRENT key while its user ${current.name} exists: a restore of an older key or a replaced device (RMA)`,
        currentVersion: observed.currentVersion,
        excusedBy: [current.requestId],
      });
    }
  }
  const ours = (users: readonly ManagedUser[]) =>
    new Map(users.filter((u) => u.credential?.target === read.target).map((u) => [u.name, u]));
  const primary = ours(read.users);
  for (const member of read.members) {
    const theirs = ours(member.users);
    for (const name of new Set([...primary.keys(), ...theirs.keys()])) {
      const [onPrimary, onMember] = [primary.get(name), theirs.get(name)];
      const user = onPrimary ?? onMember;
      if (!user?.credential) continue;
      const detail = !onMember
        ? `HA member ${member.host} lacks API user ${name}, which the primary holds`
        : !onPrimary
          ? `HA member ${member.host} holds API user ${name}, which the primary does not`
          : onPrimary.requestId !== onMember.requestId || !servesCredential(onMember, user.credential)
            ? `HA member ${member.host} holds another API user ${name} (created by ${onMember.requestId}) than the primary (created by ${onPrimary.requestId})`
            : undefined;
      if (!detail) continue;
      candidates.push({
        kind: 'ha-member-out-of-sync',
        credential: user.credential,
        user: name,
        detail: `${detail}: its configuration sync stalled`,
        excusedBy: [...new Set([onPrimary?.requestId, onMember?.requestId].filter((id) => id !== undefined))],
      });
    }
  }
  return candidates;
}

/**
 * Under `repair: fix`: a resurrected retired twin is deleted (only when its marker names this very
 * credential, re-read now) and proven gone through the admin API; a broken current key is re-issued
 * by a rotation, named from the finding so a repeated reconciliation starts it once. Everything
 * else, and everything under `report`, is reported.
 */
async function repairFinding(
  deps: ReconcileDeps,
  api: ApiVendor,
  candidate: DriftCandidate,
  repair: AccessPolicy['repair'],
): Promise<DriftFinding> {
  const { kind, credential, user } = candidate;
  const finding = {
    kind,
    credential: credentialSecretName(credential.target, credential.apiUser),
    user,
    detail: excerpt(candidate.detail, 400),
  };
  if (repair !== 'fix') return { ...finding, repair: 'reported' };
  if (kind === 'retired-twin-restored') {
    await removeCredentialUser(api, user, credential);
    const gone: VerifyResult = api.proveRevoked
      ? await api.proveRevoked(user, credential)
      : { outcome: (await api.findManagedUser(user)) ? 'accepted' : 'rejected' };
    if (gone.outcome === 'rejected') return { ...finding, repair: 'removed' };
    return {
      ...finding,
      detail: excerpt(`${candidate.detail}; removal not proven: ${gone.reason ?? gone.outcome}`, 400),
      repair: 'reported',
    };
  }
  if (kind === 'current-key-broken') {
    const { request, execution } = repairRotation(candidate);
    await deps.rotations.start(execution, request);
    return { ...finding, repair: 'rotation-started', execution };
  }
  return { ...finding, repair: 'reported' };
}

/**
 * The rotation that re-issues a broken current key, named from the finding so a repeated
 * reconciliation starts it once.
 */
export function repairRotation(candidate: DriftCandidate): { request: RotateRequest; execution: string } {
  const request: RotateRequest = {
    target: candidate.credential.target,
    apiUser: candidate.credential.apiUser,
  };
  const execution = executionNameFor('rotate', `repair-${candidate.credential.apiUser}`, {
    ...request,
    brokenVersion: candidate.currentVersion,
  });
  return { request, execution };
}

/**
 * Checks a target's credentials one after another without locking the provisioner's address out
 * where the product counts refused key logins (`keyLockout`): a credential whose users the admin
 * API shows gone is refused without presenting its key, and once one refusal short of the
 * threshold fell within the window, the next keys are not presented but reported inconclusive.
 * Every answer but an acceptance counts, as any may have been a refused login on some HA member.
 */
function keyChecker(deps: WorkflowDeps, vendor: Vendor, targetName: string) {
  const lockout = vendor.capabilities.keyLockout;
  const refusedAt: number[] = [];
  return async (apiUser: string, material: CredentialMaterial): Promise<VerifyResult> => {
    const gone =
      vendor.capabilities.issuance === 'api'
        ? await proveUsersGone(asApiVendor(vendor), { target: targetName, apiUser })
        : undefined;
    if (gone?.outcome === 'rejected')
      return { outcome: 'rejected', reason: 'its API user is gone from the product' };
    const now = deps.now().getTime();
    const recent = refusedAt.filter((at) => lockout && now - at < lockout.windowMs);
    if (lockout && recent.length >= lockout.threshold - 1) {
      return {
        outcome: 'inconclusive',
        reason: `not checked with its key: ${recent.length} keys refused on ${targetName} within ${lockout.windowMs / 1000} s, and one more failed login would lock the provisioner's address out`,
      };
    }
    const result = await vendor.verify(material);
    if (result.outcome !== 'accepted') refusedAt.push(deps.now().getTime());
    return result;
  };
}

/** Whether the credential's secret exists, by its name (DescribeSecret reads the present). */
async function secretHeld(deps: WorkflowDeps, target: string, apiUser: string): Promise<boolean> {
  const secret = await deps.store.describe(`${SECRET_PREFIX}${target}/${apiUser}`);
  return secret !== undefined && !secret.deletedDate;
}

const DriftResults = z.object({
  requestId: z.string().max(80),
  results: z
    .array(z.union([TargetDrift, z.object({ target: z.string(), error: z.string() }).passthrough()]))
    .max(1000),
});

/**
 * ReportDrift: one event with every target's findings (complete counts, lists within
 * EVENT_SAMPLE_BYTES: the counts tell how many a list leaves out); the total drift for the metric.
 */
export async function reportDrift(deps: WorkflowDeps, input: unknown) {
  const { requestId, results } = parseInput(DriftResults, input, 'reconcile results');
  const drifts = results.filter((r): r is TargetDrift => 'checked' in r);
  const unreachable = results.filter((r) => !('checked' in r)).map((r) => r.target);
  // Orphans and repaired users are named with their target; the other findings name their secret.
  const named = (d: TargetDrift, kind: FindingKind) =>
    kind === 'orphans' || kind === 'repaired' ? d[kind].map((user) => `${d.target}/${user}`) : d[kind];
  const lists = {
    ...Object.fromEntries(FINDING_KINDS.map((kind) => [kind, drifts.flatMap((d) => named(d, kind))])),
    unreachable,
  };
  const counts: Record<string, number> = { unreachable: unreachable.length };
  for (const drift of drifts)
    for (const [kind, count] of Object.entries(countsOf(drift))) counts[kind] = (counts[kind] ?? 0) + count;
  const driftCount = Object.entries(counts).reduce(
    (total, [key, count]) => total + driftWeight(key) * count,
    0,
  );
  const findings = drifts.flatMap((d) => d.findings);
  const { forFindings, forLists } = splitBudget(findings, EVENT_SAMPLE_BYTES);
  const sample = sampleOf(lists, forLists);
  const report = {
    requestId,
    targets: results.length,
    credentialsChecked: drifts.reduce((n, d) => n + d.checked, 0),
    orphans: sample.orphans ?? [],
    repaired: sample.repaired ?? [],
    broken: sample.broken ?? [],
    inconclusive: sample.inconclusive ?? [],
    unverified: sample.unverified ?? [],
    expiring: sample.expiring ?? [],
    staleAdmins: sample.staleAdmins ?? [],
    unreachable: sample.unreachable ?? [],
    findings: sampleFindings(findings, forFindings),
    counts,
    driftCount,
  };
  // Read before the event is published, so a retried step never publishes it twice.
  const operatorTasks = await waitingTasks(deps);
  await deps.events.publish('credential.drift-report', report);
  return { ...report, credentials: credentialCounts(drifts), operatorTasks };
}

/** Credentials by product and status over every reconciled target, in a stable order. */
function credentialCounts(drifts: readonly TargetDrift[]) {
  const counts = new Map<string, { product: string; status: string; count: number }>();
  for (const { vendor, statuses } of drifts) {
    for (const [status, count] of Object.entries(statuses ?? {})) {
      const product = vendor ?? 'unknown';
      const key = `${product}/${status}`;
      counts.set(key, { product, status, count: (counts.get(key)?.count ?? 0) + count });
    }
  }
  return [...counts.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, c]) => c);
}

/** The operator tasks waiting, from their records' summaries (deadline, when opened). */
async function waitingTasks(deps: WorkflowDeps) {
  const now = deps.now().getTime();
  const tasks = await deps.tasks.list();
  const opened = tasks.flatMap((t) => (t.openedAt ? [t.openedAt.getTime()] : []));
  return {
    waiting: tasks.length,
    oldestAgeSeconds: opened.length > 0 ? Math.round((now - Math.min(...opened)) / 1000) : 0,
    nearDeadline: tasks.filter((t) => {
      const due = Date.parse(t.deadline);
      return Number.isFinite(due) && due - now <= NEAR_DEADLINE_MS;
    }).length,
  };
}
