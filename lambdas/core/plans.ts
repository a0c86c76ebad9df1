/**
 * Plan before acting (issue 17, item 6): what a revocation, a rotation or a reconciliation would do — the credentials
 * it finds, the product calls it would make, the operator tasks it would open, the schedules it
 * would change — computed by the workflow's own first step from the same reads, with nothing
 * written, published or called that changes anything. A workflow started with `"dryRun": true`
 * returns its plan and ends (`provisioner plan ...`).
 */
import type * as z from 'zod';
import { LISTING_LAG_SECONDS } from './config.ts';
import { credentialsExpire } from './credential-expiry.ts';
import { excerpt, ValidationError } from './errors.ts';
import { holdEndExpression, holdEndScheduleName, holdEndsAt } from './hold-ends.ts';
import { credentialSecretName, TAG } from './names.ts';
import { consumerCount, offboardingDecision } from './ownership.ts';
import { twinsOf } from './products/managed-user.ts';
import { parseRotationTag } from './rotation-timing.ts';
import { rotationScheduleName } from './schedules.ts';
import { parseInput } from './schemas.ts';
import { credentialStatus } from './secrets.ts';
import type { WorkflowDeps } from './workflow-deps.ts';
import { vendorOf } from './workflow-deps.ts';
import {
  type DriftCandidate,
  type DriftReadDeps,
  findDrift,
  ReconcileRequest,
  repairRotation,
  type TargetReading,
} from './workflows/reconcile.ts';
import { heldBy, RevokeRequest, revocationTarget } from './workflows/revoke.ts';
import { RotateRequest, rotatableCredential, rotationStartAt, validateRotation } from './workflows/rotate.ts';

interface PlannedCredential {
  readonly secretName: string;
  readonly target: string;
  readonly vendor: string;
  readonly apiUser: string;
  readonly status: string;
  /** What happens to the secret. */
  readonly change: string;
}

/** A reconciliation's finding and the repair the run would make of it under the target's policy. */
interface PlannedFinding {
  /** A drift report's list (`orphans`, `broken`, ...) or a twin-user drift kind. */
  readonly kind: string;
  /** The user (`<target>/<user>`), the secret (with its user, for twin-user drift) or the target. */
  readonly subject: string;
  readonly detail: string;
  readonly repair: string;
}

export interface Plan {
  readonly dryRun: true;
  readonly workflow: 'revoke' | 'rotate' | 'reconcile';
  /** Whose or which credential, as the request named it. */
  readonly subject: string;
  readonly credentials: readonly PlannedCredential[];
  /** Credentials the run would take beyond those named (a plan names PLAN_CREDENTIALS at most). */
  readonly notShown: number;
  readonly productCalls: readonly string[];
  readonly operatorTasks: readonly string[];
  readonly schedules: readonly string[];
  readonly events: readonly string[];
  /** Reconciliation: what it finds (at most PLAN_FINDINGS), and the checks a plan could not make. */
  readonly findings?: readonly PlannedFinding[];
  readonly findingsNotShown?: number;
  readonly notChecked?: readonly string[];
}

/**
 * A plan is one state's output, bound by Step Functions' 256 KiB: it names this many credentials
 * (about 1 KB each with their calls and schedules) and counts the rest.
 */
const PLAN_CREDENTIALS = 100;
/** Findings a plan names (each at most FINDING_CHARS in its detail), about 600 bytes each; the rest counted. */
const PLAN_FINDINGS = 200;
const FINDING_CHARS = 300;

/** The plan of an execution's input, which asked for it: `dryRun` must be true. */
const DryRunInput = <S extends z.ZodObject>(schema: S) =>
  schema.refine(
    (request) => (request as { dryRun?: boolean }).dryRun === true,
    'dryRun: must be true for a plan',
  );

