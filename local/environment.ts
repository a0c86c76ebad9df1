/**
 * The embedded default: local Secrets Manager, EventBridge and Step Functions
 * endpoints, the product simulators, and the synthesized state machines run with the real handlers,
 * all on loopback in this process. Tests, `npm start`, `npm run local` and the bench share it.
 */
import './polyfills.ts';
import { randomBytes } from 'node:crypto';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { secretsManagerClient, stepFunctionsClient } from '#core/aws-clients.ts';
import {
  DEFAULT_EVENT_BUS,
  DEFAULT_ROTATION_RATE,
  DEFAULT_TOKEN_REFRESH_RATE,
  ENV,
  KMS_KEY_ALIAS,
  ROTATION_SCHEDULE_GROUP,
} from '#core/config.ts';
import { WEBHOOK_SECRET_NAME } from '#core/names.ts';
import type { VendorName } from '#core/products/index.ts';
import { simulatedOf, startSimulators } from '#core/products/simulated.ts';
import { CredentialStore } from '#core/secrets.ts';
import { resetWorkflowDeps } from '#handlers/runtime.ts';
import {
  awsEnvironmentFor,
  LOCAL_ACCOUNT_ID,
  LOCAL_REGION,
  type LocalEndpoints,
  localFunctionArn,
} from './endpoints.ts';
import { startLocalEventBus } from './event-bus.ts';
import { startFunctionUrl } from './function-url.ts';
import { createLocalInvoker, LambdaFaults, type LocalInvocation } from './lambda-runtime.ts';
import { startLocalScheduler } from './scheduler.ts';
import { startLocalSecretsManager } from './secrets-manager.ts';
import { startLocalStepFunctions } from './step-functions.ts';
import { synthesizeRules, synthesizeWorkflows } from './synth.ts';

/** The stack's key, by its alias (the local Secrets Manager records it, encrypting nothing). */
const LOCAL_KMS_KEY_ID = KMS_KEY_ALIAS;

export interface LocalEnvironmentOptions {
  /** Milliseconds for every Wait state (default: as defined; tests pass 0). */
  readonly waitOverrideMs?: number;
  /** Milliseconds between retries (default: as defined; tests pass 0). */
  readonly retryOverrideMs?: number;
  /** Fixed ports for `npm run local`; 0 (any free port) otherwise. */
  readonly ports?: {
    secretsManager?: number;
    stepFunctions?: number;
    eventBridge?: number;
    intake?: number;
    simulators?: Partial<Record<VendorName, number>>;
  };
  readonly onInvoke?: (call: LocalInvocation) => void;
  /**
   * Milliseconds of the local Secrets Manager's clock that ListSecrets lags behind writes, as AWS's
   * may (up to five minutes); off by default for speed. Tests move that clock with
   * `secretsManager.store.advanceClock`.
   */
  readonly listingLagMs?: number;
}

export type LocalEnvironment = Awaited<ReturnType<typeof startLocalEnvironment>>;

