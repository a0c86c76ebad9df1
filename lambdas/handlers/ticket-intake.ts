/**
 * The intake endpoint (a Lambda function URL): signed ticket webhooks in, workflow executions out.
 * Answers 202 for a started execution, 200 for one a redelivery had started already, 4xx with a
 * specific message for anything refused (nothing started), 500 without detail otherwise.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyResultV2, LambdaFunctionURLEvent } from 'aws-lambda';
import { secretsManagerClient } from '#core/aws-clients.ts';
import { IntakeError } from '#core/errors.ts';
import { receiveTicket, SIGNATURE_HEADER } from '#core/intake.ts';
import { WEBHOOK_SECRET_NAME } from '#core/names.ts';
import { logger, starterOf } from './runtime.ts';

const SECRET_TTL_MS = 5 * 60 * 1000;
let cachedSecret: { value: string; until: number } | undefined;
let client: SecretsManagerClient | undefined;

/** Cached for five minutes, so a rotated secret takes effect without a redeploy. */
async function webhookSecret(): Promise<string> {
  if (cachedSecret && cachedSecret.until > Date.now()) return cachedSecret.value;
  client ??= secretsManagerClient();
  const answer = await client.send(new GetSecretValueCommand({ SecretId: WEBHOOK_SECRET_NAME }));
  if (!answer.SecretString || answer.SecretString.length < 32)
    throw new Error('the webhook secret is missing or short');
  cachedSecret = { value: answer.SecretString, until: Date.now() + SECRET_TTL_MS };
  return cachedSecret.value;
}

const respond = (statusCode: number, body: unknown): APIGatewayProxyResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

export async function handler(event: LambdaFunctionURLEvent): Promise<APIGatewayProxyResultV2> {
  try {
    const body = event.isBase64Encoded
      ? Buffer.from(event.body ?? '', 'base64').toString('utf8')
      : (event.body ?? '');
    const result = await receiveTicket(
      {
        secret: webhookSecret,
        start: (workflow, name, input) =>
          starterOf(workflow === 'provision' ? 'provisionStateMachineArn' : 'revokeStateMachineArn').start(
            name,
            input,
          ),
        nowSeconds: () => Math.floor(Date.now() / 1000),
      },
      {
        method: event.requestContext?.http?.method ?? '',
        contentType: event.headers?.['content-type'],
        signature: event.headers?.[SIGNATURE_HEADER],
        body,
      },
    );
    logger.info('ticket accepted', { workflow: result.workflow, executionName: result.executionName });
    return respond(result.alreadyStarted ? 200 : 202, result);
  } catch (error) {
    if (error instanceof IntakeError) {
      logger.warn('ticket refused', { status: error.status, reason: error.message });
      return respond(error.status, { error: error.message });
    }
    logger.error('intake failed', { errorName: (error as Error).name });
    return respond(500, { error: 'internal error' });
  }
}
