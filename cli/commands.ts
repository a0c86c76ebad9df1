/**
 * The `provisioner` commands. Each takes its clients and an output sink and returns an exit code
 * (0 ok, 1 operation failed, 2 bad input), so tests run them without a process.
 */
import { readFile, stat } from 'node:fs/promises';
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  paginateListExecutions,
  paginateListStateMachines,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { ValidationError } from '#core/errors.ts';
import { executionNameFor } from '#core/execution-names.ts';
import { CURRENT, TAG } from '#core/names.ts';
import type { TaskStore } from '#core/operator-task-store.ts';
import { listOperatorTasks, MAX_CREDENTIAL_FILE_BYTES } from '#core/operator-tasks.ts';
import { PRODUCTS, ProductName, productOf } from '#core/products/index.ts';
import { parseProvisionRequest, TargetDefinition } from '#core/requests.ts';
import { MAX_REQUEST_BYTES, OwnerRef, parseInput, TargetName } from '#core/schemas.ts';
import { type CredentialStore, credentialStatus, versionWithStage } from '#core/secrets.ts';
import { failureReason } from '#core/step-error.ts';
import { RevokeRequest, revocationContinuation } from '#core/workflows/revoke.ts';
import { RotateRequest } from '#core/workflows/rotate.ts';
import { fleetReportOf, fleetTable } from './fleet.ts';
import { followExecution } from './follow-execution.ts';
import type { OperatorAnswers } from './operator-answers.ts';
import { renderTable } from './table.ts';

export interface Output {
  out(line: string): void;
}

/** Reads a file (or stdin for "-") refusing anything over the limit before it is parsed. */
async function readBounded(path: string, limit: number, stdin: () => Promise<string>): Promise<string> {
  if (path === '-') {
    const text = await stdin();
    if (Buffer.byteLength(text) > limit)
      throw new ValidationError(`standard input is over the ${limit}-byte limit`);
    return text;
  }
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) throw new ValidationError(`${path} is not a readable file`);
  if (info.size > limit)
    throw new ValidationError(`${path} is ${info.size} bytes, over the ${limit}-byte limit`);
  return readFile(path, 'utf8');
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ValidationError(`${what} is not valid JSON`);
  }
}

/** A workflow's state machine of a stack, named `<stack>-<workflow>`. */
export async function findStateMachineArn(
  sfn: SFNClient,
  stack: string,
  workflow: 'provision' | 'revoke' | 'rotate' | 'reconcile' | 'admin-rotate' = 'provision',
): Promise<string> {
  for await (const page of paginateListStateMachines({ client: sfn }, {})) {
    const found = page.stateMachines?.find((m) => m.name === `${stack}-${workflow}`);
    if (found?.stateMachineArn) return found.stateMachineArn;
  }
  throw new ValidationError(
    `no state machine ${stack}-${workflow}: is the stack deployed (or \`npm run local\` up)?`,
  );
}

/** The flags every product shares; each product adds its own (`targetFlags` in its definition). */
export interface TargetAddOptions {
  readonly file?: string;
  readonly vendor?: string;
  readonly baseUrl?: string;
  readonly caFile?: string;
  readonly fingerprint?: string;
  /** The target's access policy as JSON (docs/target-policy.md); replaces any policy the definition holds. */
  readonly policyFile?: string;
  readonly [productFlag: string]: unknown;
}

/** Every product's own `target add` flags, once each, with the products that read them. */
export function productTargetFlags(): { flag: string; description: string }[] {
  const flags = new Map<string, { description: string; products: string[] }>();
  for (const product of PRODUCTS) {
    for (const { flag, description } of product.targetFlags.options) {
      const known = flags.get(flag) ?? { description, products: [] };
      known.products.push(product.displayName);
      flags.set(flag, known);
    }
  }
  return [...flags].map(([flag, { description, products }]) => ({
    flag,
    description: `${products.join(' / ')}: ${description}`,
  }));
}

/** A target definition from flags: secrets only from files or stdin, each product's own fields. */
async function definitionFromFlags(
  options: TargetAddOptions,
  io: { stdin: () => Promise<string> },
): Promise<Record<string, unknown>> {
  const vendor = parseInput(ProductName, options.vendor, '--vendor');
  const caPem = options.caFile ? await readBounded(options.caFile, 20_000, io.stdin) : undefined;
  const pin = { caPem, fingerprint: options.fingerprint };
  // Cloud products may rely on the platform's trust store; appliances must pin (the schema says how).
  const common = { vendor, baseUrl: options.baseUrl, tls: caPem || options.fingerprint ? pin : undefined };
  return productOf(vendor).targetFlags.definition({
    flags: options,
    common,
    pin,
    readSecret: (source, maxBytes) => readBounded(source, maxBytes, io.stdin),
  });
}

