/**
 * Who can read a stored key (issue 14, item 17): a credential names its consumer roles, and its
 * secret's resource policy denies GetSecretValue to everyone else but the stack's own readers
 * (lambdas/core/consumer-access.ts). Another role of the account whose IAM policy grants
 * GetSecretValue and kms:Decrypt on `*` is refused with AWS's AccessDeniedException for an
 * explicit deny in a resource-based policy (IAM User Guide, "Troubleshoot access denied error
 * messages": https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html).
 */
import { GetResourcePolicyCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secretsManagerClient } from '#core/aws-clients.ts';
import { credentialSecretName } from '#core/names.ts';
import { LOCAL_REGION } from '#local/endpoints.ts';
import { failure } from '#test/failure.ts';
import { addressReaderRequest, runProvision } from '#test/support/executions.ts';
import { useLocalEnvironment } from '#test/support/local-environment.ts';

const { env } = useLocalEnvironment({
  targets: async (env) => {
    await env.registerTarget('fortios', 'fgt');
  },
});

/** An SDK client acting as a new role of the account with these identity policies. */
function clientOfRole(name: string, statements: object[]) {
  const arn = env.iam.defineRole(name, { Statement: statements as never });
  env.iam.issueAccessKey(name, arn, name);
  const client = secretsManagerClient({
    region: LOCAL_REGION,
    endpoint: env.secretsManager.url,
    credentials: { accessKeyId: name, secretAccessKey: 'local' },
  });
  return { arn, client };
}

/** GetSecretValue and kms:Decrypt on every resource: what a broad read-only or admin policy grants. */
const READ_EVERYTHING = [
  { Effect: 'Allow', Action: ['secretsmanager:GetSecretValue', 'kms:Decrypt'], Resource: '*' },
];

let intruder: ReturnType<typeof clientOfRole>;
let consumer: ReturnType<typeof clientOfRole>;

describe('consumer read access', () => {
  beforeAll(() => {
    intruder = clientOfRole('reporting-job', READ_EVERYTHING);
    consumer = clientOfRole('address-sync', READ_EVERYTHING);
  });
  afterAll(() => {
    intruder.client.destroy();
    consumer.client.destroy();
  });

  it('another role of the account with GetSecretValue and kms:Decrypt on * is refused; the listed consumer reads', async () => {
    // Prepare
    const request = {
      ...addressReaderRequest('fgt', 'sync-bot', 'ana@example.com'),
      consumers: [consumer.arn],
    };
    const run = await runProvision(env, request);
    expect(run.cause ?? run.status).toBe('SUCCEEDED');
    const secretId = credentialSecretName('fgt', 'sync-bot');
    // Act
    const refused = (await failure(
      intruder.client.send(new GetSecretValueCommand({ SecretId: secretId })),
    )) as Error;
    const read = await consumer.client.send(new GetSecretValueCommand({ SecretId: secretId }));
    // Assess
    const { ARN } = await env.secretsClient.send(new GetResourcePolicyCommand({ SecretId: secretId }));
    expect(refused.name).toBe('AccessDeniedException');
    expect(refused.message).toBe(
      `User: arn:aws:sts::000000000000:assumed-role/reporting-job/reporting-job is not authorized to perform: secretsmanager:GetSecretValue on resource: ${ARN} with an explicit deny in a resource-based policy`,
    );
    expect(JSON.parse(String(read.SecretString))).toMatchObject({ apiUser: 'sync-bot' });
  });

  it('a credential without consumers is read by the stack alone', async () => {
    // Prepare
    const run = await runProvision(env, addressReaderRequest('fgt', 'lone-bot', 'ana@example.com'));
    expect(run.status).toBe('SUCCEEDED');
    // Act
    const secretId = credentialSecretName('fgt', 'lone-bot');
    const refused = (await failure(
      consumer.client.send(new GetSecretValueCommand({ SecretId: secretId })),
    )) as Error;
    // Assess
    expect(refused.name).toBe('AccessDeniedException');
  });
});
