/**
 * Per operation (provision, rotate, revoke) and per product: what one run costs in vendor API
 * calls, Secrets Manager reads and writes, Step Functions state transitions and Lambda
 * invocations, measured on the embedded default with the real handlers and simulators.
 */
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { executionNameFor } from '#core/execution-names.ts';
import { PRODUCTS, type VendorName } from '#core/products/index.ts';
import { simulatedOf } from '#core/products/simulated.ts';
import { causeMessage } from '#core/step-error.ts';
import type { LocalEnvironment } from '#local/environment.ts';
import { answerTasksUntilDone, playOperator } from '#local/operator.ts';
import { WRITES } from '#local/secrets-manager.ts';
import type { Operation } from '#local/simulated-product.ts';
import { historyCosts } from './history-costs.ts';

export type { Operation } from '#local/simulated-product.ts';

export interface OperationCounts {
  vendorCalls: number;
  secretsReads: number;
  secretsWrites: number;
  stateTransitions: number;
  lambdaInvocations: number;
  /** Sum of the Lambda invocations' durations (ms): what Lambda bills, measured here on the local runtime. */
  lambdaMs: number;
  /** Secrets there after the operation less those before: a provision's are the secrets its credential keeps. */
  secretsKept: number;
}

export interface ProductCase {
  readonly product: VendorName;
  readonly target: string;
  readonly request: Readonly<Record<string, unknown>>;
}

/** One credential per product, each of its own owner so a revocation touches exactly one. */
export const PRODUCT_CASES: readonly ProductCase[] = PRODUCTS.map(({ name }) => {
  const { device, request } = simulatedOf(name).bench;
  return { product: name, target: device ? `bench-${name}.${device}` : `bench-${name}`, request };
});

export async function registerBenchTargets(env: LocalEnvironment): Promise<void> {
  for (const { name } of PRODUCTS) await env.registerTarget(name, `bench-${name}`);
}

/** A fleet device's target `<fleet>.<device>` in an execution name, which takes no dot. */
function executionSafe(target: string): string {
  return target.replace('.', '_');
}

function vendorRequests(env: LocalEnvironment, product: VendorName): number {
  return simulatedOf(product).requestCount(env[product]);
}

function secretsCalls(env: LocalEnvironment): { reads: number; writes: number } {
  let reads = 0;
  let writes = 0;
  for (const [action, n] of env.secretsManager.store.calls) {
    if (WRITES.has(action)) writes += n;
    else reads += n;
  }
  return { reads, writes };
}

/**
 * Runs one operation to its end (answering operator tasks as a person would) and returns what it
 * cost. Executions other than the measured one (none here) would be counted too: run one at a time.
 */
export async function measure(
  env: LocalEnvironment,
  product: ProductCase,
  operation: Operation,
  apiUser: string,
): Promise<OperationCounts> {
  const owner = `${apiUser}@bench.example.com`;
  const { input, stateMachineArn, name } = operationInput(env, product, operation, apiUser, owner);
  let invocations = 0;
  env.lambdaFaults.beforeEach = async () => {
    invocations += 1;
  };
  const vendorBefore = vendorRequests(env, product.product);
  const secretsBefore = secretsCalls(env);
  const liveBefore = env.secretsManager.store.liveSecretCount();
  const started = await env.sfnClient.send(
    new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
  );
  const executionArn = started.executionArn ?? '';
  const serviceUser = product.request.serviceUser as string | undefined;
  const described = await answerTasksUntilDone(env, executionArn, (task) =>
    playOperator(env, task, serviceUser),
  );
  env.lambdaFaults.beforeEach = undefined;
  if (described.status !== 'SUCCEEDED') {
    throw new Error(
      `${operation} on ${product.product} ${described.status}: ${causeMessage(described.cause)}`,
    );
  }
  const secretsAfter = secretsCalls(env);
  const { transitions, lambdaMs } = historyCosts(env.stepFunctions.service.historyOf(executionArn));
  return {
    vendorCalls: vendorRequests(env, product.product) - vendorBefore,
    secretsReads: secretsAfter.reads - secretsBefore.reads,
    secretsWrites: secretsAfter.writes - secretsBefore.writes,
    stateTransitions: transitions,
    lambdaInvocations: invocations,
    lambdaMs,
    secretsKept: env.secretsManager.store.liveSecretCount() - liveBefore,
  };
}

function operationInput(
  env: LocalEnvironment,
  product: ProductCase,
  operation: Operation,
  apiUser: string,
  owner: string,
) {
  if (operation === 'provision') {
    const input = { ...product.request, target: product.target, apiUser, owner, ticket: `BENCH-${apiUser}` };
    return {
      input,
      stateMachineArn: env.provisionStateMachineArn,
      name: executionNameFor('provision', input.ticket, input),
    };
  }
  if (operation === 'rotate') {
    return {
      input: { target: product.target, apiUser },
      stateMachineArn: env.rotateStateMachineArn,
      name: `rotate-${executionSafe(product.target)}-${apiUser}`,
    };
  }
  return {
    input: { owner, reason: 'benchmark' },
    stateMachineArn: env.revokeStateMachineArn,
    name: `revoke-${executionSafe(product.target)}-${apiUser}`,
  };
}
