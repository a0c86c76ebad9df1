/**
 * Reconciliation: compares Secrets Manager with each target. It finds API users this
 * system created that no credential accounts for (orphans), credentials their product no longer
 * accepts (broken), credentials whose state its answer could not establish (inconclusive: neither
 * broken nor working), credentials whose check failed (unverified), and credentials near their
 * expiry; it repairs only what is safe: an orphan is removed (its key is in no secret, so nobody
 * can be using it) once DescribeSecret confirms that no secret of its name exists, since ListSecrets
 * may miss the last minutes' secrets, and once its creating execution ended more than that listing
 * lag ago (LISTING_LAG_SECONDS); until then it is reported only.
 */
import * as z from 'zod';
import { LISTING_LAG_SECONDS } from '../config.ts';
import { excerpt, ProvisionerError } from '../errors.ts';
import { CURRENT, SECRET_PREFIX, TAG } from '../names.ts';
import { materialOf } from '../products/index.ts';
import { proveUsersGone, twinsOf } from '../products/managed-user.ts';
import { asApiVendor } from '../products/registry.ts';
import type { CredentialMaterial, Vendor, VerifyResult } from '../products/vendor.ts';
import { parseInput, TargetName } from '../schemas.ts';
import { versionWithStage } from '../secrets.ts';
import type { WorkflowDeps } from '../workflow-deps.ts';
import { vendorOf } from '../workflow-deps.ts';

/** Credentials this close to their expiry are reported. */
const EXPIRY_WARNING_DAYS = 14;

export interface ReconcileDeps extends WorkflowDeps {
  /**
   * Whether the execution that created a user still runs or stopped less than `withinMs` ago (then
   * its secret may not exist yet, or not be listed yet).
   */
  readonly executionRecent: (requestId: string, withinMs: number) => Promise<boolean>;
}

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
  /**
   * How many findings of each kind there were, when the lists above are a sample of them (the
   * workflow's per-target result, `boundDrift`); absent, the lists are complete.
   */
  counts: z.record(z.string(), z.number().int().nonnegative()).optional(),
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
    target: TargetName,
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

const countsOf = (drift: TargetDrift) =>
  Object.fromEntries(FINDING_KINDS.map((kind) => [kind, drift.counts?.[kind] ?? drift[kind].length]));

/** A target's result as the workflow carries it: complete counts and a sample of each kind. */
export function boundDrift(drift: TargetDrift, input: unknown): TargetDrift {
  const { sampleBytes = TARGET_SAMPLE_MAX_BYTES } = parseInput(
    ReconcileTargetInput,
    input,
    'reconcile input',
  );
  const lists = Object.fromEntries(FINDING_KINDS.map((kind) => [kind, drift[kind]]));
  return { ...drift, ...sampleOf(lists, sampleBytes), counts: countsOf(drift) };
}

/** Every finding of a target, as log lines of at most FINDINGS_PER_LOG_LINE findings. */
export function findingLogLines(drift: TargetDrift): { target: string; kind: string; findings: string[] }[] {
  return FINDING_KINDS.flatMap((kind) => {
    const lines = [];
    for (let from = 0; from < drift[kind].length; from += FINDINGS_PER_LOG_LINE)
      lines.push({
        target: drift.target,
        kind,
        findings: drift[kind].slice(from, from + FINDINGS_PER_LOG_LINE),
      });
    return lines;
  });
}

/** Why one credential's check failed, for the report: a typed error's name and message (secret-free), else only its name. */
function failureOf(error: unknown): string {
  if (error instanceof ProvisionerError) return `${error.name}: ${excerpt(error.message, 200)}`;
  return `unexpected ${error instanceof Error ? error.name : 'failure'}`;
}

export async function listTargets(deps: WorkflowDeps): Promise<{ targets: string[]; sampleBytes: number }> {
  const targets = await deps.store.listTargetNames();
  const share = Math.floor(RESULTS_SAMPLE_BYTES / Math.max(1, targets.length));
  return { targets, sampleBytes: Math.min(share, TARGET_SAMPLE_MAX_BYTES) };
}

export async function reconcileTarget(deps: ReconcileDeps, input: unknown): Promise<TargetDrift> {
  const { target: targetName } = parseInput(ReconcileTargetInput, input, 'reconcile input');
  const { vendor, target } = await vendorOf(deps, targetName);
  const credentials = await deps.store.listByTarget(targetName);
  const drift: TargetDrift = {
    target: targetName,
    checked: 0,
    orphans: [],
    repaired: [],
    broken: [],
    inconclusive: [],
    unverified: [],
    expiring: [],
  };
  const soon = deps.now().getTime() + EXPIRY_WARNING_DAYS * 86_400_000;
  const check = keyChecker(deps, vendor, targetName);
  for (const credential of credentials) {
    if (credential.tags[TAG.status] !== 'active') continue;
    drift.checked += 1;
    const current = versionWithStage(credential, CURRENT);
    if (!current) {
      drift.broken.push(`${credential.name}: no current version`);
      continue;
    }
    // One credential's failed check is reported; the target's other credentials are still checked.
    const result = await deps.store
      .readVersion(credential.arn, current)
      .then((stored) =>
        check(
          credential.name.slice(`${SECRET_PREFIX}${targetName}/`.length),
          materialOf(target.vendor, stored),
        ),
      )
      .catch((error: unknown) => {
        drift.unverified.push(`${credential.name}: not verified (${failureOf(error)})`);
        return undefined;
      });
    if (result?.outcome === 'inconclusive') {
      drift.inconclusive.push(`${credential.name}: ${result.reason ?? 'no reason given'}`);
    } else if (result && result.outcome !== 'accepted') {
      drift.broken.push(`${credential.name}: ${result.outcome}${result.reason ? ` (${result.reason})` : ''}`);
    } else if (result?.accessToken) {
      // The check minted the product's one live token: keep it, as the broker always does.
      await deps.store.putAccessToken(
        credential.name,
        {
          accessToken: result.accessToken.token,
          expiresAt: result.accessToken.expiresAt,
          mintedAt: deps.now().toISOString(),
        },
        { [TAG.target]: targetName, [TAG.vendor]: target.vendor },
      );
    }
    const expiresAt = credential.tags[TAG.expiresAt];
    if (expiresAt && Date.parse(expiresAt) < soon)
      drift.expiring.push(`${credential.name}: expires ${expiresAt}`);
  }
  if (vendor.capabilities.issuance !== 'api') return drift;
  const api = asApiVendor(vendor);
  const accounted = new Set(credentials.map((c) => c.name.slice(`${SECRET_PREFIX}${targetName}/`.length)));
  for (const user of await api.listManagedUsers()) {
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
    if (!(await deps.executionRecent(user.requestId, LISTING_LAG_SECONDS * 1000))) {
      await api.revoke(user.name);
      drift.repaired.push(user.name);
    }
  }
  return drift;
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
  // What still needs a person: every finding but an orphan already repaired.
  const driftCount = Object.entries(counts).reduce(
    (total, [kind, count]) => total + (kind === 'repaired' ? -count : count),
    0,
  );
  const sample = sampleOf(lists, EVENT_SAMPLE_BYTES);
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
    unreachable: sample.unreachable ?? [],
    counts,
    driftCount,
  };
  await deps.events.publish('credential.drift-report', report);
  return report;
}
