/**
 * Offboarding latency (issue 18, item 2): one owner holds 50 credentials over the five products;
 * the directory announces the owner's deactivation on its bus, as an HR system would, and the
 * stack's rule starts the revocation. Measured: from the event to the last API-revocable
 * credential proven refused (its ProveRevoked step succeeded), on the embedded default with
 * latencies standing for a deployment's, and the critical path that led there, read from the
 * execution's history.
 *
 * API-revocable: a credential revoked with no operator task (FortiOS, FortiManager). Credentials of
 * operator products (FortiFlex, FortiCNAPP, AutoRABIT ARM) are revoked by a person in the
 * product's UI: their figure is the time until the last one's task is open (announced), the part
 * the system controls; the person answers after `operatorAnswerMs`.
 */
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { TaskGoneError } from '#core/errors.ts';
import { executionNameFor } from '#core/execution-names.ts';
import { simulatedOf } from '#core/products/simulated.ts';
import { causeMessage } from '#core/step-error.ts';
import { publishDirectoryDeactivation } from '#local/directory.ts';
import { type Latencies, type LocalEnvironment, startLocalEnvironment } from '#local/environment.ts';
import { collectIssuedMaterial, type IssuedMaterial } from '#local/leak-scan.ts';
import { captureLambdaLogs } from '#local/log-capture.ts';
import { answerTasksUntilDone, playOperator } from '#local/operator.ts';
import { watchActionsRequired } from './action-required.ts';
import { PRODUCT_CONCURRENCY_LIMIT } from './bulk.ts';
import { type CriticalPath, criticalPath } from './critical-path.ts';
import { PRODUCT_CASES, type ProductCase, registerBenchTargets } from './operations.ts';

/** The offboarding target (issue 18): the last API-revocable credential refused within 30 s of the event. */
const OFFBOARDING_TARGET_SECONDS = 30;
const OWNER = 'leaver@offboarding.example.com';
/** The five products of the issue; the FortiGate fleet's devices are FortiOS, counted there. */
const OFFBOARDING_PRODUCTS = PRODUCT_CASES.filter((p) => p.product !== 'fortigate-fleet');
/** Provisions run side by side in the unmeasured set-up. */
const SET_UP_IN_FLIGHT = 5;
/** The owner of the figure holds 50 credentials (`offboarding.owner50`). */
export const OFFBOARDED_CREDENTIALS = 50;

/**
 * The latencies standing for a deployment's (bench flags; docs/benchmark.md gives the sources): a
 * product's API answers in about 50 ms, an AWS API call in about 20 ms within a region, and a
 * Lambda cold start is the module initialization the bench measured (the median of its handlers'
 * medians), else this default, the top of the range last measured (docs/benchmark.md, 66 to 129 ms).
 */
export const DEFAULT_PRODUCT_LATENCY_MS = 50;
export const DEFAULT_AWS_LATENCY_MS = 20;
export const DEFAULT_LAMBDA_START_MS = 130;
/** How long the bench's person takes to answer a revocation task: far quicker than a real one. */
export const DEFAULT_OPERATOR_ANSWER_MS = 5000;

/** A latency flag's value: whole milliseconds from 0 to 60,000 (a clear error otherwise). */
export function latencyFlag(name: string, value: string): number {
  const ms = Number(value);
  if (!/^\d+$/.test(value) || ms > 60_000)
    throw new RangeError(`--${name} must be whole milliseconds from 0 to 60000, not ${value}`);
  return ms;
}

/** The median of the cold starts the bench measured per handler (`coldStart.<handler>.medianMs`), if it did. */
export function measuredLambdaStartMs(figures: Readonly<Record<string, number>>): number | undefined {
  const medians = Object.entries(figures)
    .filter(([name]) => /^coldStart\.[a-z0-9-]+\.medianMs$/.test(name))
    .map(([, ms]) => ms)
    .sort((a, b) => a - b);
  if (medians.length === 0) return undefined;
  const middle = Math.floor(medians.length / 2);
  const median =
    medians.length % 2 ? medians[middle] : ((medians[middle - 1] ?? 0) + (medians[middle] ?? 0)) / 2;
  return Math.round(median ?? 0);
}