export async function targetAdd(
  store: CredentialStore,
  name: string,
  options: TargetAddOptions,
  io: Output & { stdin: () => Promise<string> },
  /** What follows the store (the admin rotation schedules, cli/admin-rotation.ts) of this version; its exit code is the command's. */
  afterStore?: (name: string, target: TargetDefinition, versionId: string) => Promise<number>,
): Promise<number> {
  const targetName = parseInput(TargetName, name, 'target name');
  const definition = options.file
    ? parseJson(await readBounded(options.file, 64 * 1024, io.stdin), options.file)
    : await definitionFromFlags(options, io);
  const policy = options.policyFile
    ? { policy: parseJson(await readBounded(options.policyFile, 64 * 1024, io.stdin), options.policyFile) }
    : {};
  const target = parseInput(
    TargetDefinition,
    { ...(definition as object), ...policy },
    `target ${targetName}`,
  );
  const { arn, created, versionId } = await store.putTarget(targetName, target);
  io.out(`target ${targetName} ${created ? 'registered' : 'updated'} (${arn})`);
  return afterStore ? afterStore(targetName, target, versionId) : 0;
}

export interface StartOptions {
  readonly input: string;
  readonly wait?: boolean;
  readonly pollMs?: number;
}

export async function start(
  sfn: SFNClient,
  stateMachineArn: () => Promise<string>,
  options: StartOptions,
  io: Output & { stdin: () => Promise<string> },
): Promise<number> {
  const text = await readBounded(options.input, MAX_REQUEST_BYTES, io.stdin);
  const input = parseJson(text, options.input);
  const request = parseProvisionRequest(input);
  // A target's policy may trust some ticket systems: console input cannot claim to come from one.
  if (request.ticketSource)
    throw new ValidationError('ticketSource is set by the ticket intake only, not by console input');
  const name = executionNameFor('provision', request.ticket, input);
  return startAndFollow(sfn, await stateMachineArn(), name, input, options, io);
}

/**
 * Starts an execution by name (a repeat reports the existing one) and, with --wait, follows it to its
 * end: the states it enters as they appear in its history, then its outcome.
 */