/** PlanRevocation: every credential of the owner a revocation would take, and what it would do to each. */
export async function planRevocation(deps: WorkflowDeps, input: { request: unknown }): Promise<Plan> {
  const request = parseInput(DryRunInput(RevokeRequest), input.request, 'revoke request');
  const all = await heldBy(deps, request.owner, request.credential);
  const held = all.slice(0, PLAN_CREDENTIALS).map(revocationTarget);
  const credentials: PlannedCredential[] = [];
  const productCalls: string[] = [];
  const operatorTasks: string[] = [];
  const revoked: string[] = [];
  const holdEnds: string[] = [];
  let newlyHeld = 0;
  for (const credential of held) {
    const { vendor, target } = await vendorOf(deps, credential.target);
    const { issuance, twinUsers, tokenBroker } = vendor.capabilities;
    const secret = await deps.store.describe(credential.secretArn);
    const status = credentialStatus(secret) ?? 'unknown';
    // The revocation's own decision (FindOwnerCredentials): a held credential is left as it is.
    const shared = target.policy?.offboarding?.shared;
    const tags = secret?.tags ?? {};
    const consumers = await consumerCount(
      (arn) => deps.store.readAccess(arn),
      { arn: credential.secretArn, tags },
      shared,
    );
    const decision = offboardingDecision({ tags, shared, consumers, now: deps.now() });
    if (decision.action === 'hold') {
      if (decision.newlyHeld) newlyHeld++;
      const notice = decision.newlyHeld ? '; a notice goes out' : '';
      credentials.push({
        ...credential,
        vendor: target.vendor,
        status,
        change: `held until ${decision.heldUntil}, not revoked (${decision.reason}); its schedule revokes it at ${holdEndsAt(decision.heldUntil)}${notice}`,
      });
      holdEnds.push(
        `ensure ${holdEndScheduleName(credential.secretName)} ${holdEndExpression(decision.heldUntil)}, deleted once it started: revokes ${credential.secretName} of ${request.owner}`,
      );
      continue;
    }
    revoked.push(credential.secretName);
    credentials.push({
      ...credential,
      vendor: target.vendor,
      status,
      change: 'tagged revoking; scheduled for deletion (revoked) once its key is proven dead',
    });
    const at = `${credential.target} (${target.vendor})`;
    if (issuance === 'api') {
      const users = twinUsers ? twinsOf(credential.apiUser) : [credential.apiUser];
      productCalls.push(
        `${at}: delete API user ${users.join(' and ')} (each only if its marker names this credential), then prove the key refused`,
      );
    } else {
      if (tokenBroker) productCalls.push(`${at}: revoke the access tokens of ${credential.apiUser}`);
      productCalls.push(`${at}: check that ${credential.apiUser}'s credential is refused`);
      operatorTasks.push(
        `${at}: if the product still accepts ${credential.apiUser}'s credential, remove it in its UI and confirm (provisioner submit --done)`,
      );
    }
  }
  return {
    dryRun: true,
    workflow: 'revoke',
    subject: `owner ${request.owner}`,
    credentials,
    notShown: all.length - held.length,
    productCalls,
    operatorTasks,
    schedules: [...revoked.map((name) => `delete ${rotationScheduleName(name)} (${name})`), ...holdEnds],
    events: [
      ...(revoked.length
        ? [
            `credential.revoked for each (${request.reason}); credential.revocation-failed for any not proven dead`,
          ]
        : []),
      ...(newlyHeld > 0 ? [`credential.offboarding-held for each of the ${newlyHeld} held now`] : []),
    ],
  };
}

/**
 * PlanRotation: what a rotation of the credential would do and when, from ValidateRotation's own
 * reads (it writes nothing): the twin or the operator, the grace period, the schedule.
 */
