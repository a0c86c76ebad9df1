/**
 * Where `npm run local` publishes its endpoints, so the CLI (`--local`), any AWS SDK or the AWS CLI
 * can find them. The file holds URLs and the region only, never credentials of a product.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** The account and region every local service answers as (AWS's documentation account id). */
export const LOCAL_ACCOUNT_ID = '000000000000';
export const LOCAL_REGION = 'us-east-1';

/** The ARN a simulated Lambda function goes by. */
export function localFunctionArn(functionName: string, region = LOCAL_REGION): string {
  return `arn:aws:lambda:${region}:${LOCAL_ACCOUNT_ID}:function:${functionName}`;
}

export interface LocalEndpoints {
  readonly region: string;
  readonly secretsManager: string;
  readonly stepFunctions: string;
  readonly eventBridge: string;
  readonly scheduler: string;
  readonly dynamoDb: string;
  readonly lambda: string;
  readonly simulators: Readonly<Record<string, string>>;
}

export const ENDPOINTS_FILE = join(process.cwd(), '.local-state', 'endpoints.json');

export async function writeEndpoints(endpoints: LocalEndpoints, file = ENDPOINTS_FILE): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(endpoints, null, 2)}\n`, { mode: 0o600 });
}

export async function readEndpoints(file = ENDPOINTS_FILE): Promise<LocalEndpoints> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as LocalEndpoints;
  } catch {
    throw new Error(`no local endpoints at ${file}: start them with \`npm run local\``);
  }
}

/** The environment variables that point the AWS SDK v3 (and the AWS CLI v2) at the local endpoints. */
export function awsEnvironmentFor(endpoints: LocalEndpoints): Record<string, string> {
  return {
    AWS_REGION: endpoints.region,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoints.secretsManager,
    AWS_ENDPOINT_URL_SFN: endpoints.stepFunctions,
    AWS_ENDPOINT_URL_EVENTBRIDGE: endpoints.eventBridge,
    AWS_ENDPOINT_URL_SCHEDULER: endpoints.scheduler,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamoDb,
    AWS_ENDPOINT_URL_LAMBDA: endpoints.lambda,
  };
}
