/**
 * Ticketing intake: signed webhooks from the ticketing system become workflow executions.
 * The signature is HMAC-SHA256 over `<timestamp>.<body>` with a shared secret from Secrets Manager,
 * sent as `X-Provisioner-Signature: t=<unix seconds>,v1=<hex>`; a timestamp outside the replay
 * window, a bad signature, an oversized body, an unknown ticket type or invalid fields are refused
 * before anything starts. Mappers read a generic JSON ticket and ServiceNow- and Jira Service
 * Management-shaped payloads: an approved access request provisions for its own requester, an
 * approved offboarding revokes.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import * as z from 'zod';
import { IntakeError } from './errors.ts';
import { executionNameFor } from './execution-names.ts';
import type { TicketSource } from './products/policy.ts';
import { ProvisionRequest } from './requests.ts';
import { OwnerId, ownerKind, parseInput, TicketId } from './schemas.ts';
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

/**
 * Who may ask for what: every ticket must be approved (offboardings too), and an access request's
 * owner must be the person who requested it (the generic `requester`, ServiceNow's `requested_for`,
 * Jira's reporter), so nobody mints a credential owned by someone else, whose offboarding would then
 * leave it alive. A team's credential (owner `team:<group id>`) names that person as `requestedBy`
 * instead; which teams may own credentials is the target policy's `teamOwners`, since the intake
 * has no directory to ask whether the requester is a member. The source is kept on the request (`ticketSource`) for the targets' policies.
 */
const GenericTicket = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('access-request'),
      ticket: TicketId,
      approved: z.literal(true),
      requester: OwnerId,
      request: z.unknown(),
    })
    .strict(),
  z
    .object({ type: z.literal('offboarding'), ticket: TicketId, approved: z.literal(true), owner: OwnerId })
    .strict(),
]);

/**
 * A ServiceNow requested item (sc_req_item) as a business rule posts it: approval state, the user it
 * is requested for (the `requested_for` reference dot-walked to its e-mail address) and the catalog
 * variables (https://docs.servicenow.com/csh?topicname=c_TableAPI.html&version=latest).
 */
const ServiceNowItem = z
  .object({
    number: TicketId,
    approval: z.string(),
    cat_item: z.object({ name: z.enum(['API access', 'Offboarding']) }).passthrough(),
    requested_for: z.object({ email: z.unknown().optional() }).passthrough().optional(),
    variables: z.record(z.string(), z.unknown()),
  })
  .passthrough();

/**
 * A Jira Service Management issue webhook: issue type, status, resolution (null while unresolved),
 * the reporter (a user; `emailAddress` absent when the profile hides it) and the request in a custom
 * field (https://developer.atlassian.com/cloud/jira/platform/webhooks/,
 * https://developer.atlassian.com/cloud/jira/platform/rest/v2/api-group-issues/#api-rest-api-2-issue-issueidorkey-get).
 */
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
            resolution: z.object({ name: z.string() }).passthrough().nullable().optional(),
            reporter: z.object({ emailAddress: z.unknown().optional() }).passthrough().nullable().optional(),
          })
          .passthrough(),
      })
      .passthrough(),
  })
  .passthrough();

/** The request as its ticket system approved it: the source is the intake's word, never the ticket's. */
function provision(source: TicketSource, ticket: string, requester: unknown, request: unknown): IntakeAction {
  if (request && typeof request === 'object' && 'ticketSource' in request) {
    throw new IntakeError(422, `ticket ${ticket}: ticketSource is set by the intake, not by the ticket`);
  }
  const input = parseInput(
    ProvisionRequest,
    { ...(request as object), ticketSource: source },
    'access request',
  );
  if (input.ticket !== ticket) {
    throw new IntakeError(422, `the request names ticket ${input.ticket}, the webhook ticket ${ticket}`);
  }
  const requestedBy = OwnerId.safeParse(requester);
  if (!requestedBy.success) {
    throw new IntakeError(
      422,
      `ticket ${ticket} names no requester e-mail address: the owner cannot be bound to it`,
    );
  }
  // A team's credential is bound to the person accountable for it, the rest to their owner.
  const team = ownerKind(input.owner) === 'team';
  if (requestedBy.data !== (team ? input.requestedBy : input.owner)) {
    throw new IntakeError(
      422,
      `ticket ${ticket} asks for a credential owned by ${input.owner}, but ${requestedBy.data} requested it: ${team ? "a team's credential names its requester as requestedBy" : 'the owner must request their own credential'}`,
    );
  }
  return { workflow: 'provision', executionName: executionNameFor('provision', ticket, input), input };
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
  throw new IntakeError(422, `ticket ${ticket} is not approved (${state.slice(0, 60)}): nothing is started`);
}

/** Jira approves in status Approved while unresolved, or Done with resolution Done; nothing else. */
function assertJiraApproved(key: string, status: string, resolution: string | undefined): void {
  if (status === 'Approved' && resolution === undefined) return;
  if (status === 'Done' && resolution === 'Done') return;
  notApproved(key, `${status}, ${resolution === undefined ? 'no resolution' : `resolution ${resolution}`}`);
}

/** Maps a verified payload to the execution it asks for; a specific 422 otherwise. */
export function actionFromTicket(payload: unknown): IntakeAction {
  const body = (payload ?? {}) as Record<string, unknown>;
  try {
    if ('type' in body) {
      const t = parseInput(GenericTicket, payload, 'ticket');
      return t.type === 'access-request'
        ? provision('generic', t.ticket, t.requester, t.request)
        : revoke(t.ticket, t.owner);
    }
    if ('cat_item' in body) {
      const item = parseInput(ServiceNowItem, payload, 'ServiceNow requested item');
      if (item.approval !== 'approved') notApproved(item.number, item.approval);
      return item.cat_item.name === 'API access'
        ? provision('servicenow', item.number, item.requested_for?.email, {
            ...item.variables,
            ticket: item.number,
          })
        : revoke(item.number, item.variables.owner);
    }
    if ('issue' in body) {
      const { issue } = parseInput(JiraIssue, payload, 'Jira Service Management issue');
      assertJiraApproved(issue.key, issue.fields.status.name, issue.fields.resolution?.name);
      const request = (issue.fields as Record<string, unknown>).provisionerRequest;
      return issue.fields.issuetype.name === 'API access request'
        ? provision('jira', issue.key, issue.fields.reporter?.emailAddress, {
            ...(request as object),
            ticket: issue.key,
          })
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
  /** The shared webhook secret (Secrets Manager `provisioner.intake/webhook-secret`). */
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
