/**
 * The ticketing intake's pure half (lambdas/core/intake.ts): webhook signatures, their replay window
 * and size limit, the mapping of generic, ServiceNow and Jira tickets, and what `receiveTicket` starts.
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { IntakeError } from '#core/errors.ts';
import { executionNameFor } from '#core/execution-names.ts';
import {
  actionFromTicket,
  MAX_WEBHOOK_BYTES,
  REPLAY_WINDOW_SECONDS,
  receiveTicket,
  signWebhook,
  verifyWebhook,
} from '#core/intake.ts';
import { failure } from '../failure.ts';

const SECRET = 'webhook-secret-0123456789abcdef0123456789abcdef';
const NOW = 1_795_000_000;
const request = (ticket: string) => ({
  target: 'fgt',
  apiUser: 'ticket-bot',
  owner: 'kim@example.com',
  ticket,
  accessProfile: { name: 'addr-readonly', permissions: { 'fwgrp.address': 'read' } },
  trustedHosts: ['127.0.0.1/32'],
});

/** The IntakeError a call throws; fails the test when it returns or throws anything else. */
function refusal(call: () => unknown): IntakeError {
  try {
    call();
  } catch (error) {
    expect(error).toBeInstanceOf(IntakeError);
    return error as IntakeError;
  }
  throw new Error('expected a refusal, but the call returned');
}

describe('signWebhook', () => {
  it('signs <timestamp>.<body> with HMAC-SHA256, as t=<seconds>,v1=<hex>', () => {
    // Prepare
    const mac = createHmac('sha256', SECRET).update(`${NOW}.{"a":1}`).digest('hex');
    // Act
    const header = signWebhook(SECRET, '{"a":1}', NOW);
    // Assess
    expect(header).toBe(`t=${NOW},v1=${mac}`);
  });
});

describe('verifyWebhook', () => {
  const verify = (body: string, signature: string | undefined, nowSeconds = NOW) =>
    verifyWebhook({ body, signature, secret: SECRET, nowSeconds });

  it('returns the parsed body of a signed, fresh webhook', () => {
    // Prepare
    const body = '{"type":"offboarding"}';
    // Act
    const payload = verify(body, signWebhook(SECRET, body, NOW));
    // Assess
    expect(payload).toEqual({ type: 'offboarding' });
  });

  it('accepts the parts of the header in any order, with spaces', () => {
    // Prepare
    const body = '{}';
    const [t, v1] = signWebhook(SECRET, body, NOW).split(',');
    // Act
    const payload = verify(body, ` ${v1}, ${t}`);
    // Assess
    expect(payload).toEqual({});
  });

  it.each([
    ['no header', undefined],
    ['an empty header', ''],
    ['no timestamp', `v1=${'a'.repeat(64)}`],
    ['a timestamp in milliseconds', `t=${NOW}000,v1=${'a'.repeat(64)}`],
    ['a short MAC', `t=${NOW},v1=abc`],
    ['an upper-case MAC', `t=${NOW},v1=${'A'.repeat(64)}`],
  ])('refuses %s as a malformed header (401)', (_, signature) => {
    // Act
    const error = refusal(() => verify('{}', signature));
    // Assess
    expect(error.status).toBe(401);
    expect(error.message).toMatch(/^missing or malformed x-provisioner-signature header/);
  });

  it.each([
    ['another secret', () => signWebhook('another-secret-0000000000000000', '{}', NOW)],
    ['another body', () => signWebhook(SECRET, '{"a":1}', NOW)],
    ['another timestamp', () => signWebhook(SECRET, '{}', NOW - 1).replace(`t=${NOW - 1}`, `t=${NOW}`)],
  ])('refuses a signature made with %s (401)', (_, sign) => {
    // Act
    const error = refusal(() => verify('{}', sign()));
    // Assess
    expect(error.status).toBe(401);
    expect(error.message).toBe('signature does not match');
  });

  it.each([
    ['late', NOW - REPLAY_WINDOW_SECONDS - 1],
    ['early', NOW + REPLAY_WINDOW_SECONDS + 1],
  ])('refuses a correctly signed webhook that is %s beyond the replay window (401)', (_, at) => {
    // Act
    const error = refusal(() => verify('{}', signWebhook(SECRET, '{}', at)));
    // Assess
    expect(error.status).toBe(401);
    expect(error.message).toBe('timestamp is outside the 300-second replay window');
  });

  it('accepts a webhook exactly at the edge of the replay window', () => {
    // Act
    const payload = verify('{}', signWebhook(SECRET, '{}', NOW - REPLAY_WINDOW_SECONDS));
    // Assess
    expect(payload).toEqual({});
  });

  it('refuses an oversized body before looking at the signature (413)', () => {
    // Prepare
    const body = 'x'.repeat(MAX_WEBHOOK_BYTES + 1);
    // Act
    const error = refusal(() => verify(body, undefined));
    // Assess
    expect(error.status).toBe(413);
    expect(error.message).toBe(`body is ${MAX_WEBHOOK_BYTES + 1} bytes, over the 32768-byte limit`);
  });

  it('refuses a signed body that is not JSON (400)', () => {
    // Act
    const error = refusal(() => verify('not json', signWebhook(SECRET, 'not json', NOW)));
    // Assess
    expect(error.status).toBe(400);
    expect(error.message).toBe('body is not JSON');
  });
});

