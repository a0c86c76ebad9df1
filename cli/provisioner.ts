/**
 * `provisioner`: the operator's command line. Talks to AWS by default (the SDK's usual credential
 * chain), or to `npm run local` with `--local`.
 */
import './node20.ts';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { Command } from 'commander';
import {
  dynamoDbClient,
  eventBridgeClient,
  lambdaClient,
  schedulerClient,
  secretsManagerClient,
  stepFunctionsClient,
} from '#core/aws-clients.ts';
import { SERVICE_NAME } from '#core/config.ts';
import { ValidationError } from '#core/errors.ts';
import { EventBridgePublisher } from '#core/events.ts';
import { deleteHoldEndSchedule } from '#core/hold-ends.ts';
import { DEFAULT_STACK_NAME, physicalNames, useSecretRoot } from '#core/names.ts';
import { TaskStore } from '#core/operator-task-store.ts';
import { PRODUCTS } from '#core/products/index.ts';
import { vendorFor } from '#core/products/registry.ts';
import { OwnerRef, parseInput } from '#core/schemas.ts';
import { CredentialStore } from '#core/secrets.ts';
import { readEndpoints } from '#local/endpoints.ts';
import { type AccessChange, adoptAccess, changeAccess } from './access.ts';
import { scheduleAdminRotations, targetRotate } from './admin-rotation.ts';
import {
  ack,
  findStateMachineArn,
  list,
  productTargetFlags,
  revoke,
  rotate,
  start,
  status,
  submit,
  targetAdd,
  tasks,
} from './commands.ts';
import { lambdaOperatorAnswers } from './operator-answers.ts';
import { planReconcile, planRevoke, planRotate } from './plan.ts';
import { setRotationState } from './rotation.ts';
import { targetCheck } from './target-check.ts';
import { targetRemove } from './target-remove.ts';
import { transfer } from './transfer.ts';

interface GlobalOptions {
  local?: boolean;
  region?: string;
  stack: string;
  stateMachineArn?: string;
  revokeStateMachineArn?: string;
  kmsKeyId?: string;
}

const io = {
  out: (line: string) => process.stdout.write(`${line}\n`),
  stdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
};

