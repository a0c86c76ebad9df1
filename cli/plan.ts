/**
 * `provisioner plan revoke --owner X`, `plan rotate <secret>` and `plan reconcile <target>`: start the workflow with
 * `"dryRun": true` (what the console input accepts too), wait for its plan and print it. The plan
 * is computed by the workflow's own first step with its own permissions, so it reads what the
 * run would read; it changes nothing.
 */
import { type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { ValidationError } from '#core/errors.ts';
import { executionNameFor } from '#core/execution-names.ts';
import { SECRET_PREFIX } from '#core/names.ts';
import type { Plan } from '#core/plans.ts';
import { parseInput } from '#core/schemas.ts';
import { failureReason } from '#core/step-error.ts';
import { ReconcileRequest } from '#core/workflows/reconcile.ts';
import { RevokeRequest } from '#core/workflows/revoke.ts';
import { RotateRequest } from '#core/workflows/rotate.ts';
import type { Output } from './commands.ts';
import { followExecution } from './follow-execution.ts';
import { renderTable } from './table.ts';

export interface PlanOptions {
  readonly pollMs?: number;
}

/** The revoke workflow's plan for an owner. */
export async function planRevoke(
  sfn: SFNClient,
  stateMachineArn: () => Promise<string>,
  owner: string,
  io: Output,
  options: PlanOptions = {},
  now = new Date(),
): Promise<number> {
  const request = parseInput(RevokeRequest, { owner, source: 'operator', dryRun: true }, 'revoke request');
  return runPlan(
    sfn,
    await stateMachineArn(),
    executionNameFor('revoke', `plan-${stamp(now)}`, request),
    request,
    io,
    options,
  );
}

/** The rotate workflow's plan for a credential, named by its secret (`provisioner/<target>/<apiUser>`). */
export async function planRotate(
  sfn: SFNClient,
  stateMachineArn: () => Promise<string>,
  secret: string,
  io: Output,
  options: PlanOptions = {},
  now = new Date(),
): Promise<number> {
  const [target, apiUser, ...rest] = secret.startsWith(SECRET_PREFIX)
    ? secret.slice(SECRET_PREFIX.length).split('/')
    : [];
  if (!target || !apiUser || rest.length > 0)
    throw new ValidationError(
      `${secret} is not a credential's secret name (${SECRET_PREFIX}<target>/<apiUser>)`,
    );
  const request = parseInput(RotateRequest, { target, apiUser, dryRun: true }, 'rotate request');
  return runPlan(
    sfn,
    await stateMachineArn(),
    executionNameFor('rotate', `plan-${stamp(now)}`, request),
    request,
    io,
    options,
  );
}

/** The reconcile workflow's plan for one target: each finding and the repair its policy would make. */
export async function planReconcile(
  sfn: SFNClient,
  stateMachineArn: () => Promise<string>,
  target: string,
  io: Output,
  options: PlanOptions = {},
  now = new Date(),
): Promise<number> {
  const request = parseInput(ReconcileRequest, { target, dryRun: true }, 'reconcile request');
  return runPlan(
    sfn,
    await stateMachineArn(),
    executionNameFor('reconcile', `plan-${stamp(now)}`, request),
    request,
    io,
    options,
  );
}

function stamp(now: Date): string {
  return now.toISOString().slice(0, 19).replace(/[-:T]/g, '');
}

async function runPlan(
  sfn: SFNClient,
  machineArn: string,
  name: string,
  input: unknown,
  io: Output,
  options: PlanOptions,
): Promise<number> {
  const started = await sfn.send(
    new StartExecutionCommand({ stateMachineArn: machineArn, name, input: JSON.stringify(input) }),
  );
  const ended = await followExecution(sfn, started.executionArn ?? '', {
    pollMs: options.pollMs ?? 500,
    onState: () => {},
  });
  if (ended.status !== 'SUCCEEDED') {
    io.out(`no plan: ${name} ${ended.status?.toLowerCase()}: ${failureReason(ended.error, ended.cause)}`);
    return 1;
  }
  for (const line of renderPlan(JSON.parse(ended.output ?? '{}') as Plan)) io.out(line);
  return 0;
}

/** The plan as a terminal reads it: the credentials as a table, then each list, "none" when empty. */
function renderPlan(plan: Plan): string[] {
  const list = (title: string, items: readonly string[]) => [
    `${title}:`,
    ...(items.length ? items.map((item) => `  - ${item}`) : ['  none']),
  ];
  return [
    `plan: ${plan.workflow} ${plan.subject} (dry run: nothing was changed)`,
    ...(plan.credentials.length
      ? renderTable(
          ['SECRET', 'VENDOR', 'API USER', 'STATUS', 'CHANGE'],
          plan.credentials.map((c) => [c.secretName, c.vendor, c.apiUser, c.status, c.change]),
        ).split('\n')
      : ['no credentials found']),
    ...(plan.notShown
      ? [
          `... and ${plan.notShown} more credentials, not shown (a plan names at most ${plan.credentials.length})`,
        ]
      : []),
    ...(plan.findings ? renderFindings(plan) : []),
    // Only a broker's credentials go unchecked: other plans leave the list out.
    ...(plan.notChecked?.length ? list('not checked', plan.notChecked) : []),
    ...list('product calls', plan.productCalls),
    ...list('operator tasks', plan.operatorTasks),
    ...list('schedules', plan.schedules),
    ...list('events', plan.events),
  ];
}

/** A reconciliation's findings: each with the repair the run would make, its detail below it. */
function renderFindings(plan: Plan): string[] {
  const findings = plan.findings ?? [];
  return [
    'findings:',
    ...(findings.length
      ? findings.flatMap((f) => [
          `  - ${f.kind} ${f.subject}: ${f.repair}`,
          ...(f.detail ? [`      ${f.detail}`] : []),
        ])
      : ['  none']),
    ...(plan.findingsNotShown ? [`  ... and ${plan.findingsNotShown} more findings, not shown`] : []),
  ];
}