export interface OffboardingOptions {
  readonly credentials: number;
  readonly latency: Latencies;
  /** How long the person takes to answer each revocation task once it is announced. */
  readonly operatorAnswerMs: number;
}

export interface OffboardingResult {
  readonly credentials: number;
  /** Credentials the revocation reported not revoked, or all of them when the execution did not succeed. */
  readonly failed: number;
  /** What the history says: the credentials of each kind, the times from the event, the steps. */
  readonly criticalPath: CriticalPath;
  readonly lambdaColdStarts: number;
  readonly firstFailure?: string;
  /** For the run's leak scan. */
  readonly material: IssuedMaterial;
  readonly sources: Record<string, readonly string[]>;
}

interface OffboardedCredential {
  readonly product: ProductCase;
  readonly apiUser: string;
  readonly serviceUser?: string;
}

function credentialOf(i: number): OffboardedCredential {
  const product = OFFBOARDING_PRODUCTS[i % OFFBOARDING_PRODUCTS.length] as ProductCase;
  return {
    product,
    apiUser: `leaver-${i}`,
    serviceUser: simulatedOf(product.product).bench.bulkServiceUser?.(i),
  };
}

/** Provisions the owner's credentials, operator tasks answered at once: set-up, not measured. */
async function provisionAll(env: LocalEnvironment, credentials: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < credentials; i = next++) {
      const { product, apiUser, serviceUser } = credentialOf(i);
      const input = {
        ...product.request,
        ...(serviceUser === undefined ? {} : { serviceUser }),
        target: product.target,
        apiUser,
        owner: OWNER,
        ticket: `OFFBOARD-${i}`,
      };
      const started = await env.sfnClient.send(
        new StartExecutionCommand({
          stateMachineArn: env.provisionStateMachineArn,
          name: executionNameFor('provision', input.ticket, input),
          input: JSON.stringify(input),
        }),
      );
      const done = await answerTasksUntilDone(env, started.executionArn ?? '', (task) =>
        playOperator(env, task, serviceUser),
      );
      if (done.status !== 'SUCCEEDED')
        throw new Error(
          `offboarding set-up: provisioning ${apiUser} ${done.status}: ${causeMessage(done.cause)}`,
        );
    }
  };
  await Promise.all(Array.from({ length: SET_UP_IN_FLIGHT }, worker));
}

/**
 * A person who answers each revocation task of the owner `delayMs` after it is announced (in the
 * product's UI, then `provisioner submit --done`). Returns a stop that waits for the answers.
 */
function startPerson(env: LocalEnvironment, delayMs: number) {
  return watchActionsRequired(env, {
    wants: (task) => task.owner === OWNER && task.action === 'revoke',
    answer: async (task) => {
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      try {
        const code = await playOperator(env, task);
        if (code !== 0) throw new Error(`the operator could not revoke ${task.apiUser}: exit code ${code}`);
      } catch (error) {
        // A task the workflow no longer waits for needs nothing.
        if (!(error instanceof TaskGoneError)) throw error;
      }
    },
  });
}

