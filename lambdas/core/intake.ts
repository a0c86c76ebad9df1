/**
 * Ticketing intake: signed webhooks from the ticketing system become workflow executions.
 * The signature is HMAC-SHA256 over `<timestamp>.<body>` with a shared secret from Secrets Manager,
 * sent as `X-Provisioner-Signature: t=<unix seconds>,v1=<hex>`; a timestamp outside the replay
 * window, a bad signature, an oversized body, an unknown ticket type or invalid fields are refused
 * before anything starts. Mappers read a generic JSON ticket and ServiceNow- and Jira Service
 * Management-shaped payloads: an approved access request provisions, an offboarding revokes.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import * as z from 'zod';
import { IntakeError } from './errors.ts';
import { executionNameFor } from './execution-names.ts';
import type { TicketSource } from './products/policy.ts';
import { ProvisionRequest } from './requests.ts';
import { OwnerId, parseInput, TicketId } from './schemas.ts';
import type { RevokeRequest } from './workflows/revoke.ts';

export const MAX_WEBHOOK_BYTES = 32 * 1024;
export const REPLAY_WINDOW_SECONDS = 300;
export const SIGNATURE_HEADER = 'x-provisioner-signature';

/** The signature header value for a body (the ticketing side's half, and the tests'). */
export function signWebhook(secret: string, body: string, timestamp: number): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

/** Checks size, signature and freshness; returns the parsed JSON body. */
export function verifyWebhook(input: {
  body: string;
  signature: string | undefined;
  secret: string;
  nowSeconds: number;
}): unknown {
  const size = Buffer.byteLength(input.body);
  if (size > MAX_WEBHOOK_BYTES)
    throw new IntakeError(413, `body is ${size} bytes, over the ${MAX_WEBHOOK_BYTES}-byte limit`);
  const parts = Object.fromEntries(
    (input.signature ?? '').split(',').map((part) => {
      const [key = '', ...value] = part.trim().split('=');
      return [key, value.join('=')];
    }),
  );
  const timestamp = Number(parts.t);
  if (!/^\d{9,11}$/.test(parts.t ?? '') || !/^[0-9a-f]{64}$/.test(parts.v1 ?? '')) {
    throw new IntakeError(
      401,
      `missing or malformed ${SIGNATURE_HEADER} header (t=<unix seconds>,v1=<hex HMAC-SHA256>)`,
    );
  }
  const expected = createHmac('sha256', input.secret).update(`${timestamp}.${input.body}`).digest();
  if (!timingSafeEqual(expected, Buffer.from(parts.v1 ?? '', 'hex')))
    throw new IntakeError(401, 'signature does not match');
  // Checked after the signature, so an attacker cannot probe the clock with unsigned requests.
  if (Math.abs(input.nowSeconds - timestamp) > REPLAY_WINDOW_SECONDS) {
    throw new IntakeError(401, `timestamp is outside the ${REPLAY_WINDOW_SECONDS}-second replay window`);
  }
  try {
    return JSON.parse(input.body) as unknown;
  } catch {
    throw new IntakeError(400, 'body is not JSON');
  }
}

export type IntakeAction =
  | { readonly workflow: 'provision'; readonly executionName: string; readonly input: ProvisionRequest }
  | { readonly workflow: 'revoke'; readonly executionName: string; readonly input: RevokeRequest };

/** The generic ticket: what any ticketing system can send with a small webhook template. */
const GenericTicket = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('access-request'),
      ticket: TicketId,
      approved: z.literal(true),
      request: z.unknown(),
    })
    .strict(),
  z.object({ type: z.literal('offboarding'), ticket: TicketId, owner: OwnerId }).strict(),
]);

/** A ServiceNow requested item (RITM) as a business rule posts it: approval state and catalog variables. */
const ServiceNowItem = z
  .object({
    number: TicketId,
    approval: z.string(),
    cat_item: z.object({ name: z.enum(['API access', 'Offboarding']) }).passthrough(),
    variables: z.record(z.string(), z.unknown()),
  })
  .passthrough();

/** A Jira Service Management issue webhook: issue type, status and the request in a custom field. */
const JiraIssue = z
  .object({
    webhookEvent: z.string(),
    issue: z
      .object({
        key: TicketId,
        fields: z
          .object({
            issuetype: z.object({ name: z.enum(['API access request', 'Offboarding']) }).passthrough(),
            status: z.object({ name: z.string() }).passthrough(),
            reporter: z.unknown().optional(),
          })
          .passthrough(),
      })
      .passthrough(),
  })
  .passthrough();