export async function startAndFollow(
  sfn: SFNClient,
  machineArn: string,
  name: string,
  input: unknown,
  options: { wait?: boolean; pollMs?: number },
  io: Output,
): Promise<number> {
  const executionArn = `${machineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  try {
    await sfn.send(
      new StartExecutionCommand({ stateMachineArn: machineArn, name, input: JSON.stringify(input) }),
    );
    io.out(`started ${name}`);
  } catch (error) {
    if (!(error instanceof ExecutionAlreadyExists)) throw error;
    io.out(`already started: ${name} (the same request runs once)`);
  }
  return followStarted(sfn, executionArn, options, io);
}

/** Names the execution and, with --wait, follows it to its end. */
async function followStarted(
  sfn: SFNClient,
  executionArn: string,
  options: { wait?: boolean; pollMs?: number },
  io: Output,
): Promise<number> {
  io.out(`execution ${executionArn}`);
  if (!options.wait) return 0;
  // Every state it enters, once each and in order, then its outcome; then any execution it
  // continued in (a revocation of more credentials than one execution revokes), to the last.
  let exitCode = 0;
  for (let next: string | undefined = executionArn; next; ) {
    const ended = await followExecution(sfn, next, {
      pollMs: options.pollMs ?? 1000,
      onState: (state) => io.out(`  → ${state}`),
    });
    exitCode = Math.max(exitCode, await status(sfn, next, io));
    next = revocationContinuation({ output: ended.output, cause: ended.cause });
    if (next) io.out(`continued in ${next}`);
  }
  return exitCode;
}

export interface RotateOptions {
  readonly target: string;
  readonly apiUser: string;
  /** Outside the credential's window, without the notice's lead time. */
  readonly startNow?: boolean;
  readonly wait?: boolean;
  readonly pollMs?: number;
}

/** `provisioner rotate`: an operator's rotation, named per credential and minute (a repeat within it reports the execution). */
export async function rotate(
  sfn: SFNClient,
  stateMachineArn: () => Promise<string>,
  options: RotateOptions,
  io: Output,
  now = new Date(),
): Promise<number> {
  const request = parseInput(
    RotateRequest,
    {
      target: options.target,
      apiUser: options.apiUser,
      ...(options.startNow ? { startNow: true } : {}),
    },
    'rotate request',
  );
  const minute = now.toISOString().slice(0, 16).replace(/[-:T]/g, '');
  const name = executionNameFor('rotate', minute, request);
  return startAndFollow(sfn, await stateMachineArn(), name, request, options, io);
}

export interface RevokeOptions {
  readonly owner: string;
  readonly reason?: string;
  readonly wait?: boolean;
  readonly pollMs?: number;
}

/**
 * `provisioner revoke --owner`: revokes every credential of an owner. While a revocation of the owner
 * (from any source) is still running, a repeat says so and follows that one; otherwise each command
 * is a new run, named per owner, reason and second, so a run after a failed one, or after the owner
 * got a new credential, does the work. Deactivation events keep their per-event names: a repeated
 * delivery still starts nothing.
 */
export async function revoke(
  sfn: SFNClient,
  stateMachineArn: () => Promise<string>,
  options: RevokeOptions,
  io: Output,
  now = new Date(),
): Promise<number> {
  const request = parseInput(
    RevokeRequest,
    { owner: options.owner, reason: options.reason, source: 'operator' },
    'revoke request',
  );
  const machineArn = await stateMachineArn();
  const running = await runningRevocationOf(sfn, machineArn, request.owner);
  if (running) {
    io.out(`a revocation of ${request.owner} is still running: ${running.name}; nothing new is started`);
    return followStarted(sfn, running.executionArn, options, io);
  }
  const second = now.toISOString().slice(0, 19).replace(/[-:T]/g, '');
  const name = executionNameFor('revoke', second, request);
  return startAndFollow(sfn, machineArn, name, request, options, io);
}

/** A running execution of the revoke workflow for this owner, whoever started it. */
async function runningRevocationOf(
  sfn: SFNClient,
  machineArn: string,
  owner: string,
): Promise<{ name: string; executionArn: string } | undefined> {
  const pages = paginateListExecutions(
    { client: sfn },
    { stateMachineArn: machineArn, statusFilter: 'RUNNING' },
  );
  for await (const page of pages) {
    for (const { executionArn, name } of page.executions ?? []) {
      const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      const input = JSON.parse(described.input ?? '{}') as { owner?: unknown; dryRun?: unknown };
      // A dry run (`provisioner plan revoke`) revokes nothing.
      if (
        described.status === 'RUNNING' &&
        input.owner === owner &&
        input.dryRun !== true &&
        executionArn &&
        name
      )
        return { name, executionArn };
    }
  }
  return undefined;
}

export async function status(sfn: SFNClient, executionArn: string, io: Output): Promise<number> {
  const e = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  io.out(
    `${e.name}: ${e.status} (started ${e.startDate?.toISOString()}${e.stopDate ? `, stopped ${e.stopDate.toISOString()}` : ''})`,
  );
  if (e.status === 'SUCCEEDED' && e.output?.includes('"rotated"')) {
    const out = JSON.parse(e.output) as Record<string, string>;
    io.out(`${out.secretName}: AWSCURRENT is now the key of ${out.apiUser} (version ${out.versionId})`);
    return 0;
  }
  if (e.status === 'SUCCEEDED' && e.output?.includes('"admin-rotated"')) {
    const out = JSON.parse(e.output) as Record<string, string>;
    io.out(`target ${out.target}: its admin credential is now ${out.adminUser}'s (version ${out.versionId})`);
    return 0;
  }
  if (e.status === 'SUCCEEDED' && e.output?.includes('"admin-scheduled"')) {
    const out = JSON.parse(e.output) as { target: string; scheduled: string[]; unscheduled: string[] };
    io.out(`target ${out.target}: admin rotations scheduled for ${out.scheduled.join(', ') || 'none'}`);
    for (const why of out.unscheduled) io.out(`  not scheduled: ${why}`);
    return 0;
  }
  if (e.status === 'SUCCEEDED' && e.output?.includes('"revoked"')) {
    const out = JSON.parse(e.output) as {
      owner?: string;
      revoked?: string[];
      held?: { secretName: string; heldUntil: string; revokesAt?: string; reason: string }[];
      keptByTeams?: string[];
    };
    // Revoked, held by the target's offboarding policy, or kept by the team this owner asked for it.
    const rows = [
      ...(out.revoked ?? []).map((r) => [r, 'revoked', '']),
      ...(out.held ?? []).map((h) => [
        h.secretName,
        // Executions from before hold-end schedules report no revokesAt.
        `held until ${h.heldUntil}${h.revokesAt ? `, revoked by its schedule at ${h.revokesAt}` : ''}`,
        h.reason,
      ]),
      ...(out.keptByTeams ?? []).map((k) => [
        k,
        'kept by its team',
        'a team credential this owner requested',
      ]),
    ];
    io.out(renderTable([`credential of ${out.owner ?? '?'}`, 'outcome', 'why'], rows));
    return 0;
  }
  const fleet = e.status === 'SUCCEEDED' ? fleetReportOf(e.output) : undefined;
  if (fleet) {
    io.out(fleetTable(fleet));
    // The execution ran to its end; a device that failed still fails the command.
    return fleet.devices.some((d) => d.outcome === 'failed') ? 1 : 0;
  }
  if (e.status === 'SUCCEEDED') {
    const out = JSON.parse(e.output ?? '{}') as Record<string, string>;
    io.out(
      renderTable(
        ['target', 'API user', 'secret', 'version', 'status'],
        [[out.target ?? '', out.apiUser ?? '', out.secretName ?? '', out.versionId ?? '', out.status ?? '']],
      ),
    );
    return 0;
  }
  if (e.status === 'RUNNING') return 0;
  io.out(`${e.error ?? 'failed'}: ${failureReason(e.error, e.cause)}`);
  return 1;
}

