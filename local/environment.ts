/**
 * The embedded default: local Secrets Manager, DynamoDB, EventBridge and Step Functions
 * endpoints, the product simulators, and the synthesized state machines run with the real handlers,
 * all on loopback in this process. Tests, `npm start`, `npm run local` and the bench share it.
 */
import './polyfills.ts';
import { randomBytes, randomUUID } from 'node:crypto';
import {
  dynamoDbClient,
  lambdaClient,
  schedulerClient,
  secretsManagerClient,
  stepFunctionsClient,
} from '#core/aws-clients.ts';
import {
  DEFAULT_EVENT_BUS,
  DEFAULT_ROTATION_RATE,
  DEFAULT_TOKEN_REFRESH_RATE,
  ENV,
  KMS_KEY_ALIAS,
  ROTATION_SCHEDULE_GROUP,
} from '#core/config.ts';
import { DEFAULT_STACK_NAME, physicalNames, WEBHOOK_SECRET_NAME } from '#core/names.ts';
import { TaskStore } from '#core/operator-task-store.ts';
import type { VendorName } from '#core/products/index.ts';
import { simulatedOf, startSimulators } from '#core/products/simulated.ts';
import { CredentialStore } from '#core/secrets.ts';
import { resetWorkflowDeps } from '#handlers/runtime.ts';
import { AwsServiceError } from './aws-json-server.ts';
import { startLocalDynamoDb, tablesOf } from './dynamodb.ts';
import {
  awsEnvironmentFor,
  LOCAL_ACCOUNT_ID,
  LOCAL_REGION,
  type LocalEndpoints,
  localFunctionArn,
} from './endpoints.ts';
import { startLocalEventBus } from './event-bus.ts';
import { startFunctionUrl } from './function-url.ts';
import {
  ADMINISTRATOR_ACCESS_KEY_ID,
  LocalIam,
  OPERATOR_ACCESS_KEY_ID,
  secretPhysicalIds,
} from './iam/account.ts';
import { sendInvocationSessions } from './iam/caller.ts';
import {
  dynamoDbAuthorizer,
  eventBridgeAuthorizer,
  lambdaAuthorizer,
  schedulerAuthorizer,
  secretsManagerAuthorizer,
  stepFunctionsAuthorizer,
} from './iam/service-authorizers.ts';
import { startLocalLambda } from './lambda-invoke.ts';
import { createLocalInvoker, LambdaFaults, LambdaTiming, type LocalInvocation } from './lambda-runtime.ts';
import { startLocalScheduler } from './scheduler.ts';
import { startLocalSecretsManager } from './secrets-manager.ts';
import { startLocalStepFunctions } from './step-functions.ts';
import {
  functionHandlers,
  handlerIdFromFunctionArn,
  resolveTemplateValue,
  synthesizeRules,
  synthesizeTemplate,
  synthesizeWorkflows,
  type TemplateResources,
} from './synth.ts';

/** The stack's key, by its alias (the local Secrets Manager records it, encrypting nothing). */
const LOCAL_KMS_KEY_ID = KMS_KEY_ALIAS;

/**
 * Latencies the embedded default can add so that timings resemble a deployment's (milliseconds; all
 * 0 unless set, so tests stay fast and deterministic).
 */
export interface Latencies {
  /** Before each AWS call runs and is answered: Secrets Manager, Step Functions, EventBridge, Scheduler, Lambda's Invoke. */
  readonly awsMs: number;
  /** Before each product simulator answers. */
  readonly productMs: number;
  /** A Lambda invocation's cold start, taken where no idle environment of its function is left. */
  readonly lambdaStartMs: number;
}

export interface LocalEnvironmentOptions {
  /**
   * The template whose IAM every local endpoint enforces (default: the stack's). Tests pass a copy
   * with a grant removed to prove a workflow needs it.
   */
  readonly iamTemplate?: TemplateResources;
  /** Milliseconds for every Wait state (default: as defined; tests pass 0). */
  readonly waitOverrideMs?: number;
  /** Milliseconds between retries (default: as defined; tests pass 0). */
  readonly retryOverrideMs?: number;
  /** Fixed ports for `npm run local`; 0 (any free port) otherwise. */
  readonly ports?: {
    secretsManager?: number;
    stepFunctions?: number;
    eventBridge?: number;
    dynamoDb?: number;
    intake?: number;
    lambda?: number;
    simulators?: Partial<Record<VendorName, number>>;
  };
  readonly onInvoke?: (call: LocalInvocation) => void;
  /**
   * Milliseconds of the local Secrets Manager's clock that ListSecrets lags behind writes, as AWS's
   * may (up to five minutes); off by default for speed. Tests move that clock with
   * `secretsManager.store.advanceClock`.
   */
  readonly listingLagMs?: number;
  /** Latencies from the start (default none); `setLatencies` changes them later. */
  readonly latency?: Partial<Latencies>;
}