export async function planRotation(
  deps: WorkflowDeps,
  input: { request: unknown; executionName: unknown },
): Promise<Plan> {
  const request = parseInput(DryRunInput(RotateRequest), input.request, 'rotate request');
  const { secret } = await rotatableCredential(deps, request);
  const state = await validateRotation(deps, input);
  const { target } = await vendorOf(deps, request.target);
  const timing = parseRotationTag(secret.tags[TAG.rotation]);
  const startAt = rotationStartAt(timing, request, deps.now()).toISOString();
  const at = `${request.target} (${target.vendor})`;
  const grace = `${timing.gracePeriodMinutes} minutes after promotion`;
  const api = state.issuance === 'api';
  // The new credential's expiry is known only once it is handed in: its schedule moves to it.
  const movesSchedule = credentialsExpire(target.vendor);
  return {
    dryRun: true,
    workflow: 'rotate',
    subject: state.secretName,
    credentials: [
      {
        secretName: state.secretName,
        target: request.target,
        vendor: target.vendor,
        apiUser: api ? `${state.currentUser} -> ${state.idleUser}` : state.currentUser,
        status: credentialStatus(secret) ?? 'unknown',
        change: `a new version AWSPENDING, verified, then AWSCURRENT (the current one AWSPREVIOUS) from ${startAt}`,
      },
    ],
    notShown: 0,
    productCalls: api
      ? [
          `${at}: ensure API user ${state.idleUser} like ${state.currentUser} (profile ${state.userSpec?.profile}, trusted hosts ${state.userSpec?.trustedHosts.join(' ')})`,
          `${at}: issue a key on ${state.idleUser} and verify it`,
          `${at}: ${grace}, delete ${state.currentUser} and prove its key refused`,
        ]
      : [`${at}: verify the handed-in credential; ${grace}, check that the previous one is refused`],
    operatorTasks: api
      ? []
      : [
          `${at}: create a second credential for ${state.currentUser} in the product's UI and hand it in (provisioner submit)`,
          `${at}: if the product still accepts the previous credential after the grace period, remove it and confirm (provisioner submit --done)`,
        ],
    schedules: movesSchedule
      ? [`move ${rotationScheduleName(state.secretName)} to the new credential's expiry`]
      : [`none: ${rotationScheduleName(state.secretName)} stays as it is`],
    events: [
      `credential.rotation-scheduled now (starts at ${startAt}, ${timing.gracePeriodMinutes} minutes grace)`,
      'credential.rotated at the end',
    ],
  };
}

/** A plan is for one target: a reconciliation of all of them is planned target by target. */
const ReconcilePlanRequest = DryRunInput(ReconcileRequest).refine((request) => request.target !== undefined, {
  message: 'a plan is for one target: name it (provisioner plan reconcile <target>)',
  path: ['target'],
});

/** The report lists that are only ever reported, in the drift report's order. */
const REPORTED_LISTS = ['broken', 'inconclusive', 'unverified', 'expiring', 'staleAdmins'] as const;

/**
 * PlanReconciliation: reconciliation's own drift finding for one target (`findDrift`, which writes
 * nothing and presents no broker's credential) and, per finding, the repair the run would make
 * under the target's `repair` policy: the product calls, secrets, schedules and events.
 */