async function clients(options: GlobalOptions) {
  if (!options.local) {
    const config = options.region ? { region: options.region } : {};
    return {
      sfn: stepFunctionsClient(config),
      secrets: secretsManagerClient(config),
      events: eventBridgeClient(config),
      scheduler: schedulerClient(config),
      dynamoDb: dynamoDbClient(config),
      lambda: lambdaClient(config),
    };
  }
  const endpoints = await readEndpoints();
  const config = {
    region: endpoints.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
  return {
    sfn: stepFunctionsClient({ ...config, endpoint: endpoints.stepFunctions }),
    secrets: secretsManagerClient({ ...config, endpoint: endpoints.secretsManager }),
    events: eventBridgeClient({ ...config, endpoint: endpoints.eventBridge }),
    scheduler: schedulerClient({ ...config, endpoint: endpoints.scheduler }),
    dynamoDb: dynamoDbClient({ ...config, endpoint: endpoints.dynamoDb }),
    lambda: lambdaClient({ ...config, endpoint: endpoints.lambda }),
  };
}

async function run(action: (options: GlobalOptions) => Promise<number>): Promise<void> {
  const options = program.opts<GlobalOptions>();
  try {
    process.exitCode = await action(options);
  } catch (error) {
    const message =
      error instanceof Error
        ? `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}`
        : String(error);
    process.stderr.write(`error: ${message}\n`);
    process.exitCode = error instanceof ValidationError ? 2 : 1;
  }
}

const program = new Command('provisioner')
  .description(`Provision, inspect and list API credentials managed by ${SERVICE_NAME}`)
  .option('--local', 'use the endpoints of `npm run local` (.local-state/endpoints.json) instead of AWS')
  .option('--region <region>', 'AWS region (default: from the environment)')
  .option(
    '--stack <name>',
    'stack whose state machines (`<stack>-provision`), secrets and KMS alias to use',
    DEFAULT_STACK_NAME,
  )
  .option('--state-machine-arn <arn>', 'provision state machine ARN (skips the lookup by stack name)')
  .option('--revoke-state-machine-arn <arn>', 'revoke state machine ARN (skips the lookup by stack name)')
  .option('--kms-key-id <id>', "KMS key for new target secrets (default: the stack's alias)")
  // Every secret name the commands use is the one of the stack --stack names.
  .hook('preAction', (command) => {
    const global = command.opts<GlobalOptions>();
    const names = physicalNames(global.stack);
    useSecretRoot(names.secretRoot);
    if (!global.kmsKeyId) command.setOptionValue('kmsKeyId', names.kmsAlias);
  });

const stateMachine = (options: GlobalOptions, sfn: SFNClient) => async () =>
  options.stateMachineArn ?? findStateMachineArn(sfn, options.stack);

const targetCommand = program
  .command('target')
  .description('manage product targets (stored in Secrets Manager under <secret root>/targets/)');
const targetAddCommand = targetCommand
  .command('add <name>')
  .description('register or update a target; secrets are read from files or stdin, never from arguments')
  .option(
    '--file <target.json>',
    'the whole target definition as JSON (schemas/target-definition.schema.json)',
  )
  .option('--vendor <vendor>', PRODUCTS.map((product) => product.name).join(', '), PRODUCTS[0].name)
  .option('--base-url <url>', 'https://host[:port] of the product')
  .option('--ca-file <pem>', 'CA certificate to pin (PEM)')
  .option('--fingerprint <sha256>', 'SHA-256 fingerprint of the product certificate to pin')
  .option(
    '--policy-file <policy.json>',
    "the target's access policy as JSON (docs/target-policy.md); without one, the read-only defaults",
  );
for (const { flag, description } of productTargetFlags()) targetAddCommand.option(flag, description);
targetAddCommand.action((name: string, options) =>
  run(async (global) => {
    const { secrets, sfn } = await clients(global);
    const machine = async () => findStateMachineArn(sfn, global.stack, 'admin-rotate');
    return targetAdd(
      new CredentialStore(secrets, global.kmsKeyId),
      name,
      options,
      io,
      (added, target, versionId) => scheduleAdminRotations(sfn, machine, added, target, versionId, io),
    );
  }),
);

targetCommand
  .command('remove <name>')
  .description(
    'remove a target whose credentials are all revoked: its admin rotation schedules, and its secret (7-day recovery window)',
  )
  .action((name: string) =>
    run(async (global) => {
      const { secrets, events, scheduler } = await clients(global);
      const deps = {
        store: new CredentialStore(secrets, global.kmsKeyId),
        events: new EventBridgePublisher(events),
        scheduler,
        scheduleGroup: physicalNames(global.stack).scheduleGroup,
      };
      return targetRemove(deps, name, io);
    }),
  );

targetCommand
  .command('check <name>')
  .description(
    'call the target once with its admin credential, from here: does it answer, or refuse this address or the token',
  )
  .action((name: string) =>
    run(async (global) => {
      const { secrets } = await clients(global);
      return targetCheck(new CredentialStore(secrets, global.kmsKeyId), name, io, vendorFor);
    }),
  );

targetCommand
  .command('rotate <name>')
  .description(
    "rotate the target's own admin credential now (twin admin users: the new one works before the old dies)",
  )
  .option('--credential <which>', 'api-token (default), or ssh: FortiManager’s SSH login', 'api-token')
  .option('--wait', 'wait until the execution ends; exit 0 only if the rotation succeeded')
  .option('--poll-ms <ms>', 'polling interval with --wait', (v) => Number.parseInt(v, 10), 1000)
  .action((name: string, options: { credential: string; wait?: boolean; pollMs: number }) =>
    run(async (global) => {
      const { sfn } = await clients(global);
      const machine = async () => findStateMachineArn(sfn, global.stack, 'admin-rotate');
      return targetRotate(sfn, machine, name, options, io);
    }),
  );

program
  .command('start')
  .description(
    'start a provision execution with the console JSON input (schemas/provision-request.schema.json)',
  )
  .requiredOption('--input <file>', 'request JSON file, or - for standard input')
  .option('--wait', 'wait until the execution ends; exit 0 only if it succeeded')
  .option('--poll-ms <ms>', 'polling interval with --wait', (v) => Number.parseInt(v, 10), 1000)
  .action((options: { input: string; wait?: boolean; pollMs: number }) =>
    run(async (global) => {
      const { sfn } = await clients(global);
      return start(sfn, stateMachine(global, sfn), options, io);
    }),
  );

program
  .command('revoke')
  .description('revoke every credential of an owner (as a deactivation event does) and prove each dead')
  .requiredOption('--owner <id>', 'the owner: e-mail address, directory id or team:<group id>')
  .option('--reason <text>', 'why, for the events and the report', 'revoked by an operator')
  .option('--wait', 'wait until the execution ends; exit 0 only if every credential was revoked')
  .option('--poll-ms <ms>', 'polling interval with --wait', (v) => Number.parseInt(v, 10), 1000)
  .action((options: { owner: string; reason: string; wait?: boolean; pollMs: number }) =>
    run(async (global) => {
      const owner = parseInput(OwnerRef, options.owner, 'owner');
      const { sfn } = await clients(global);
      const machine = async () =>
        global.revokeStateMachineArn ?? findStateMachineArn(sfn, global.stack, 'revoke');
      return revoke(sfn, machine, { ...options, owner }, io);
    }),
  );

program
  .command('rotate')
  .description('rotate a credential now (twin users: the new key is current before the old one dies)')
  .requiredOption('--target <name>', 'target of the credential')
  .requiredOption('--api-user <name>', 'API user the credential was provisioned under')
  .option('--start-now', "start at once: outside the credential's window, without the notice's lead time")
  .option('--wait', 'wait until the execution ends; exit 0 only if the rotation succeeded')
  .option('--poll-ms <ms>', 'polling interval with --wait', (v) => Number.parseInt(v, 10), 1000)
  .action(
    (options: { target: string; apiUser: string; startNow?: boolean; wait?: boolean; pollMs: number }) =>
      run(async (global) => {
        const { sfn } = await clients(global);
        return rotate(sfn, async () => findStateMachineArn(sfn, global.stack, 'rotate'), options, io);
      }),
  );

const plan = program
  .command('plan')
  .description(
    'print what a workflow would do (credentials, product calls, operator tasks, schedules), changing nothing',
  );
plan
  .command('revoke')
  .description("what `provisioner revoke --owner` would do: the revoke workflow's dry run")
  .requiredOption('--owner <id>', 'the owner: an e-mail address or directory id, or team:<group id>')
  .action((options: { owner: string }) =>
    run(async (global) => {
      const owner = parseInput(OwnerRef, options.owner, 'owner');
      const { sfn } = await clients(global);
      const machine = async () =>
        global.revokeStateMachineArn ?? findStateMachineArn(sfn, global.stack, 'revoke');
      return planRevoke(sfn, machine, owner, io);
    }),
  );
plan
  .command('rotate <secret>')
  .description("what a rotation of the credential would do and when: the rotate workflow's dry run")
  .action((secret: string) =>
    run(async (global) => {
      const { sfn } = await clients(global);
      return planRotate(sfn, async () => findStateMachineArn(sfn, global.stack, 'rotate'), secret, io);
    }),
  );
plan
  .command('reconcile <target>')
  .description(
    "what reconciling the target would find and repair under its policy: the reconcile workflow's dry run",
  )
  .action((target: string) =>
    run(async (global) => {
      const { sfn } = await clients(global);
      return planReconcile(sfn, async () => findStateMachineArn(sfn, global.stack, 'reconcile'), target, io);
    }),
  );

const rotation = program
  .command('rotation')
  .description("pause or resume a credential's rotation schedule (a rotation already started runs on)");
for (const [verb, state, what] of [
  ['pause', 'DISABLED', 'disable'],
  ['resume', 'ENABLED', 'enable'],
] as const) {
  rotation
    .command(`${verb} <secret>`)
    .description(`${what} the rotation schedule of a credential (secret name or ARN), recorded on its tags`)
    .action((secret: string) =>
      run(async (global) => {
        const { scheduler, secrets } = await clients(global);
        const names = physicalNames(global.stack);
        const deps = {
          scheduler,
          store: new CredentialStore(secrets),
          scheduleGroup: names.scheduleGroup,
          rotateStateMachineName: `${global.stack}-rotate`,
        };
        return setRotationState(deps, secret, state, io);
      }),
    );
}

program
  .command('status <execution>')
  .description('show an execution (name or ARN): its status, its credential or its readable error')
  .action((execution: string) =>
    run(async (global) => {
      const { sfn } = await clients(global);
      const arn = execution.startsWith('arn:')
        ? execution
        : `${(await stateMachine(global, sfn)()).replace(':stateMachine:', ':execution:')}:${execution}`;
      return status(sfn, arn, io);
    }),
  );

program
  .command('list')
  .description("list an owner's credentials (found by the provisioner:owner tag)")
  .requiredOption('--owner <id>', 'the owner: e-mail address, directory id or team:<group id>')
  .action((options: { owner: string }) =>
    run(async (global) => {
      // Bad input is refused before any endpoint is looked up.
      const owner = parseInput(OwnerRef, options.owner, 'owner');
      const { secrets } = await clients(global);
      return list(new CredentialStore(secrets), owner, io);
    }),
  );

program
  .command('transfer')
  .description(
    'move every live credential of one owner to another (person or team:<group id>); releases a held offboarding',
  )
  .requiredOption('--from <owner>', 'the current owner: e-mail address, directory id or team:<group id>')
  .requiredOption('--to <owner>', 'the new owner; a team must be named in each target policy’s teamOwners')
  .action((options: { from: string; to: string }) =>
    run(async (global) => {
      const { secrets, events, scheduler } = await clients(global);
      const { scheduleGroup } = physicalNames(global.stack);
      return transfer(
        {
          store: new CredentialStore(secrets),
          events: new EventBridgePublisher(events),
          removeHoldEnd: (secretName) => deleteHoldEndSchedule(scheduler, scheduleGroup, secretName),
        },
        options,
        io,
      );
    }),
  );

/** The stack's operator task records, as `--stack` names its table. */
const taskStore = (global: GlobalOptions, client: DynamoDBClient) =>
  new TaskStore(client, physicalNames(global.stack).taskTable);

/** The stack's AcceptOperatorAnswer function, which carries out every answer to an operator task. */
async function operatorAnswers(global: GlobalOptions) {
  const { lambda } = await clients(global);
  return lambdaOperatorAnswers(lambda, physicalNames(global.stack).operatorAnswerFunction);
}

program
  .command('tasks [task]')
  .description('list the operator tasks waiting for a credential, or show one task’s instructions')
  .action((task: string | undefined) =>
    run(async (global) => {
      const { dynamoDb } = await clients(global);
      return tasks({ tasks: taskStore(global, dynamoDb), answers: await operatorAnswers(global) }, task, io);
    }),
  );

program
  .command('submit')
  .description(
    'hand in the credential file a product’s UI gave you; the stack’s AcceptOperatorAnswer function checks it, has the product verify it and stores it; the workflow gets only its ARN',
  )
  .requiredOption('--task <id>', 'the task, as `provisioner tasks` and the action-required event name it')
  .option('--file <path>', 'the downloaded credential file (never pass a secret as an argument)')
  .option('--stdin', 'read the credential from standard input')
  .option('--expires-at <iso-date>', 'when the credential expires (products whose UI sets an expiry)')
  .option('--refuse <reason>', 'refuse the task instead; the workflow compensates and fails')
  .option('--done', 'confirm a revocation task: you removed the credential in the product’s UI')
  .action(
    (options: {
      task: string;
      file?: string;
      stdin?: boolean;
      expiresAt?: string;
      refuse?: string;
      done?: boolean;
    }) => run(async (global) => submit(await operatorAnswers(global), options, io)),
  );

program
  .command('ack')
  .description('acknowledge a waiting task (a heartbeat): someone is on it')
  .requiredOption('--task <id>', 'the task to acknowledge')
  .action((options: { task: string }) =>
    run(async (global) => ack(await operatorAnswers(global), options.task, io)),
  );

const accessCommand = program
  .command('access')
  .description("change who, besides the stack, may read a credential's secret (its consumer roles)");
for (const change of ['grant', 'revoke'] as const satisfies readonly AccessChange[]) {
  accessCommand
    .command(`${change} <secret>`)
    .description(
      change === 'grant'
        ? 'let an IAM role read the credential (secret name or ARN)'
        : 'stop an IAM role reading the credential (secret name or ARN)',
    )
    .requiredOption('--role <arn>', 'the consumer role: arn:aws:iam::<account>:role/<path/><name>')
    .action((secret: string, options: { role: string }) =>
      run(async (global) => {
        const { secrets, events } = await clients(global);
        const deps = { store: new CredentialStore(secrets), events: new EventBridgePublisher(events) };
        return changeAccess(deps, change, secret, options.role, io);
      }),
    );
}

accessCommand
  .command('adopt')
  .description(
    'put the consumer policy on credentials provisioned before consumer access (idempotent; reports each one)',
  )
  .option('--target <name>', 'only the credentials of this target')
  .option(
    '--reader <arn>',
    'a role (or pattern) of the deployment’s credentialReaders; repeat for each',
    (value: string, all: string[]) => [...all, value],
    [] as string[],
  )
  .action((options: { target?: string; reader: string[] }) =>
    run(async (global) => {
      const { secrets } = await clients(global);
      const deps = { store: new CredentialStore(secrets), rolePath: physicalNames(global.stack).rolePath };
      return adoptAccess(deps, { target: options.target, readers: options.reader }, io);
    }),
  );

await program.parseAsync();