export type LocalEnvironment = Awaited<ReturnType<typeof startLocalEnvironment>>;

export async function startLocalEnvironment(options: LocalEnvironmentOptions = {}) {
  const ports = options.ports ?? {};
  const template = options.iamTemplate ?? synthesizeTemplate();
  // Every endpoint evaluates its callers against the account's IAM, which exists once the stack's own secret does.
  let iam: LocalIam | undefined;
  const account = (): LocalIam => {
    if (!iam) throw new Error('the local account has no IAM yet');
    return iam;
  };
  sendInvocationSessions();
  const secretsManager = await startLocalSecretsManager({
    port: ports.secretsManager,
    region: LOCAL_REGION,
    listingLagMs: options.listingLagMs,
    authorize: (store) => (call) => secretsManagerAuthorizer(account(), store)(call),
  });
  const dynamoDb = await startLocalDynamoDb({
    tables: tablesOf(template),
    port: ports.dynamoDb,
    authorize: (tables) => (call) => dynamoDbAuthorizer(account(), tables)(call),
  });
  // The intake's shared secret, created with the stack (by CloudFormation, before any caller); tests and the scenario sign tickets with it.
  const webhookSecret = randomBytes(32).toString('hex');
  const created = (await secretsManager.store.operations.CreateSecret?.({
    Name: WEBHOOK_SECRET_NAME,
    SecretString: webhookSecret,
    KmsKeyId: LOCAL_KMS_KEY_ID,
    ClientRequestToken: randomUUID(),
  })) as { ARN: string } | undefined;
  if (!created) throw new Error('the local Secrets Manager cannot create secrets');
  iam = new LocalIam(template, secretPhysicalIds(template, { [WEBHOOK_SECRET_NAME]: created.ARN }));
  iam.issueAccessKey(
    OPERATOR_ACCESS_KEY_ID,
    iam.defineRole('local-operator', iam.managedPolicy(physicalNames(DEFAULT_STACK_NAME).operatorPolicy)),
    'operator',
  );
  iam.issueAccessKey(
    ADMINISTRATOR_ACCESS_KEY_ID,
    iam.defineRole('local-administrator', { Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }),
    'administrator',
  );
  const lambdaFaults = new LambdaFaults();
  const lambdaTiming = new LambdaTiming();
  const handlers = functionHandlers(template);
  const invoke = createLocalInvoker({
    onInvoke: options.onInvoke,
    faults: lambdaFaults,
    timing: lambdaTiming,
    sessionOf: (functionArn) => account().functionSession(functionArn),
    handlerIdOf: (functionArn) => handlers.get(functionArn) ?? handlerIdFromFunctionArn(functionArn),
  });
  const lambda = await startLocalLambda({
    port: ports.lambda,
    region: LOCAL_REGION,
    functionNames: new Set([...handlers.keys()].map((arn) => arn.slice(arn.lastIndexOf(':') + 1))),
    invoke,
    authorize: (call) => lambdaAuthorizer(account())(call),
  });
  const eventBus = await startLocalEventBus({
    port: ports.eventBridge,
    region: LOCAL_REGION,
    rules: synthesizeRules(),
    authorize: (call) => eventBridgeAuthorizer(account())(call),
    deliver: (handlerId, event, ruleArn) => {
      const functionArn = localFunctionArn(handlerId);
      // A rule's Lambda target is invoked by EventBridge as itself, allowed by the function's resource policy.
      const context = { 'aws:SourceArn': ruleArn, 'aws:SourceAccount': LOCAL_ACCOUNT_ID };
      if (!account().servicePermitted('events.amazonaws.com', 'lambda:InvokeFunction', functionArn, context))
        return Promise.reject(new Error(`events.amazonaws.com may not invoke ${functionArn} for ${ruleArn}`));
      return invoke(functionArn, event);
    },
  });
  const simulators = await startSimulators(ports.simulators);
  const workflows = synthesizeWorkflows();
  const stepFunctions = await startLocalStepFunctions({
    port: ports.stepFunctions,
    region: LOCAL_REGION,
    machines: Object.values(workflows).map((w) => ({ name: w.stateMachineName, definition: w.definition })),
    authorize: (call) => stepFunctionsAuthorizer(account())(call),
    invoke: async (functionArn, payload, stateMachineArn) => {
      try {
        const principal = account().stateMachineSession(stateMachineArn);
        account().authorize({ principal, action: 'lambda:InvokeFunction', resource: functionArn });
      } catch (error) {
        throw lambdaServiceError(error);
      }
      return invoke(functionArn, payload);
    },
    waitOverrideMs: options.waitOverrideMs,
    retryOverrideMs: options.retryOverrideMs,
  });
  const machineArn = (name: string) =>
    `arn:aws:states:${LOCAL_REGION}:${stepFunctions.service.accountId}:stateMachine:${name}`;
  const provisionStateMachineArn = machineArn(workflows.provision.stateMachineName);
  const revokeStateMachineArn = machineArn(workflows.revoke.stateMachineName);
  const rotateStateMachineArn = machineArn(workflows.rotate.stateMachineName);
  const reconcileStateMachineArn = machineArn(workflows.reconcile.stateMachineName);
  const refreshStateMachineArn = machineArn(workflows.refresh.stateMachineName);
  const adminRotateStateMachineArn = machineArn(workflows['admin-rotate'].stateMachineName);
  const scheduler = await startLocalScheduler({
    region: LOCAL_REGION,
    authorize: (call) => schedulerAuthorizer(account())(call),
    // Scheduler assumes the schedule's role (its trust policy) and starts the execution as that role, with a generated name.
    startExecution: async (stateMachineArn, input, roleArn) => {
      const principal = account().assumeRoleAs('scheduler.amazonaws.com', roleArn, {
        'aws:SourceAccount': LOCAL_ACCOUNT_ID,
      });
      account().authorize({ principal, action: 'states:StartExecution', resource: stateMachineArn });
      return stepFunctions.service.operations.StartExecution({ stateMachineArn, input });
    },
  });
  const endpoints: LocalEndpoints = {
    region: LOCAL_REGION,
    secretsManager: secretsManager.url,
    stepFunctions: stepFunctions.url,
    eventBridge: eventBus.url,
    scheduler: scheduler.url,
    dynamoDb: dynamoDb.url,
    lambda: lambda.url,
    simulators: Object.fromEntries(Object.entries(simulators).map(([name, { url }]) => [name, url])),
  };
  // The handlers run in this process and build their SDK clients from the environment, as in Lambda.
  Object.assign(process.env, awsEnvironmentFor(endpoints), {
    [ENV.kmsKeyId]: LOCAL_KMS_KEY_ID,
    [ENV.taskTable]: physicalNames(DEFAULT_STACK_NAME).taskTable,
    [ENV.eventBus]: DEFAULT_EVENT_BUS,
    [ENV.revokeStateMachineArn]: revokeStateMachineArn,
    [ENV.provisionStateMachineArn]: provisionStateMachineArn,
    [ENV.rotateStateMachineArn]: rotateStateMachineArn,
    [ENV.adminRotateStateMachineArn]: adminRotateStateMachineArn,
    [ENV.rotationScheduleGroup]: ROTATION_SCHEDULE_GROUP,
    [ENV.rotationSchedulerRoleArn]: functionSetting(template, ENV.rotationSchedulerRoleArn),
    [ENV.rotationDeadLetterQueueArn]: `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:local-schedule-dead-letters`,
    [ENV.rotationRate]: DEFAULT_ROTATION_RATE,
    [ENV.refreshStateMachineArn]: refreshStateMachineArn,
    [ENV.tokenRefreshRate]: DEFAULT_TOKEN_REFRESH_RATE,
    [ENV.credentialReaders]: functionSetting(template, ENV.credentialReaders),
  });
  resetWorkflowDeps();
  const setLatencies = (latency: Partial<Latencies>) => {
    for (const [name, ms] of Object.entries(latency)) {
      if (!Number.isFinite(ms) || ms < 0)
        throw new RangeError(`latency ${name} must be 0 or more milliseconds, not ${ms}`);
    }
    const { awsMs, productMs, lambdaStartMs } = latency;
    const awsDelays = [secretsManager, stepFunctions, eventBus, scheduler].map((s) => s.answerDelay);
    if (awsMs !== undefined) for (const delay of [...awsDelays, lambdaTiming.invoke]) delay.ms = awsMs;
    if (productMs !== undefined)
      for (const simulator of Object.values(simulators)) simulator.faults.answerDelay.ms = productMs;
    if (lambdaStartMs !== undefined) lambdaTiming.coldStart.ms = lambdaStartMs;
  };
  setLatencies(options.latency ?? {});

  const clientsFor = (accessKeyId: string) => {
    const settings = { region: LOCAL_REGION, credentials: { accessKeyId, secretAccessKey: 'local' } };
    const secretsClient = secretsManagerClient({ ...settings, endpoint: secretsManager.url });
    const sfnClient = stepFunctionsClient({ ...settings, endpoint: stepFunctions.url });
    const dynamoClient = dynamoDbClient({ ...settings, endpoint: dynamoDb.url });
    return {
      secretsClient,
      sfnClient,
      dynamoClient,
      schedulerClient: schedulerClient({ ...settings, endpoint: scheduler.url }),
      lambdaClient: lambdaClient({ ...settings, endpoint: lambda.url }),
      store: new CredentialStore(secretsClient, LOCAL_KMS_KEY_ID),
      tasks: new TaskStore(dynamoClient, physicalNames(DEFAULT_STACK_NAME).taskTable),
    };
  };
  const {
    secretsClient,
    sfnClient,
    dynamoClient,
    lambdaClient: administratorLambda,
    store,
    tasks,
  } = clientsFor(ADMINISTRATOR_ACCESS_KEY_ID);
  const operator = clientsFor(OPERATOR_ACCESS_KEY_ID);
  const intake = await startFunctionUrl({ handlerId: 'ticket-intake', invoke, port: ports.intake });

  return {
    endpoints,
    secretsManager,
    /** The operator task table's endpoint (every item written: `dynamoDb.dynamoDb.allWrittenItems()`). */
    dynamoDb,
    eventBus,
    stepFunctions,
    scheduler,
    ...simulators,
    lambdaFaults,
    /** Lambda's Invoke round trip and cold starts, and how many cold starts there were. */
    lambdaTiming,
    setLatencies,
    /** Clients acting as the operator, whose calls the operator policy allows (the CLI's, `local/operator.ts`'s). */
    operator,
    /** The account's IAM from the template: sessions and decisions (tests). */
    iam,
    secretsClient,
    sfnClient,
    /** Lambda's Invoke API as the administrator (tests). */
    lambdaClient: administratorLambda,
    store,
    /** The operator task records, read as the administrator (tests). */
    tasks,
    provisionStateMachineArn,
    revokeStateMachineArn,
    rotateStateMachineArn,
    reconcileStateMachineArn,
    refreshStateMachineArn,
    adminRotateStateMachineArn,
    /** The ticketing intake's function URL and the secret its webhooks are signed with. */
    intake: { url: intake.url, webhookSecret },
    /** Registers a product's simulator as a target, TLS pinned to its generated CA (or its certificate). */
    async registerTarget(product: VendorName, name: string, pinning: 'ca' | 'fingerprint' = 'ca') {
      return operator.store.putTarget(name, simulatedOf(product).target(simulators[product], pinning));
    },
    async close() {
      await stepFunctions.service.stopAll();
      for (const client of [
        secretsClient,
        sfnClient,
        dynamoClient,
        administratorLambda,
        operator.secretsClient,
        operator.sfnClient,
        operator.dynamoClient,
        operator.schedulerClient,
        operator.lambdaClient,
      ])
        client.destroy();
      await Promise.all([
        scheduler.close(),
        intake.close(),
        lambda.close(),
        stepFunctions.close(),
        ...Object.values(simulators).map((simulator) => simulator.close()),
        eventBus.close(),
        dynamoDb.close(),
        secretsManager.close(),
      ]);
    },
  };
}

/** A setting the template gives its functions (one value for all that have it), resolved locally. */
function functionSetting(template: TemplateResources, name: string): string {
  for (const [logicalId, resource] of Object.entries(template)) {
    const variables = (
      resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined
    )?.Variables;
    if (resource.Type === 'AWS::Lambda::Function' && variables?.[name] !== undefined)
      return String(resolveTemplateValue(variables[name], template, logicalId));
  }
  throw new Error(`no function of the template has ${name}`);
}

/**
 * A state machine's role refused lambda:InvokeFunction: Lambda answers AccessDeniedException (HTTP
 * 403) and the task fails with `Lambda.AWSLambdaException`, Lambda's message and status as the
 * cause (Step Functions Developer Guide, "Handle Lambda service exceptions"; the cause in the Java
 * SDK's form Step Functions reports service errors in).
 */
function lambdaServiceError(error: unknown): Error {
  if (!(error instanceof AwsServiceError)) return error as Error;
  const failure = new Error(
    `${error.message} (Service: AWSLambda; Status Code: 403; Error Code: ${error.code})`,
  );
  failure.name = 'Lambda.AWSLambdaException';
  return failure;
}