/** The request as its ticket system approved it: the source is the intake's word, never the ticket's. */
function provision(source: TicketSource, ticket: string, request: unknown): IntakeAction {
  const parsed = parseInput(ProvisionRequest, request, 'access request');
  if (parsed.ticket !== ticket) {
    throw new IntakeError(422, `the request names ticket ${parsed.ticket}, the webhook ticket ${ticket}`);
  }
  const input = { ...parsed, ticketSource: source };
  return { workflow: 'provision', executionName: executionNameFor('provision', ticket, parsed), input };
}

function revoke(ticket: string, owner: unknown): IntakeAction {
  const input: RevokeRequest = {
    owner: parseInput(OwnerId, owner, 'offboarded owner'),
    reason: `offboarding ticket ${ticket}`,
    source: 'ticket',
  };
  return { workflow: 'revoke', executionName: executionNameFor('revoke', ticket, input), input };
}

function notApproved(ticket: string, state: string): never {
  throw new IntakeError(422, `ticket ${ticket} is not approved (${state.slice(0, 40)}): nothing is started`);
}

/** Maps a verified payload to the execution it asks for; a specific 422 otherwise. */
export function actionFromTicket(payload: unknown): IntakeAction {
  const body = (payload ?? {}) as Record<string, unknown>;
  try {
    if ('type' in body) {
      const t = parseInput(GenericTicket, payload, 'ticket');
      return t.type === 'access-request'
        ? provision('generic', t.ticket, t.request)
        : revoke(t.ticket, t.owner);
    }
    if ('cat_item' in body) {
      const item = parseInput(ServiceNowItem, payload, 'ServiceNow requested item');
      if (item.approval !== 'approved') notApproved(item.number, item.approval);
      return item.cat_item.name === 'API access'
        ? provision('servicenow', item.number, { ...item.variables, ticket: item.number })
        : revoke(item.number, item.variables.owner);
    }
    if ('issue' in body) {
      const { issue } = parseInput(JiraIssue, payload, 'Jira Service Management issue');
      const status = issue.fields.status.name;
      if (status !== 'Approved' && status !== 'Done') notApproved(issue.key, status);
      const request = (issue.fields as Record<string, unknown>).provisionerRequest;
      return issue.fields.issuetype.name === 'API access request'
        ? provision('jira', issue.key, { ...(request as object), ticket: issue.key })
        : revoke(issue.key, (request as { owner?: unknown } | undefined)?.owner);
    }
  } catch (error) {
    if (error instanceof IntakeError) throw error;
    throw new IntakeError(422, (error as Error).message);
  }
  throw new IntakeError(
    422,
    'unknown ticket type: expected a generic ticket ("type"), a ServiceNow item or a Jira issue',
  );
}

export interface IntakeDeps {
  /** The shared webhook secret (Secrets Manager `provisioner/intake/webhook-secret`). */
  readonly secret: () => Promise<string>;
  readonly start: (
    workflow: IntakeAction['workflow'],
    name: string,
    input: unknown,
  ) => Promise<{ executionArn: string; alreadyStarted: boolean }>;
  readonly nowSeconds: () => number;
}

export interface IntakeRequest {
  readonly method: string;
  readonly contentType: string | undefined;
  readonly signature: string | undefined;
  readonly body: string;
}

/** The whole intake: verify, map, start (a redelivery answers with the execution it started before). */
export async function receiveTicket(deps: IntakeDeps, request: IntakeRequest) {
  if (request.method !== 'POST') throw new IntakeError(400, 'only POST is accepted');
  if (request.contentType && !request.contentType.toLowerCase().startsWith('application/json')) {
    throw new IntakeError(415, 'the body must be application/json');
  }
  const payload = verifyWebhook({
    body: request.body,
    signature: request.signature,
    secret: await deps.secret(),
    nowSeconds: deps.nowSeconds(),
  });
  const action = actionFromTicket(payload);
  const started = await deps.start(action.workflow, action.executionName, action.input);
  return { workflow: action.workflow, executionName: action.executionName, ...started };
}
