/**
 * One constructor per AWS SDK client of the system, each with the retry strategy it is meant to
 * share: handlers, the intake, the CLI and the embedded default build their clients here. A client
 * takes its region and credentials from the environment as Lambda provides them; the CLI and
 * `local/` pass an endpoint, region and credentials of their own.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SecretsManagerClient, type SecretsManagerClientConfig } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';

/** What the CLI and the embedded default set on a client; Lambda sets none of it. */
export interface ClientSettings {
  readonly region?: string;
  readonly endpoint?: string;
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

type RetryStrategyV2 = Extract<
  NonNullable<SecretsManagerClientConfig['retryStrategy']>,
  { refreshRetryTokenForRetry: unknown }
>;
type RetryToken = Awaited<ReturnType<RetryStrategyV2['acquireInitialRetryToken']>>;

/** Attempts of one Secrets Manager request, the first included (SECRETS_CLIENT_RETRIES). */
export const SECRETS_CLIENT_MAX_ATTEMPTS = 8;
const retryToken = (retries: number, delayMs: number): RetryToken => ({
  getRetryCount: () => retries,
  getRetryDelay: () => delayMs,
});

/**
 * How every Secrets Manager client of the system (handlers, CLI) retries. The account's writes
 * share one quota of 50 per second, so a bulk rotation or revocation is throttled by design: a
 * retry spread at random over the next second keeps the quota in use, where the SDK's exponential
 * backoff (500 ms base for throttling) leaves it idle (bench: 1.0× the quota's floor, against
 * 1.6–2.1× with the default). Unlike the SDK's strategies there is no retry quota (500 tokens, 5
 * per retry, per strategy): thousands of expected throttles drain it and later requests then fail
 * on their first throttle. Each request still stops after 8 attempts; client errors never retry.
 */
export const SECRETS_CLIENT_RETRIES: { retryStrategy: RetryStrategyV2 } = {
  retryStrategy: {
    acquireInitialRetryToken: async () => retryToken(0, 0),
    refreshRetryTokenForRetry: async (token, errorInfo) => {
      const retries = token.getRetryCount() + 1;
      if (errorInfo.errorType === 'CLIENT_ERROR' || retries >= SECRETS_CLIENT_MAX_ATTEMPTS) {
        throw new Error('no retry: a client error, or the last attempt');
      }
      return retryToken(retries, 100 + Math.random() * 900);
    },
    recordSuccess: () => {},
  },
};

export type SystemClient =
  | SecretsManagerClient
  | SFNClient
  | EventBridgeClient
  | SchedulerClient
  | DynamoDBClient
  | LambdaClient;

/**
 * Applied to every client built here. Nothing registers one in Lambda, the CLI or the console; the
 * embedded default registers one that sends the calling function's session (local/iam/caller.ts),
 * because its simulated functions share this process and these module-level clients.
 */
const clientExtensions: ((client: SystemClient) => void)[] = [];

export function extendEveryClient(extension: (client: SystemClient) => void): void {
  clientExtensions.push(extension);
}

function extended<C extends SystemClient>(client: C): C {
  for (const extension of clientExtensions) extension(client);
  return client;
}

export function secretsManagerClient(settings: ClientSettings = {}): SecretsManagerClient {
  return extended(new SecretsManagerClient({ ...settings, ...SECRETS_CLIENT_RETRIES }));
}

export function stepFunctionsClient(settings: ClientSettings = {}): SFNClient {
  return extended(new SFNClient({ ...settings }));
}

export function eventBridgeClient(settings: ClientSettings = {}): EventBridgeClient {
  return extended(new EventBridgeClient({ ...settings }));
}

export function schedulerClient(settings: ClientSettings = {}): SchedulerClient {
  return extended(new SchedulerClient({ ...settings }));
}

/** The operator task table's client (lambdas/core/operator-task-store.ts), with the SDK's standard retries. */
export function dynamoDbClient(settings: ClientSettings = {}): DynamoDBClient {
  return extended(new DynamoDBClient({ ...settings }));
}

/**
 * Invokes are not retried by the client: a function that stored a credential and lost its answer
 * would otherwise run twice (the operator sees the error and submits again, on purpose).
 */
export function lambdaClient(settings: ClientSettings = {}): LambdaClient {
  return extended(new LambdaClient({ ...settings, maxAttempts: 1 }));
}
