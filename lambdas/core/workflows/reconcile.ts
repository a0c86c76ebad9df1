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
import { CredentialTarget, parseInput } from '../schemas.ts';
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
});
export type TargetDrift = z.output<typeof TargetDrift>;

/** Why one credential's check failed, for the report: a typed error's name and message (secret-free), else only its name. */
function failureOf(error: unknown): string {
  if (error instanceof ProvisionerError) return `${error.name}: ${excerpt(error.message, 200)}`;
  return `unexpected ${error instanceof Error ? error.name : 'failure'}`;
}

/**
 * ListTargets: every registered target; a fleet target (products/fortigate-fleet) as each of its
 * devices, `<fleet>.<device>`, since its credentials and users live on the devices one by one.
 */
export async function listTargets(deps: WorkflowDeps): Promise<{ targets: string[] }> {
  const targets: string[] = [];
  for (const { name, vendor } of await deps.store.listTargets()) {
    const definition = vendor === 'fortigate-fleet' ? await deps.store.loadTarget(name) : undefined;
    if (definition?.vendor === 'fortigate-fleet')
      targets.push(...Object.keys(definition.devices).map((device) => `${name}.${device}`));
    else targets.push(name);
  }
  return { targets };
}

export async function reconcileTarget(deps: ReconcileDeps, input: unknown): Promise<TargetDrift> {
  const { target: targetName } = parseInput(
    z.object({ target: CredentialTarget }).strict(),
    input,
    'reconcile input',
  );
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

/** ReportDrift: one event with every target's findings; the total drift for the metric. */
export async function reportDrift(deps: WorkflowDeps, input: unknown) {
  const { requestId, results } = parseInput(DriftResults, input, 'reconcile results');
  const drifts = results.filter((r): r is TargetDrift => 'checked' in r);
  const unreachable = results.filter((r) => !('checked' in r)).map((r) => r.target);
  const report = {
    requestId,
    targets: results.length,
    credentialsChecked: drifts.reduce((n, d) => n + d.checked, 0),
    orphans: drifts.flatMap((d) => d.orphans.map((o) => `${d.target}/${o}`)),
    repaired: drifts.flatMap((d) => d.repaired.map((o) => `${d.target}/${o}`)),
    broken: drifts.flatMap((d) => d.broken),
    inconclusive: drifts.flatMap((d) => d.inconclusive),
    unverified: drifts.flatMap((d) => d.unverified),
    expiring: drifts.flatMap((d) => d.expiring),
    unreachable,
  };
  const driftCount =
    report.orphans.length -
    report.repaired.length +
    report.broken.length +
    report.inconclusive.length +
    report.unverified.length +
    report.expiring.length +
    unreachable.length;
  await deps.events.publish('credential.drift-report', { ...report, driftCount });
  return { ...report, driftCount };
}
