/**
 * The intake handler (lambdas/handlers/ticket-intake.ts) over mocked Secrets Manager and Step Functions:
 * what it reads from the function URL event, which state machine it starts, and the HTTP answer it
 * shapes: 202 started, 200 started before, 4xx with the refusal, 500 without detail.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { actionFromTicket, signWebhook } from '#core/intake.ts';
import { captureLambdaLogs, type LogCapture } from '#local/log-capture.ts';

const SECRET = 'webhook-secret-0123456789abcdef0123456789abcdef';
const MACHINES = {
  PROVISION_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:provision',
  REVOKE_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:revoke',
};
const offboarding = JSON.stringify({
  type: 'offboarding',
  ticket: 'OFF-7',
  approved: true,
  owner: 'kim@example.com',
});
const accessRequest = JSON.stringify({
  type: 'access-request',
  ticket: 'REQ-1',
  approved: true,
  requester: 'kim@example.com',
  request: {
    target: 'fgt',
    apiUser: 'ticket-bot',
    owner: 'kim@example.com',
    ticket: 'REQ-1',
    accessProfile: { name: 'addr-readonly', permissions: { 'fwgrp.address': 'read' } },
    trustedHosts: ['127.0.0.1/32'],
  },
});

const sm = mockClient(SecretsManagerClient);
const sfn = mockClient(SFNClient);
let logs: LogCapture;

/** A fresh module per test: the handler caches the webhook secret for five minutes. */
async function intake() {
  vi.resetModules();
  return (await import('#handlers/ticket-intake.ts')).handler;
}

function urlEvent(body: string, overrides: Partial<LambdaFunctionURLEvent> = {}): LambdaFunctionURLEvent {
  return {
    body,
    isBase64Encoded: false,
    headers: {
      'content-type': 'application/json',
      'x-provisioner-signature': signWebhook(SECRET, body, Math.floor(Date.now() / 1000)),
    },
    requestContext: { http: { method: 'POST' } },
    ...overrides,
  } as LambdaFunctionURLEvent;
}

const answerOf = (result: unknown) => {
  const { statusCode, headers, body } = result as { statusCode: number; headers: object; body: string };
  return { statusCode, headers, body: JSON.parse(body) as Record<string, unknown> };
};

describe('ticket-intake handler', () => {
  beforeAll(() => {
    logs = captureLambdaLogs();
    Object.assign(process.env, MACHINES);
  });

  afterAll(() => {
    logs.stop();
    for (const name of Object.keys(MACHINES)) delete process.env[name];
  });

  beforeEach(() => {
    sm.reset();
    sfn.reset();
    logs.lines.length = 0;
    sm.on(GetSecretValueCommand, { SecretId: 'provisioner.intake/webhook-secret' }).resolves({
      SecretString: SECRET,
    });
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'ignored' });
  });

  it('starts an offboarding ticket’s revocation and answers 202 with the execution', async () => {
    // Prepare
    const handler = await intake();
    const { executionName, input } = actionFromTicket(JSON.parse(offboarding));
    // Act
    const answer = answerOf(await handler(urlEvent(offboarding)));
    // Assess
    expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input).toEqual({
      stateMachineArn: MACHINES.REVOKE_STATE_MACHINE_ARN,
      name: executionName,
      input: JSON.stringify(input),
    });
    expect(answer).toEqual({
      statusCode: 202,
      headers: { 'content-type': 'application/json' },
      body: {
        workflow: 'revoke',
        executionName,
        executionArn: `arn:aws:states:us-east-1:000000000000:execution:revoke:${executionName}`,
        alreadyStarted: false,
      },
    });
    const accepted = logs.lines.find((line) => line.includes('"message":"ticket accepted"'));
    expect(JSON.parse(accepted ?? '{}')).toMatchObject({ workflow: 'revoke', executionName });
  });

  it('starts an access request on the provision state machine', async () => {
    // Prepare
    const handler = await intake();
    // Act
    const answer = answerOf(await handler(urlEvent(accessRequest)));
    // Assess
    expect(answer.statusCode).toBe(202);
    expect(answer.body.workflow).toBe('provision');
    expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.stateMachineArn).toBe(
      MACHINES.PROVISION_STATE_MACHINE_ARN,
    );
  });

  it('answers a redelivery 200 with the execution it started before', async () => {
    // Prepare
    const handler = await intake();
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
    // Act
    const answer = answerOf(await handler(urlEvent(offboarding)));
    // Assess
    expect(answer.statusCode).toBe(200);
    expect(answer.body).toMatchObject({ workflow: 'revoke', alreadyStarted: true });
  });

  it('decodes a base64 body before checking its signature', async () => {
    // Prepare
    const handler = await intake();
    const event = urlEvent(offboarding);
    // Act
    const answer = answerOf(
      await handler({ ...event, body: Buffer.from(offboarding).toString('base64'), isBase64Encoded: true }),
    );
    // Assess
    expect(answer.statusCode).toBe(202);
  });

  it.each([
    [
      'a forged signature',
      () =>
        urlEvent(offboarding, {
          headers: {
            'content-type': 'application/json',
            'x-provisioner-signature': signWebhook(
              'x'.repeat(32),
              offboarding,
              Math.floor(Date.now() / 1000),
            ),
          },
        }),
      401,
      'signature does not match',
    ],
    ['no signature', () => urlEvent(offboarding, { headers: {} }), 401, /^missing or malformed/],
    [
      'no method',
      () => urlEvent(offboarding, { requestContext: undefined as never }),
      400,
      'only POST is accepted',
    ],
    [
      'a form body',
      () =>
        urlEvent(offboarding, {
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        }),
      415,
      'the body must be application/json',
    ],
    ['a signed empty body', () => urlEvent('', { body: undefined }), 400, 'body is not JSON'],
  ])('refuses %s with its status and reason, starting nothing', async (_, event, status, reason) => {
    // Prepare
    const handler = await intake();
    // Act
    const answer = answerOf(await handler(event()));
    // Assess
    expect(answer.statusCode).toBe(status);
    expect(answer.body.error).toMatch(reason);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    const refused = logs.lines.find((line) => line.includes('"message":"ticket refused"'));
    expect(JSON.parse(refused ?? '{}')).toMatchObject({ level: 'WARN', status });
  });

  it.each([
    ['Step Functions fails', () => sfn.on(StartExecutionCommand).rejects(new Error(`boom ${SECRET}`))],
    ['the webhook secret is short', () => sm.on(GetSecretValueCommand).resolves({ SecretString: 'short' })],
    ['the webhook secret is missing', () => sm.on(GetSecretValueCommand).rejects(new Error('AccessDenied'))],
  ])('answers 500 without detail when %s', async (_, fail) => {
    // Prepare
    const handler = await intake();
    fail();
    // Act
    const answer = answerOf(await handler(urlEvent(offboarding)));
    // Assess
    expect(answer).toMatchObject({ statusCode: 500, body: { error: 'internal error' } });
    expect(logs.lines.join('\n')).toContain('"message":"intake failed"');
    expect(logs.lines.join('\n')).not.toContain(SECRET);
  });

  it('reads the webhook secret once for many tickets', async () => {
    // Prepare
    const handler = await intake();
    // Act
    await handler(urlEvent(offboarding));
    await handler(urlEvent(accessRequest));
    // Assess
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(2);
  });
});
