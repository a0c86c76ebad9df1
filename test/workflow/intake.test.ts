/**
 * The ticketing intake on the embedded default: signed webhooks over HTTP to the function URL, the
 * real handler, executions on the local Step Functions endpoint. Forged, stale, oversized or
 * malformed tickets start nothing; a redelivered one answers with the execution it started.
 */
import { ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { MAX_WEBHOOK_BYTES, signWebhook } from '#core/intake.ts';
import { scanEnvironment } from '#local/leak-scan.ts';
import { executionEnd } from '#test/support/executions.ts';
import { useLocalEnvironment } from '#test/support/local-environment.ts';

const { env, logs } = useLocalEnvironment({
  targets: async (env) => {
    await env.registerTarget('fortios', 'fgt');
  },
});
const answers: string[] = [];

const accessRequest = (ticket: string, apiUser: string) => ({
  target: 'fgt',
  apiUser,
  owner: 'kim@example.com',
  ticket,
  accessProfile: { name: 'addr-readonly', permissions: { 'fwgrp.address': 'read' } },
  trustedHosts: ['127.0.0.1/32'],
});

async function post(body: string, options: { secret?: string; at?: number; contentType?: string } = {}) {
  const at = options.at ?? Math.floor(Date.now() / 1000);
  const response = await fetch(env.intake.url, {
    method: 'POST',
    headers: {
      'content-type': options.contentType ?? 'application/json',
      'x-provisioner-signature': signWebhook(options.secret ?? env.intake.webhookSecret, body, at),
    },
    body,
  });
  const text = await response.text();
  answers.push(text);
  return { status: response.status, body: JSON.parse(text) as Record<string, unknown> };
}

async function executions(): Promise<number> {
  let total = 0;
  for (const stateMachineArn of [env.provisionStateMachineArn, env.revokeStateMachineArn]) {
    const listed = await env.sfnClient.send(new ListExecutionsCommand({ stateMachineArn }));
    total += listed.executions?.length ?? 0;
  }
  return total;
}

describe('ticketing intake (function URL, local runtime)', () => {
  it('a signed, approved access request provisions; its redelivery starts nothing new', async () => {
    // Prepare
    const body = JSON.stringify({
      type: 'access-request',
      ticket: 'REQ-100',
      approved: true,
      requester: 'kim@example.com',
      request: accessRequest('REQ-100', 'ticket-bot'),
    });
    // Act
    const [first, concurrent] = await Promise.all([post(body), post(body)]);
    const done = await executionEnd(env, String(first?.body.executionArn));
    const later = await post(body);
    // Assess: Step Functions answers a repeated start of a running execution as a success.
    expect(first?.status).toBe(202);
    expect(concurrent?.body.executionArn).toBe(first?.body.executionArn);
    expect(later.status).toBe(200);
    expect(later.body).toMatchObject({ alreadyStarted: true, executionArn: first?.body.executionArn });
    expect(done.status).toBe('SUCCEEDED');
    expect(env.fortios.state.users.has('ticket-bot')).toBe(true);
  });

  it.each([
    [
      'ServiceNow',
      {
        number: 'RITM0010001',
        approval: 'approved',
        cat_item: { name: 'API access' },
        requested_for: { email: 'kim@example.com' },
        variables: { ...accessRequest('ignored', 'snow-bot'), ticket: undefined },
      },
    ],
    [
      'Jira Service Management',
      {
        webhookEvent: 'jira:issue_updated',
        issue: {
          key: 'ITSM-42',
          fields: {
            issuetype: { name: 'API access request' },
            status: { name: 'Approved' },
            resolution: null,
            reporter: { accountId: '5b10a2844c20165700ede21g', emailAddress: 'kim@example.com' },
            provisionerRequest: { ...accessRequest('ignored', 'jira-bot'), ticket: undefined },
          },
        },
      },
    ],
  ])('a %s-shaped approved request provisions', async (_, payload) => {
    // Act
    const answer = await post(JSON.stringify(payload));
    const done = await executionEnd(env, String(answer.body.executionArn));
    // Assess
    expect(answer.status).toBe(202);
    expect(done.status).toBe('SUCCEEDED');
  });

  it('an offboarding ticket revokes the owner’s credentials', async () => {
    // Prepare: kim holds the credential the first test provisioned (redelivered, it starts nothing new).
    const provisioned = await post(
      JSON.stringify({
        type: 'access-request',
        ticket: 'REQ-100',
        approved: true,
        requester: 'kim@example.com',
        request: accessRequest('REQ-100', 'ticket-bot'),
      }),
    );
    await executionEnd(env, String(provisioned.body.executionArn));
    // Act
    const answer = await post(
      JSON.stringify({ type: 'offboarding', ticket: 'OFF-7', approved: true, owner: 'kim@example.com' }),
    );
    const done = await executionEnd(env, String(answer.body.executionArn));
    // Assess
    expect(answer.body.workflow).toBe('revoke');
    expect(done.status).toBe('SUCCEEDED');
    expect(env.fortios.state.users.has('ticket-bot')).toBe(false);
  });

  it.each([
    [
      'a forged signature',
      () =>
        post('{"type":"offboarding","ticket":"X-1","owner":"kim@example.com"}', {
          secret: 'not-the-secret-0000000000000000',
        }),
      401,
      /signature does not match/,
    ],
    [
      'a stale timestamp',
      () =>
        post('{"type":"offboarding","ticket":"X-2","owner":"kim@example.com"}', {
          at: Math.floor(Date.now() / 1000) - 301,
        }),
      401,
      /replay window/,
    ],
    [
      'an oversized body',
      () =>
        post(
          JSON.stringify({
            type: 'offboarding',
            ticket: 'X-3',
            owner: 'kim@example.com',
            pad: 'x'.repeat(MAX_WEBHOOK_BYTES),
          }),
        ),
      413,
      /over the 32768-byte limit/,
    ],
    [
      'an unknown ticket type',
      () => post(JSON.stringify({ kind: 'lunch-order', ticket: 'X-4' })),
      422,
      /unknown ticket type/,
    ],
    [
      'an unapproved request',
      () =>
        post(
          JSON.stringify({
            number: 'RITM9',
            approval: 'requested',
            cat_item: { name: 'API access' },
            variables: {},
          }),
        ),
      422,
      /not approved/,
    ],
    [
      'an unapproved offboarding',
      () => post(JSON.stringify({ type: 'offboarding', ticket: 'X-6', owner: 'kim@example.com' })),
      422,
      /approved: /,
    ],
    [
      'an access request for an owner who did not request it',
      () =>
        post(
          JSON.stringify({
            type: 'access-request',
            ticket: 'X-7',
            approved: true,
            requester: 'mallory@example.com',
            request: accessRequest('X-7', 'mallory-bot'),
          }),
        ),
      422,
      /owned by kim@example\.com, but mallory@example\.com requested it/,
    ],
    [
      'a Jira access request Done but Declined',
      () =>
        post(
          JSON.stringify({
            webhookEvent: 'jira:issue_updated',
            issue: {
              key: 'ITSM-43',
              fields: {
                issuetype: { name: 'API access request' },
                status: { name: 'Done' },
                resolution: { name: 'Declined' },
                reporter: { emailAddress: 'kim@example.com' },
                provisionerRequest: accessRequest('ITSM-43', 'declined-bot'),
              },
            },
          }),
        ),
      422,
      /not approved \(Done, resolution Declined\)/,
    ],
    [
      'invalid fields',
      () =>
        post(
          JSON.stringify({
            type: 'access-request',
            ticket: 'X-5',
            approved: true,
            requester: 'kim@example.com',
            request: { ...accessRequest('X-5', 'bad;name') },
          }),
        ),
      422,
      /apiUser: must be/,
    ],
    [
      'a form body',
      () => post('type=offboarding', { contentType: 'application/x-www-form-urlencoded' }),
      415,
      /application\/json/,
    ],
  ])('%s is refused with a clear 4xx and starts nothing', async (_, send, status, message) => {
    // Prepare
    const before = await executions();
    // Act
    const answer = await send();
    // Assess
    expect(answer.status).toBe(status);
    expect(String(answer.body.error)).toMatch(message);
    expect(await executions()).toBe(before);
  });

  it('a missing signature is refused before the body is read', async () => {
    // Act
    const response = await fetch(env.intake.url, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    // Assess
    expect(response.status).toBe(401);
  });

  it('leaks neither the webhook secret nor any key into answers, histories, events or logs', async () => {
    // Act
    const found = scanEnvironment(env, {
      answers,
      logs: logs.lines,
    });
    // Assess
    expect(found).toEqual([]);
  });
});
