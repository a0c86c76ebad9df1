/**
 * Bulk: N credentials spread over the five products are rotated, then revoked through
 * their owners, with the local Secrets Manager enforcing the account's shared write quota (50 per
 * second, ThrottlingException above it) and every product refusing requests over its concurrency
 * limit (429). Operator tasks are answered as they appear, as a person at the console would.
 * Figures per phase: failed credentials, elapsed time against the floor the quota sets
 * (successful writes / 50 s), and the peak concurrency each product measured.
 */
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { TaskGoneError } from '#core/errors.ts';
import type { ActionRequiredDetail } from '#core/events.ts';
import { executionNameFor } from '#core/execution-names.ts';
import { PRODUCTS } from '#core/products/index.ts';
import { simulatedOf } from '#core/products/simulated.ts';
import { causeMessage } from '#core/step-error.ts';
import { revocationContinuation } from '#core/workflows/revoke.ts';
import type { LocalEnvironment } from '#local/environment.ts';
import { playOperator } from '#local/operator.ts';
import { WRITES } from '#local/secrets-manager.ts';
import { watchActionsRequired } from './action-required.ts';
import { PRODUCT_CASES, type ProductCase } from './operations.ts';

export const WRITE_QUOTA_PER_SECOND = 50;
/** Requests each product accepts at once before answering 429 (an appliance's API under load). */
export const PRODUCT_CONCURRENCY_LIMIT = 8;
/** Rotations started side by side, as Scheduler's flexible window spreads a day's rotations. */
const ROTATIONS_IN_FLIGHT = 16;
/** Owners whose credentials are revoked side by side (each revocation lists at most 500). */
const OWNERS = 5;
/** The bulk apiUsers are `bulk-<n>`; an operator answering a task reads the number from it. */
const BULK_USER = /^bulk-(\d+)$/;

export interface BulkPhase {
  readonly credentials: number;
  readonly failed: number;
  readonly elapsedS: number;
  readonly writes: number;
  readonly floorS: number;
  /** Elapsed over floor: 1 is as fast as the quota allows (target ≤ 1.25). */
  readonly floorRatio: number;
  readonly throttled: number;
  /** CPU time this process (emulators, simulators and handlers together) spent in the phase. */
  readonly cpuS: number;
  /** Highest number of requests each product was asked to handle at once. */
  readonly peakConcurrency: Readonly<Record<string, number>>;
  readonly refusedOverLimit: number;
  /** Why the first failed execution failed (none when all succeeded). */
  readonly firstFailure?: string;
}

interface BulkCredential {
  readonly product: ProductCase;
  readonly apiUser: string;
  readonly owner: string;
  /** The product-side user an operator hands a key for, where keys belong to one: one per credential. */
  readonly serviceUser?: string;
}

function credentialOf(i: number): BulkCredential {
  const product = PRODUCT_CASES[i % PRODUCT_CASES.length] as ProductCase;
  const serviceUser = simulatedOf(product.product).bench.bulkServiceUser?.(i);
  return { product, apiUser: `bulk-${i}`, owner: `owner-${i % OWNERS}@bulk.example.com`, serviceUser };
}

function gatesOf(env: LocalEnvironment) {
  return Object.fromEntries(PRODUCTS.map(({ name }) => [name, env[name].concurrency]));
}

/**
 * A person retries a console command that failed (throttled); one that fails three times stops
 * the run's executions, so the failure is counted instead of a task waiting for days. A task the
 * workflow no longer waits for needs nothing: a step retried after opening it asks again.
 */
async function answerPatiently(
  env: LocalEnvironment,
  task: ActionRequiredDetail,
  serviceUser: string | undefined,
): Promise<void> {
  let last = '';
  for (let attempt = 1; attempt <= 3; attempt += 1) {
    try {
      const exitCode = await playOperator(env, task, serviceUser);
      if (exitCode === 0) return;
      last = `exit code ${exitCode}`;
    } catch (error) {
      if (error instanceof TaskGoneError) return;
      last = (error as Error).message;
    }
  }
  await env.stepFunctions.service.stopAll();
  throw new Error(`the operator could not ${task.action} for ${task.apiUser}: ${last}`);
}

/** Answers every operator task of the bulk run while it lasts. */
function startBulkOperator(env: LocalEnvironment) {
  return watchActionsRequired(env, {
    wants: (task) => BULK_USER.test(task.apiUser),
    answer: (task) =>
      answerPatiently(env, task, credentialOf(Number(BULK_USER.exec(task.apiUser)?.[1])).serviceUser),
  });
}

type Settled = Awaited<ReturnType<LocalEnvironment['stepFunctions']['service']['waitForExecution']>>;

/** An execution counts its credential when it succeeds. */
const oneCredential = async (done: Settled) => ({
  succeeded: done.status === 'SUCCEEDED' ? 1 : 0,
  cause: done.status === 'SUCCEEDED' ? undefined : causeMessage(done.cause),
});

/**
 * Runs the executions, `inFlight` at a time, each to its end, and counts the credentials they
 * settled (`settle`); returns the count and the first failure's cause.
 */
