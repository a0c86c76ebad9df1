/**
 * What the fault matrices share (issue 6): the faults, every Task state of each workflow as the
 * synthesized definitions name them, and how a fault is armed as a state's Lambda starts.
 */
import { executionNameFor } from '#core/execution-names.ts';
import type { LocalEnvironment } from '#local/environment.ts';
import type { FaultInjector } from '#local/simulator-kit.ts';
import { handlerIdFromFunctionArn, synthesizeWorkflows } from '#local/synth.ts';
import { startExecution } from '#test/support/executions.ts';

export const FAULTS = [
  'vendor timeout',
  'vendor 429',
  'vendor 5xx',
  'vendor committed, answer lost',
  'Secrets Manager throttling',
  'Lambda died after committing',
  'Lambda throttled',
] as const;
export type Fault = (typeof FAULTS)[number];
export type Workflow = 'provision' | 'rotate' | 'revoke';
export const WORKFLOWS: readonly Workflow[] = ['provision', 'rotate', 'revoke'];
/** Short enough for a timeout fault (500 ms of latency) to bite, long enough for a busy box's loopback. */
export const VENDOR_TIMEOUT_MS = '200';

type States = Record<string, Record<string, unknown>>;

/** Every Task state's handler in a definition, Map item processors and Parallel branches included. */
function taskHandlers(states: States): string[] {
  return Object.values(states).flatMap((state) => {
    if (state.Type === 'Task') {
      const arn = (state.Parameters as { FunctionName?: string } | undefined)?.FunctionName;
      return arn ? [handlerIdFromFunctionArn(arn)] : [];
    }
    const inner = (state.ItemProcessor ?? state.Iterator) as { States?: States } | undefined;
    const branches = (state.Branches as { States: States }[] | undefined) ?? [];
    return [inner?.States, ...branches.map((b) => b.States)].flatMap((nested) =>
      nested ? taskHandlers(nested) : [],
    );
  });
}

/** Every function a definition names anywhere, however deep: what `taskHandlers` must all find. */
function functionsNamed(definition: unknown): string[] {
  return [...JSON.stringify(definition).matchAll(/"FunctionName":"([^"]+)"/g)].map((m) =>
    handlerIdFromFunctionArn(m[1] ?? ''),
  );
}

/**
 * The handler of every Task state, per workflow, from the synthesized definitions. A state shape the
 * walk does not descend into would silently drop its Tasks from the matrices, so it refuses then.
 */
export function workflowTasks(): Record<Workflow, string[]> {
  const definitions = synthesizeWorkflows();
  return Object.fromEntries(
    WORKFLOWS.map((w) => {
      const { definition } = definitions[w];
      const found = taskHandlers(definition.States as unknown as States);
      const missed = functionsNamed(definition).filter((id) => !found.includes(id));
      if (missed.length > 0)
        throw new Error(`${w}: Task states the walk did not reach: ${missed.join(', ')}`);
      return [w, found];
    }),
  ) as Record<Workflow, string[]>;
}

/** Arms one fault: at the product (its next request), at Secrets Manager (its next write), or at the Lambda. */
export function armFault(
  env: LocalEnvironment,
  product: FaultInjector,
  fault: Fault,
  handlerId: string,
): void {
  switch (fault) {
    case 'vendor timeout':
      product.inject({ kind: 'latency', latencyMs: 500, times: 1 });
      return;
    case 'vendor 429':
      product.inject({ kind: '429', times: 1 });
      return;
    case 'vendor 5xx':
      product.inject({ kind: '5xx', times: 1 });
      return;
    case 'vendor committed, answer lost':
      product.inject({ kind: 'drop-after-commit', times: 1 });
      return;
    case 'Secrets Manager throttling':
      env.secretsManager.store.injectFailure('ThrottlingException');
      return;
    case 'Lambda died after committing':
      env.lambdaFaults.inject(handlerId, 'after', { errorName: 'Lambda.ServiceException', times: 1 });
      return;
    case 'Lambda throttled':
      env.lambdaFaults.throttle(handlerId, 2);
      return;
  }
}

/** Disarms whatever a case left armed. */
export function disarmFaults(env: LocalEnvironment, product: FaultInjector): void {
  env.lambdaFaults.clear();
  product.clear();
  env.secretsManager.store.injectFailure('ThrottlingException', 0);
}

let started = 0;

/**
 * Starts one run of a workflow on the credential `provision` describes (its owner is
 * `<apiUser>@example.com`): the provision itself, a rotation, or a revocation of its owner.
 * Returns the execution ARN.
 */
export async function startWorkflow(
  env: LocalEnvironment,
  workflow: Workflow,
  provision: { target: string; apiUser: string; ticket: string; [field: string]: unknown },
): Promise<string> {
  const { target, apiUser, ticket } = provision;
  const input =
    workflow === 'provision'
      ? provision
      : workflow === 'rotate'
        ? { target, apiUser }
        : { owner: `${apiUser}@example.com`, reason: 'fault matrix' };
  const name =
    workflow === 'provision'
      ? executionNameFor('provision', ticket, input)
      : `${workflow}-${apiUser}-${++started}`;
  const stateMachineArn = {
    provision: env.provisionStateMachineArn,
    rotate: env.rotateStateMachineArn,
    revoke: env.revokeStateMachineArn,
  }[workflow];
  return startExecution(env, stateMachineArn, input, name);
}