export async function runOffboarding(options: OffboardingOptions): Promise<OffboardingResult> {
  const logs = captureLambdaLogs();
  const env = await startLocalEnvironment({ waitOverrideMs: 0, retryOverrideMs: 0 });
  try {
    await registerBenchTargets(env);
    await provisionAll(env, options.credentials);
    // As deployed: retries wait as their definitions say, products refuse requests over their limit.
    env.stepFunctions.service.retryOverrideMs = undefined;
    for (const { product } of OFFBOARDING_PRODUCTS) env[product].concurrency.reset(PRODUCT_CONCURRENCY_LIMIT);
    env.setLatencies(options.latency);
    const coldStartsBefore = env.lambdaTiming.coldStarts;
    const stopPerson = startPerson(env, options.operatorAnswerMs);
    const eventAt = Date.now();
    let executionArn: string;
    let done: Awaited<ReturnType<LocalEnvironment['stepFunctions']['service']['waitForExecution']>>;
    try {
      executionArn = await publishDirectoryDeactivation(env, { eventId: 'hr-offboarding-50', userId: OWNER });
      done = await env.stepFunctions.service.waitForExecution(executionArn);
    } finally {
      await stopPerson();
    }
    env.setLatencies({ awsMs: 0, productMs: 0, lambdaStartMs: 0 });
    const path = criticalPath(env.stepFunctions.service.historyOf(executionArn), eventAt);
    const report = JSON.parse(done.output ?? '{}') as { revoked?: unknown[] };
    const failed =
      done.status === 'SUCCEEDED' ? options.credentials - (report.revoked?.length ?? 0) : options.credentials;
    return {
      credentials: options.credentials,
      failed,
      criticalPath: path,
      lambdaColdStarts: env.lambdaTiming.coldStarts - coldStartsBefore,
      ...(done.status === 'SUCCEEDED' ? {} : { firstFailure: causeMessage(done.cause) }),
      material: collectIssuedMaterial(env),
      sources: {
        // Under the leak scan's name for histories, where Step Functions keeps task tokens as AWS does.
        histories: env.stepFunctions.service.allHistories().map((h) => JSON.stringify(h)),
        offboardingEvents: env.eventBus.events.map((e) => JSON.stringify(e)),
        offboardingLogs: logs.lines,
      },
    };
  } finally {
    logs.stop();
    await env.close();
  }
}

/** The run's figures under the names (`offboarding.owner50.*`). */
export function offboardingFigures(result: OffboardingResult): Record<string, number> {
  const key = `offboarding.owner${result.credentials}`;
  const path = result.criticalPath;
  return {
    [`${key}.seconds`]: path.lastRefusalSeconds,
    [`${key}.criticalPathSteps`]: path.steps.length,
    [`${key}.failed`]: result.failed,
    [`${key}.apiRevocable`]: path.apiRevocable,
    [`${key}.operatorRevocations`]: path.operatorRevocations,
    [`${key}.operatorTasksOpenSeconds`]: path.lastOperatorTaskSeconds,
    [`${key}.lambdaColdStarts`]: result.lambdaColdStarts,
  };
}

/** What the bench prints: the figure against its target, how credentials are counted, the critical path. */
export function offboardingLines(result: OffboardingResult, options: OffboardingOptions): string[] {
  const { awsMs, productMs, lambdaStartMs } = options.latency;
  const path = result.criticalPath;
  const met = result.failed === 0 && path.lastRefusalSeconds < OFFBOARDING_TARGET_SECONDS;
  return [
    `Offboarding: one owner, ${result.credentials} credentials over the five products; product calls ${productMs} ms, AWS calls ${awsMs} ms, Lambda cold start ${lambdaStartMs} ms`,
    `  deactivation event to the last API-revocable credential proven refused: ${path.lastRefusalSeconds.toFixed(1)} s (target < ${OFFBOARDING_TARGET_SECONDS} s): ${met ? 'yes' : 'NO'}`,
    `  API-revocable: ${path.apiRevocable}; revoked by a person: ${path.operatorRevocations}, their last task open after ${path.lastOperatorTaskSeconds.toFixed(1)} s (the person answers ${options.operatorAnswerMs / 1000} s after each); failed: ${result.failed}; Lambda cold starts: ${result.lambdaColdStarts}`,
    ...(result.firstFailure ? [`  the revocation did not succeed: ${result.firstFailure}`] : []),
    `  critical path (${path.steps.length} steps):`,
    ...path.steps.map((s) => `    ${s.seconds.toFixed(3).padStart(7)} s  ${s.step}`),
  ];
}