export async function startLocalEnvironment(options: LocalEnvironmentOptions = {}) {
  const ports = options.ports ?? {};
  const secretsManager = await startLocalSecretsManager({
    port: ports.secretsManager,
    region: LOCAL_REGION,
    listingLagMs: options.listingLagMs,
  });
  const lambdaFaults = new LambdaFaults();
  const invoke = createLocalInvoker({ onInvoke: options.onInvoke, faults: lambdaFaults });
  const eventBus = await startLocalEventBus({
    port: ports.eventBridge,
    region: LOCAL_REGION,
    rules: synthesizeRules(),
    deliver: (handlerId, event) => invoke(localFunctionArn(handlerId), event),
  });
  const simulators = await startSimulators(ports.simulators);
  const workflows = synthesizeWorkflows();
  const stepFunctions = await startLocalStepFunctions({
    port: ports.stepFunctions,
    region: LOCAL_REGION,
    machines: Object.values(workflows).map((w) => ({ name: w.stateMachineName, definition: w.definition })),
    invoke,
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
  const scheduler = await startLocalScheduler({
    region: LOCAL_REGION,
    // Scheduler's Step Functions target starts an execution with a generated name.
    startExecution: async (stateMachineArn, input) =>
      stepFunctions.service.operations.StartExecution({ stateMachineArn, input }),
  });
  const endpoints: LocalEndpoints = {
    region: LOCAL_REGION,
    secretsManager: secretsManager.url,
    stepFunctions: stepFunctions.url,
    eventBridge: eventBus.url,
    scheduler: scheduler.url,
    simulators: Object.fromEntries(Object.entries(simulators).map(([name, { url }]) => [name, url])),
  };
  // The handlers run in this process and build their SDK clients from the environment, as in Lambda.
  Object.assign(process.env, awsEnvironmentFor(endpoints), {
    [ENV.kmsKeyId]: LOCAL_KMS_KEY_ID,
    [ENV.eventBus]: DEFAULT_EVENT_BUS,
    [ENV.revokeStateMachineArn]: revokeStateMachineArn,
    [ENV.provisionStateMachineArn]: provisionStateMachineArn,
    [ENV.rotateStateMachineArn]: rotateStateMachineArn,
    [ENV.rotationScheduleGroup]: ROTATION_SCHEDULE_GROUP,
    [ENV.rotationSchedulerRoleArn]: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/local-scheduler`,
    [ENV.rotationDeadLetterQueueArn]: `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:local-schedule-dead-letters`,
    [ENV.rotationRate]: DEFAULT_ROTATION_RATE,
    [ENV.refreshStateMachineArn]: refreshStateMachineArn,
    [ENV.tokenRefreshRate]: DEFAULT_TOKEN_REFRESH_RATE,
  });
  resetWorkflowDeps();

  const clientSettings = {
    region: LOCAL_REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
  const secretsClient = secretsManagerClient({ ...clientSettings, endpoint: secretsManager.url });
  const sfnClient = stepFunctionsClient({ ...clientSettings, endpoint: stepFunctions.url });
  const store = new CredentialStore(secretsClient, LOCAL_KMS_KEY_ID);
  // The intake's shared secret, as the stack creates it; tests and the scenario sign tickets with it.
  const webhookSecret = randomBytes(32).toString('hex');
  await secretsClient.send(
    new CreateSecretCommand({
      Name: WEBHOOK_SECRET_NAME,
      SecretString: webhookSecret,
      KmsKeyId: LOCAL_KMS_KEY_ID,
    }),
  );
  const intake = await startFunctionUrl({ handlerId: 'ticket-intake', invoke, port: ports.intake });

  return {
    endpoints,
    secretsManager,
    eventBus,
    stepFunctions,
    scheduler,
    ...simulators,
    lambdaFaults,
    secretsClient,
    sfnClient,
    store,
    provisionStateMachineArn,
    revokeStateMachineArn,
    rotateStateMachineArn,
    reconcileStateMachineArn,
    refreshStateMachineArn,
    /** The ticketing intake's function URL and the secret its webhooks are signed with. */
    intake: { url: intake.url, webhookSecret },
    /** Registers a product's simulator as a target, TLS pinned to its generated CA (or its certificate). */
    async registerTarget(product: VendorName, name: string, pinning: 'ca' | 'fingerprint' = 'ca') {
      return store.putTarget(name, simulatedOf(product).target(simulators[product], pinning));
    },
    async close() {
      await stepFunctions.service.stopAll();
      secretsClient.destroy();
      sfnClient.destroy();
      await Promise.all([
        scheduler.close(),
        intake.close(),
        stepFunctions.close(),
        ...Object.values(simulators).map((simulator) => simulator.close()),
        eventBus.close(),
        secretsManager.close(),
      ]);
    },
  };
}