export async function planReconciliation(deps: DriftReadDeps, input: { request: unknown }): Promise<Plan> {
  const request = parseInput(ReconcilePlanRequest, input.request, 'reconcile request');
  const targetName = request.target ?? '';
  // A fleet's credentials and users live on its devices, each reconciled as a target of its own.
  if ((await deps.store.loadTarget(targetName)).vendor === 'fortigate-fleet')
    throw new ValidationError(
      `${targetName} is a fleet: plan one of its devices (provisioner plan reconcile ${targetName}.<device>)`,
    );
  const reading = await findDrift(deps, targetName, 'withhold');
  const { drift, target, vendor } = reading;
  const at = `${targetName} (${target.vendor})`;
  const repairs = reading.candidates.map((candidate) => plannedRepair(reading, candidate, at));
  const rotations = new Map(
    repairs.flatMap(({ secretName, rotation }) => (rotation ? [[secretName, rotation]] : [])),
  );
  const orphans = drift.orphans.map((user): PlannedFinding => {
    const removable = reading.removable.includes(user);
    return {
      kind: 'orphans',
      subject: `${targetName}/${user}`,
      detail: 'an API user this system made that no secret accounts for',
      repair: removable
        ? `delete API user ${user} on ${targetName} (its key is in no secret), under any repair policy`
        : `reported only: its creating execution ended less than ${LISTING_LAG_SECONDS / 60} minutes ago, so its secret may not be listed yet`,
    };
  });
  const twinCovered = new Set(reading.candidates.map((c) => credentialOf(c)));
  const reported = REPORTED_LISTS.flatMap((kind) =>
    drift[kind].map((entry): PlannedFinding => {
      const split = entry.indexOf(': ');
      const subject = split < 0 ? entry : entry.slice(0, split);
      const detail = split < 0 ? '' : entry.slice(split + 2);
      return {
        kind,
        subject,
        detail,
        repair:
          kind === 'broken' && twinCovered.has(subject)
            ? 'see its twin-user finding'
            : 'reported only: a person acts on it',
      };
    }),
  );
  const findings = [...orphans, ...repairs.map((r) => r.finding), ...reported];
  const brokered = vendor.capabilities.tokenBroker ? reading.active.length : 0;
  return {
    dryRun: true,
    workflow: 'reconcile',
    subject: `target ${targetName}`,
    credentials: reading.active.slice(0, PLAN_CREDENTIALS).map((secretName) => ({
      secretName,
      target: targetName,
      vendor: target.vendor,
      apiUser: secretName.slice(secretName.lastIndexOf('/') + 1),
      status: 'active',
      change: brokered
        ? 'its check mints a new access token, which the run stores for its consumers'
        : rotations.has(secretName)
          ? `rotation ${rotations.get(secretName)} re-issues its key: AWSPENDING, verified, then AWSCURRENT`
          : 'none',
    })),
    notShown: Math.max(0, reading.active.length - PLAN_CREDENTIALS),
    findings: findings
      .slice(0, PLAN_FINDINGS)
      .map((finding) => ({ ...finding, detail: excerpt(finding.detail, FINDING_CHARS) })),
    findingsNotShown: Math.max(0, findings.length - PLAN_FINDINGS),
    notChecked: reading.withheld.slice(0, PLAN_CREDENTIALS),
    productCalls: [
      ...(brokered
        ? [
            `${at}: mint a new access token from each of ${brokered} credentials (their check; a product-side change)`,
          ]
        : []),
      ...reading.removable.map((user) => `${at}: delete API user ${user}`),
      ...repairs.flatMap((r) => (r.productCall ? [r.productCall] : [])),
    ],
    operatorTasks: [],
    schedules: ['none: reconciliation creates, moves or deletes no schedule'],
    events: [
      'credential.drift-report once, with the findings of every target the run covers',
      ...[...rotations.values()].map(
        (execution) => `credential.rotation-scheduled and credential.rotated from rotation ${execution}`,
      ),
    ],
  };
}

const credentialOf = (candidate: DriftCandidate) =>
  credentialSecretName(candidate.credential.target, candidate.credential.apiUser);

/** A twin-user finding's repair under the target's policy, as `repairFinding` would make it. */
function plannedRepair(reading: TargetReading, candidate: DriftCandidate, at: string) {
  const { kind, user } = candidate;
  const secretName = credentialOf(candidate);
  const planned = (repair: string, more: { productCall?: string; rotation?: string } = {}) => ({
    secretName,
    finding: { kind, subject: `${secretName} (${user})`, detail: candidate.detail, repair },
    ...more,
  });
  const fix = reading.repair === 'fix';
  if (kind === 'retired-twin-restored')
    return fix
      ? planned(
          `delete API user ${user} (only if its marker still names ${secretName}) and prove it gone through the admin API`,
          { productCall: `${at}: delete API user ${user} and prove it gone` },
        )
      : planned(
          `reported only (repair: report; under repair: fix, API user ${user} would be deleted and proven gone)`,
        );
  if (kind === 'current-key-broken') {
    if (!fix)
      return planned(
        'reported only (repair: report; under repair: fix, a rotation would re-issue it on the other twin)',
      );
    const { execution } = repairRotation(candidate);
    return planned(
      `start rotation ${execution}: a new key on the other twin, verified, then AWSCURRENT (provisioner plan rotate ${secretName} shows its calls)`,
      {
        productCall: `${at}: rotation ${execution} re-issues ${secretName}'s key on the other twin`,
        rotation: execution,
      },
    );
  }
  return planned("reported only: a person restores the member's configuration sync");
}