describe('actionFromTicket', () => {
  it('provisions a generic approved access request, named after its ticket and request', () => {
    // Act
    const action = actionFromTicket({
      type: 'access-request',
      ticket: 'REQ-1',
      approved: true,
      requester: 'kim@example.com',
      request: request('REQ-1'),
    });
    // Assess
    const input = { ...request('REQ-1'), ticketSource: 'generic' };
    expect(action).toEqual({
      workflow: 'provision',
      executionName: executionNameFor('provision', 'REQ-1', input),
      input,
    });
  });

  it('revokes the owner of a generic offboarding ticket, citing the ticket', () => {
    // Act
    const action = actionFromTicket({
      type: 'offboarding',
      ticket: 'OFF-7',
      approved: true,
      owner: 'kim@example.com',
    });
    // Assess
    const input = { owner: 'kim@example.com', reason: 'offboarding ticket OFF-7', source: 'ticket' };
    expect(action).toEqual({
      workflow: 'revoke',
      executionName: executionNameFor('revoke', 'OFF-7', input),
      input,
    });
  });

  it('refuses an access request whose request names another ticket (422)', () => {
    // Act
    const error = refusal(() =>
      actionFromTicket({
        type: 'access-request',
        ticket: 'REQ-1',
        approved: true,
        requester: 'kim@example.com',
        request: request('REQ-2'),
      }),
    );
    // Assess
    expect(error.status).toBe(422);
    expect(error.message).toBe('the request names ticket REQ-2, the webhook ticket REQ-1');
  });

  it('takes the ticket of a ServiceNow item from its number, and revokes on an Offboarding item', () => {
    // Act
    const access = actionFromTicket({
      number: 'RITM0010001',
      approval: 'approved',
      cat_item: { name: 'API access' },
      requested_for: { email: 'kim@example.com' },
      variables: { ...request('ignored'), ticket: 'overridden' },
    });
    const offboarding = actionFromTicket({
      number: 'RITM0010002',
      approval: 'approved',
      cat_item: { name: 'Offboarding' },
      variables: { owner: 'kim@example.com' },
    });
    // Assess
    expect(access).toMatchObject({ workflow: 'provision', input: { ticket: 'RITM0010001' } });
    expect(offboarding).toMatchObject({ workflow: 'revoke', input: { owner: 'kim@example.com' } });
  });

  it('reads a Jira issue: Approved or Done starts, its key is the ticket', () => {
    // Prepare
    const jira = (status: string, type: string, provisionerRequest: unknown) => ({
      webhookEvent: 'jira:issue_updated',
      issue: {
        key: 'ITSM-42',
        fields: {
          issuetype: { name: type },
          status: { name: status },
          resolution: status === 'Done' ? { name: 'Done' } : null,
          reporter: { emailAddress: 'kim@example.com' },
          provisionerRequest,
        },
      },
    });
    // Act
    const approved = actionFromTicket(jira('Approved', 'API access request', request('x')));
    const done = actionFromTicket(jira('Done', 'Offboarding', { owner: 'kim@example.com' }));
    const open = refusal(() => actionFromTicket(jira('In Progress', 'API access request', request('x'))));
    // Assess
    expect(approved).toMatchObject({ workflow: 'provision', input: { ticket: 'ITSM-42' } });
    expect(done).toMatchObject({ workflow: 'revoke', input: { owner: 'kim@example.com' } });
    expect(open.status).toBe(422);
    expect(open.message).toBe(
      'ticket ITSM-42 is not approved (In Progress, no resolution): nothing is started',
    );
  });

  it.each([
    ['an unknown shape', { kind: 'lunch-order' }, /^unknown ticket type/],
    ['nothing', null, /^unknown ticket type/],
    [
      'an unapproved ServiceNow item',
      {
        number: 'RITM9',
        approval: 'requested',
        cat_item: { name: 'API access' },
        variables: {},
      },
      /^ticket RITM9 is not approved \(requested\)/,
    ],
    [
      'a generic ticket not approved',
      {
        type: 'access-request',
        ticket: 'REQ-3',
        approved: false,
        request: {},
      },
      /^invalid ticket: approved: /,
    ],
    [
      'an offboarding of a hostile owner',
      {
        type: 'offboarding',
        ticket: 'OFF-8',
        approved: true,
        owner: '*; rm -rf /',
      },
      /^invalid ticket: owner: /,
    ],
    [
      'invalid request fields',
      {
        type: 'access-request',
        ticket: 'REQ-4',
        approved: true,
        requester: 'kim@example.com',
        request: { ...request('REQ-4'), apiUser: 'bad;name' },
      },
      /^invalid access request: apiUser: must be/,
    ],
  ])('refuses %s with a specific 422', (_, payload, message) => {
    // Act
    const error = refusal(() => actionFromTicket(payload));
    // Assess
    expect(error.status).toBe(422);
    expect(error.message).toMatch(message);
  });
});