async function runAll(
  env: LocalEnvironment,
  stateMachineArn: string,
  executions: readonly { name: string; input: object }[],
  inFlight: number,
  settle: (done: Settled) => Promise<{ succeeded: number; cause?: string | undefined }> = oneCredential,
): Promise<{ succeeded: number; firstCause?: string }> {
  let next = 0;
  let count = 0;
  let firstCause: string | undefined;
  const worker = async () => {
    for (let item = executions[next++]; item; item = executions[next++]) {
      const started = await env.sfnClient.send(
        new StartExecutionCommand({ stateMachineArn, name: item.name, input: JSON.stringify(item.input) }),
      );
      const { succeeded, cause } = await settle(
        await env.stepFunctions.service.waitForExecution(started.executionArn ?? ''),
      );
      count += succeeded;
      if (cause !== undefined) firstCause ??= cause;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return { succeeded: count, firstCause };
}

/**
 * A revocation's credentials revoked: those of its execution and of every continuation it started
 * (an owner with more than one execution's batch, as 200 each at 1,000 credentials).
 */
function revokedAlong(env: LocalEnvironment) {
  return async (first: Settled) => {
    let succeeded = 0;
    let cause: string | undefined;
    for (let done: Settled | undefined = first; done; ) {
      if (done.status === 'SUCCEEDED')
        succeeded += (JSON.parse(done.output ?? '{}') as { revoked?: unknown[] }).revoked?.length ?? 0;
      else cause ??= causeMessage(done.cause);
      const next = revocationContinuation(done);
      done = next ? await env.stepFunctions.service.waitForExecution(next) : undefined;
    }
    return { succeeded, cause };
  };
}

function successfulWrites(env: LocalEnvironment): number {
  let writes = 0;
  for (const [action, n] of env.secretsManager.store.calls) if (WRITES.has(action)) writes += n;
  return writes - env.secretsManager.store.throttled;
}

async function measurePhase(
  env: LocalEnvironment,
  credentials: number,
  run: () => Promise<{ succeeded: number; firstCause?: string }>,
): Promise<BulkPhase> {
  const gates = gatesOf(env);
  for (const gate of Object.values(gates)) gate.reset(PRODUCT_CONCURRENCY_LIMIT);
  const writesBefore = successfulWrites(env);
  const throttledBefore = env.secretsManager.store.throttled;
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const { succeeded, firstCause } = await run();
  const cpu = process.cpuUsage(cpuBefore);
  const elapsedS = (performance.now() - started) / 1000;
  const writes = successfulWrites(env) - writesBefore;
  return {
    credentials,
    failed: credentials - succeeded,
    elapsedS: Math.round(elapsedS * 10) / 10,
    writes,
    floorS: writes / WRITE_QUOTA_PER_SECOND,
    floorRatio: Math.round((elapsedS / (writes / WRITE_QUOTA_PER_SECOND)) * 100) / 100,
    throttled: env.secretsManager.store.throttled - throttledBefore,
    cpuS: Math.round((cpu.user + cpu.system) / 1e5) / 10,
    peakConcurrency: Object.fromEntries(Object.entries(gates).map(([product, g]) => [product, g.peak])),
    refusedOverLimit: Object.values(gates).reduce((n, g) => n + g.refused, 0),
    ...(firstCause === undefined ? {} : { firstFailure: firstCause }),
  };
}

/**
 * Provisions N credentials (unmeasured set-up, no quota), then measures rotating all of them and
 * revoking all of them through their owners. The bench targets must be registered.
 */
export async function runBulk(env: LocalEnvironment, credentials: number) {
  const indexes = Array.from({ length: credentials }, (_, i) => i);
  const retryOverrideMs = env.stepFunctions.service.retryOverrideMs;
  const stopOperator = startBulkOperator(env);
  try {
    const provisions = indexes.map((i) => {
      const { product, apiUser, owner, serviceUser } = credentialOf(i);
      const input = {
        ...product.request,
        ...(serviceUser === undefined ? {} : { serviceUser }),
        target: product.target,
        apiUser,
        owner,
        ticket: `BULK-${i}`,
      };
      return { name: executionNameFor('provision', input.ticket, input), input };
    });
    const provisioned = await runAll(env, env.provisionStateMachineArn, provisions, 8);
    if (provisioned.succeeded !== credentials) {
      throw new Error(
        `bulk set-up: ${credentials - provisioned.succeeded} provisions failed (${provisioned.firstCause})`,
      );
    }

    env.secretsManager.store.setWriteRateLimit(WRITE_QUOTA_PER_SECOND);
    // Under the quota a state's retries wait as its definition says, as in AWS: instant retries
    // would spend all its attempts within one throttled second.
    env.stepFunctions.service.retryOverrideMs = undefined;
    const rotate = await measurePhase(env, credentials, async () => {
      const rotations = indexes.map((i) => {
        const { product, apiUser } = credentialOf(i);
        return { name: `bulk-rotate-${i}`, input: { target: product.target, apiUser } };
      });
      return runAll(env, env.rotateStateMachineArn, rotations, ROTATIONS_IN_FLIGHT);
    });
    const revoke = await measurePhase(env, credentials, async () => {
      const owners = [...new Set(indexes.map((i) => credentialOf(i).owner))];
      const revocations = owners.map((owner, n) => ({
        name: `bulk-revoke-${n}`,
        input: { owner, reason: 'bulk benchmark' },
      }));
      return runAll(env, env.revokeStateMachineArn, revocations, owners.length, revokedAlong(env));
    });
    return { rotate, revoke };
  } finally {
    env.secretsManager.store.setWriteRateLimit(undefined);
    env.stepFunctions.service.retryOverrideMs = retryOverrideMs;
    for (const gate of Object.values(gatesOf(env))) gate.reset(undefined);
    await stopOperator();
  }
}