export async function list(store: CredentialStore, owner: string, io: Output): Promise<number> {
  const ownerId = parseInput(OwnerRef, owner, 'owner');
  const secrets = await store.listByOwner(ownerId);
  const rows = secrets.map((s) => [
    s.name,
    s.tags[TAG.target] ?? '',
    credentialStatus(s) ?? '',
    s.tags[TAG.ticket] ?? '',
    versionWithStage(s, CURRENT) ?? '-',
  ]);
  io.out(renderTable(['secret', 'target', 'status', 'ticket', 'current version'], rows));
  return 0;
}

export interface SubmitOptions {
  readonly task: string;
  readonly file?: string;
  readonly stdin?: boolean;
  readonly expiresAt?: string;
  readonly refuse?: string;
  readonly done?: boolean;
}

/**
 * `provisioner submit`: hand in a downloaded credential, or refuse the task with a reason. The answer
 * goes to AcceptOperatorAnswer, which checks it; its refusal is this command's error.
 */
export async function submit(
  answers: OperatorAnswers,
  options: SubmitOptions,
  io: Output & { stdin: () => Promise<string> },
): Promise<number> {
  if (options.refuse !== undefined) {
    if (options.file || options.stdin)
      throw new ValidationError('give either a credential or --refuse, not both');
    await answers.send({ kind: 'refusal', taskId: options.task, reason: options.refuse });
    io.out(`task ${options.task} refused: the workflow undoes what it prepared and reports the failure`);
    return 0;
  }
  if (options.done) {
    if (options.file || options.stdin)
      throw new ValidationError('--done confirms a revocation: give no credential');
    await answers.send({ kind: 'done', taskId: options.task });
    io.out(`task ${options.task} confirmed: the workflow now proves the old credential is refused`);
    return 0;
  }
  if (Boolean(options.file) === Boolean(options.stdin))
    throw new ValidationError('give the credential with exactly one of --file <path> or --stdin');
  const text = await readBounded(
    options.stdin ? '-' : (options.file ?? ''),
    MAX_CREDENTIAL_FILE_BYTES,
    io.stdin,
  );
  const { secretName, versionId } = await answers.send({
    kind: 'credential',
    taskId: options.task,
    text,
    ...(options.expiresAt === undefined ? {} : { expiresAt: options.expiresAt }),
  });
  io.out(`verified by the product and stored in ${secretName} (version ${versionId}); the workflow goes on`);
  return 0;
}

/** `provisioner tasks [id]`: what waits for an operator (without their tokens), or one task's instructions (through AcceptOperatorAnswer). */
export async function tasks(
  deps: { tasks: TaskStore; answers: OperatorAnswers },
  taskId: string | undefined,
  io: Output,
): Promise<number> {
  if (taskId) {
    const task = await deps.answers.send({ kind: 'show', taskId });
    io.out(
      `${task.taskId} (${task.vendor} target ${task.target}, ticket ${task.ticket}, owner ${task.owner})`,
    );
    io.out(task.instructions.summary);
    for (const [index, step] of task.instructions.steps.entries()) io.out(`  ${index + 1}. ${step}`);
    const answer = task.action === 'revoke' ? '--done' : `--file <${task.instructions.expects}>`;
    io.out(`answer: provisioner submit --task ${task.taskId} ${answer}`);
    io.out(
      `deadline ${task.deadline}${task.acknowledgeBy ? `, acknowledge (provisioner ack) by ${task.acknowledgeBy}` : ''}`,
    );
    return 0;
  }
  const waiting = await listOperatorTasks(deps.tasks);
  io.out(
    renderTable(
      ['task', 'vendor', 'target', 'ticket', 'deadline'],
      waiting.map((t) => [t.taskId, t.vendor, t.target, t.ticket, t.deadline]),
    ),
  );
  return 0;
}

/** `provisioner ack`: tell the workflow someone is working on the task (a heartbeat). */
export async function ack(answers: OperatorAnswers, taskId: string, io: Output): Promise<number> {
  const { deadline } = await answers.send({ kind: 'acknowledgement', taskId });
  io.out(`task ${taskId} acknowledged; hand the credential in by ${deadline}`);
  return 0;
}