describe('intake authorization', () => {
  // Jira's issue webhook carries the issue's fields as GET /rest/api/2/issue returns them:
  // `reporter` a user (`emailAddress` unless the profile hides it), `resolution` null or {name},
  // https://developer.atlassian.com/cloud/jira/platform/webhooks/#example-callback-for-an-issue-related-event
  // https://developer.atlassian.com/cloud/jira/platform/rest/v2/api-group-issues/#api-rest-api-2-issue-issueidorkey-get
  const jira = (
    status: string,
    resolution: string | null,
    provisionerRequest: unknown,
    reporter: unknown = { accountId: '5b10a2844c20165700ede21g', emailAddress: 'Kim@Example.com' },
    type = 'API access request',
  ) => ({
    webhookEvent: 'jira:issue_updated',
    issue: {
      key: 'ITSM-42',
      fields: {
        issuetype: { name: type },
        status: { name: status },
        resolution: resolution === null ? null : { name: resolution },
        reporter,
        provisionerRequest,
      },
    },
  });
  // A requested item (sc_req_item, as the Table API names its fields): `approval` (requested,
  // approved, rejected, ...) and `requested_for`, a sys_user reference the business rule dot-walks to
  // its e-mail address, https://docs.servicenow.com/csh?topicname=c_TableAPI.html&version=latest
  const serviceNow = (variables: unknown, requestedFor: unknown = { email: 'kim@example.com' }) => ({
    number: 'RITM0010001',
    approval: 'approved',
    cat_item: { name: 'API access' },
    requested_for: requestedFor,
    variables,
  });

  it.each([
    [
      'a generic offboarding without approval',
      { type: 'offboarding', ticket: 'OFF-9', owner: 'kim@example.com' },
      /^invalid ticket: approved: /,
    ],
    [
      'a generic offboarding not approved',
      { type: 'offboarding', ticket: 'OFF-9', approved: false, owner: 'kim@example.com' },
      /^invalid ticket: approved: /,
    ],
    [
      'a Jira access request Done but Declined',
      jira('Done', 'Declined', request('x')),
      /^ticket ITSM-42 is not approved \(Done, resolution Declined\): nothing is started$/,
    ],
    [
      "a Jira access request Done as Won't Do",
      jira('Done', "Won't Do", request('x')),
      /^ticket ITSM-42 is not approved \(Done, resolution Won't Do\)/,
    ],
    [
      'a Jira access request Done without a resolution',
      jira('Done', null, request('x')),
      /is not approved \(Done, no resolution\)/,
    ],
    [
      'a Jira offboarding Done but Declined',
      jira('Done', 'Declined', { owner: 'lee@example.com' }, undefined, 'Offboarding'),
      /is not approved/,
    ],
    [
      'a generic access request whose owner is not its requester',
      {
        type: 'access-request',
        ticket: 'REQ-1',
        approved: true,
        requester: 'mallory@example.com',
        request: request('REQ-1'),
      },
      /^ticket REQ-1 asks for a credential owned by kim@example\.com, but mallory@example\.com requested it: /,
    ],
    [
      'a generic access request naming no requester',
      { type: 'access-request', ticket: 'REQ-1', approved: true, request: request('REQ-1') },
      /^invalid ticket: requester: /,
    ],
    [
      'a Jira access request whose owner is not its reporter',
      jira('Approved', null, request('x'), { accountId: 'x', emailAddress: 'mallory@example.com' }),
      /owned by kim@example\.com, but mallory@example\.com requested it/,
    ],
    [
      'a Jira access request whose reporter hides the e-mail address',
      jira('Approved', null, request('x'), { accountId: 'x', displayName: 'Kim' }),
      /^ticket ITSM-42 names no requester e-mail address/,
    ],
    [
      'a ServiceNow item requested for someone else',
      serviceNow(request('x'), { email: 'mallory@example.com' }),
      /owned by kim@example\.com, but mallory@example\.com requested it/,
    ],
    [
      'a ServiceNow item naming no requester',
      serviceNow(request('x'), { name: 'Kim' }),
      /names no requester/,
    ],
    [
      'a ticket that sets its own ticket source',
      {
        type: 'access-request',
        ticket: 'REQ-1',
        approved: true,
        requester: 'kim@example.com',
        request: { ...request('REQ-1'), ticketSource: 'jira' },
      },
      /^ticket REQ-1: ticketSource is set by the intake, not by the ticket/,
    ],
  ])('refuses %s (422)', (_, payload, message) => {
    // Act
    const error = refusal(() => actionFromTicket(payload));
    // Assess
    expect(error.status).toBe(422);
    expect(error.message).toMatch(message);
  });

  it.each([
    ['Approved, unresolved', jira('Approved', null, request('x'))],
    ['Done, resolution Done', jira('Done', 'Done', request('x'))],
  ])('provisions a Jira access request %s for its reporter, keeping the ticket source', (_, payload) => {
    // Act
    const action = actionFromTicket(payload);
    // Assess
    expect(action).toMatchObject({
      workflow: 'provision',
      input: { owner: 'kim@example.com', ticketSource: 'jira' },
    });
  });

  it('keeps the ticket source of generic and ServiceNow tickets on the request', () => {
    // Act
    const generic = actionFromTicket({
      type: 'access-request',
      ticket: 'REQ-1',
      approved: true,
      requester: 'KIM@example.com',
      request: request('REQ-1'),
    });
    const snow = actionFromTicket(serviceNow(request('x')));
    // Assess
    expect(generic).toMatchObject({ input: { ticketSource: 'generic' } });
    expect(snow).toMatchObject({ input: { ticketSource: 'servicenow', owner: 'kim@example.com' } });
  });

  it("provisions a team's credential for the accountable person who requested it", () => {
    // Prepare
    const teamRequest = { ...request('REQ-7'), owner: 'team:00g1TEAM', requestedBy: 'kim@example.com' };
    // Act
    const action = actionFromTicket({
      type: 'access-request',
      ticket: 'REQ-7',
      approved: true,
      requester: 'Kim@Example.com',
      request: teamRequest,
    });
    // Assess
    expect(action).toMatchObject({
      workflow: 'provision',
      input: { owner: 'team:00g1TEAM', requestedBy: 'kim@example.com' },
    });
  });

  it.each([
    ['names another accountable person', { requestedBy: 'kim@example.com' }, 'mallory@example.com'],
    ['names no accountable person', {}, 'kim@example.com'],
  ])(
    "refuses a team's credential whose request %s than the ticket's requester (422)",
    (_, fields, requester) => {
      // Act
      const error = refusal(() =>
        actionFromTicket({
          type: 'access-request',
          ticket: 'REQ-8',
          approved: true,
          requester,
          request: { ...request('REQ-8'), owner: 'team:00g1TEAM', ...fields },
        }),
      );
      // Assess
      expect(error.status).toBe(422);
      expect(error.message).toMatch(
        /^ticket REQ-8 asks for a credential owned by team:00g1TEAM, but .* requested it: a team's credential names its requester as requestedBy$/,
      );
    },
  );

  it('revokes on an approved offboarding for another person (the leaver is not the requester)', () => {
    // Act
    const action = actionFromTicket(
      jira('Done', 'Done', { owner: 'lee@example.com' }, undefined, 'Offboarding'),
    );
    // Assess
    expect(action).toMatchObject({ workflow: 'revoke', input: { owner: 'lee@example.com' } });
  });
});

describe('receiveTicket', () => {
  const body = JSON.stringify({
    type: 'offboarding',
    ticket: 'OFF-7',
    approved: true,
    owner: 'kim@example.com',
  });
  const deps = () => ({
    secret: vi.fn(async () => SECRET),
    start: vi.fn(async () => ({
      executionArn: 'arn:aws:states:::execution:revoke:x',
      alreadyStarted: false,
    })),
    nowSeconds: () => NOW,
  });
  const post = (overrides: Partial<Parameters<typeof receiveTicket>[1]> = {}) => ({
    method: 'POST',
    contentType: 'application/json; charset=utf-8',
    signature: signWebhook(SECRET, body, NOW),
    body,
    ...overrides,
  });

  it('starts the workflow the ticket asks for, under its execution name, and says what it started', async () => {
    // Prepare
    const d = deps();
    const expected = actionFromTicket(JSON.parse(body));
    // Act
    const result = await receiveTicket(d, post());
    // Assess
    expect(d.start).toHaveBeenCalledWith('revoke', expected.executionName, expected.input);
    expect(result).toEqual({
      workflow: 'revoke',
      executionName: expected.executionName,
      executionArn: 'arn:aws:states:::execution:revoke:x',
      alreadyStarted: false,
    });
  });

  it.each([
    ['another method', { method: 'GET' }, 400, 'only POST is accepted'],
    [
      'a form body',
      { contentType: 'application/x-www-form-urlencoded' },
      415,
      'the body must be application/json',
    ],
    [
      'a bad signature',
      { signature: signWebhook('x'.repeat(32), body, NOW) },
      401,
      'signature does not match',
    ],
  ])('refuses %s and starts nothing', async (_, overrides, status, message) => {
    // Prepare
    const d = deps();
    // Act
    const error = await failure(receiveTicket(d, post(overrides)));
    // Assess
    expect(error).toMatchObject({ name: 'IntakeError', status, message });
    expect(d.start).not.toHaveBeenCalled();
  });

  it('refuses a wrong method or content type before reading the secret', async () => {
    // Prepare
    const d = deps();
    // Act
    await failure(receiveTicket(d, post({ method: 'PUT' })));
    await failure(receiveTicket(d, post({ contentType: 'text/plain' })));
    // Assess
    expect(d.secret).not.toHaveBeenCalled();
  });

  it('takes a body without a content type as JSON', async () => {
    // Prepare
    const d = deps();
    // Act
    const result = await receiveTicket(d, post({ contentType: undefined }));
    // Assess
    expect(result.workflow).toBe('revoke');
  });
});
