/**
 * Hostile input over the entry points that parse what outsiders send: console and CLI input, the
 * ticket webhook, deactivation events, target definitions, operator credential files, rotation
 * and revocation requests. Every case gets a specific, typed error (never a TypeError or a crash),
 * starts nothing, and never echoes a credential it was handed.
 */
import { describe, expect, it } from 'vitest';
import { revocationFromEvent } from '#core/deactivation.ts';
import { IntakeError, ValidationError } from '#core/errors.ts';
import {
  actionFromTicket,
  type IntakeRequest,
  MAX_WEBHOOK_BYTES,
  receiveTicket,
  signWebhook,
} from '#core/intake.ts';
import { RefusalReason, TaskId } from '#core/operator-tasks.ts';
import { vendorFor } from '#core/products/registry.ts';
import type { OperatorVendor } from '#core/products/vendor.ts';
import { parseProvisionRequest, TargetDefinition } from '#core/requests.ts';
import { OwnerId, parseInput } from '#core/schemas.ts';
import { RevokeRequest } from '#core/workflows/revoke.ts';
import { RotateRequest } from '#core/workflows/rotate.ts';

const SHELL_AND_PATH = [
  'a;reboot',
  '$(id)',
  '`id`',
  'a|b',
  'a&&b',
  '../etc',
  'a/b',
  'a\\b',
  'a b',
  "a'b",
  'a"b',
  'a\nb',
  'a\u0000b',
];
const UNICODE = ['\u202ereversed', 'caf\u00e9', '\ud800lone', '\uFEFFbom', 'ｆｕｌｌ'];
const WRONG_TYPES: unknown[] = [42, null, true, [], {}, ['x']];

const VALID_REQUEST = {
  target: 'fgt-lab',
  apiUser: 'ci-reader',
  owner: 'alice@example.com',
  ticket: 'CHG0001',
  trustedHosts: ['10.0.0.0/24'],
  accessProfile: { name: 'ro', permissions: { 'fwgrp.address': 'read' } },
};

/** Asserts a specific ValidationError that names `field` (when given) and echoes no `secret`. */
function expectValidationError(run: () => unknown, field?: string, secret?: string) {
  let thrown: unknown;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ValidationError);
  const message = (thrown as Error).message;
  if (field) expect(message).toContain(field);
  if (secret && secret.length >= 8) expect(message).not.toContain(secret);
}

describe('hostile console input (provision request)', () => {
  const cases: [string, string, unknown][] = [
    ...SHELL_AND_PATH.map((v): [string, string, unknown] => ['apiUser', v, v]),
    ...UNICODE.map((v): [string, string, unknown] => ['apiUser', v, v]),
    ...WRONG_TYPES.map((v): [string, string, unknown] => ['apiUser', JSON.stringify(v), v]),
    ['apiUser', '36 characters', 'a'.repeat(36)],
    ['apiUser', 'empty', ''],
    ...SHELL_AND_PATH.map((v): [string, string, unknown] => ['target', v, v]),
    ['owner', 'spaces', 'alice smith'],
    ['owner', 'header injection', 'alice@example.com\r\nBcc: x@y.z'],
    ['ticket', 'shell', 'CHG;rm -rf /'],
    ['trustedHosts', 'the whole internet', ['0.0.0.0/0']],
    ['trustedHosts', 'half the internet', ['0.0.0.0/1']],
    ['trustedHosts', 'half the internet as address and mask', ['0.0.0.0 128.0.0.0']],
    ['trustedHosts', 'a /7', ['10.0.0.0/7']],
    ['trustedHosts', 'the whole internet as two halves', ['0.0.0.0/1', '128.0.0.0/1']],
    [
      'trustedHosts',
      'the whole internet as two halves by mask',
      ['0.0.0.0 128.0.0.0', '128.0.0.0 128.0.0.0'],
    ],
    ['trustedHosts', 'ten /8s', Array.from({ length: 10 }, (_, i) => `${i + 1}.0.0.0/8`)],
    ['trustedHosts', 'not an address', ['999.1.1.1/32']],
    ['trustedHosts', 'eleven hosts', Array.from({ length: 11 }, (_, i) => `10.0.0.${i}/32`)],
    ['trustedHosts', 'a string', '10.0.0.0/24'],
    ['accessProfile', 'unknown permission level', { name: 'ro', permissions: { 'fwgrp.address': 'root' } }],
    ['accessProfile', 'shell in the name', { name: 'ro;id', permissions: {} }],
  ];

  it.each(cases)('%s = %s is refused by name', (field, _label, value) => {
    expectValidationError(() => parseProvisionRequest({ ...VALID_REQUEST, [field]: value }), field);
  });

  it.each([
    ['an unknown field', { ...VALID_REQUEST, isAdmin: true }],
    ['a __proto__ key', JSON.parse(`{"target":"fgt-lab","apiUser":"x","__proto__":{"isAdmin":true}}`)],
    ['a constructor key', { ...VALID_REQUEST, constructor: { prototype: { polluted: 1 } } }],
    ['a body over 16 KiB', { ...VALID_REQUEST, comment: 'x'.repeat(17 * 1024) }],
    ['an array', [VALID_REQUEST]],
    ['a string', JSON.stringify(VALID_REQUEST)],
    ['null', null],
  ])('%s is refused', (_label, input) => {
    expectValidationError(() => parseProvisionRequest(input));
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('hostile webhooks', () => {
  const secret = 'whsec-test-0123456789abcdef';
  const now = 1_800_000_000;
  const ticket = JSON.stringify({
    type: 'access_request',
    state: 'approved',
    ticket: 'REQ1',
    request: VALID_REQUEST,
  });
  const started: string[] = [];
  const deps = {
    secret: async () => secret,
    nowSeconds: () => now,
    start: async (_workflow: string, name: string) => {
      started.push(name);
      return { executionArn: name, alreadyStarted: false };
    },
  };
  const signed = (body: string, at = now): IntakeRequest => ({
    method: 'POST',
    contentType: 'application/json',
    body,
    signature: signWebhook(secret, body, at),
  });

  it.each<[string, IntakeRequest, number]>([
    ['a forged signature', { ...signed(ticket), signature: `t=${now},v1=${'0'.repeat(64)}` }, 401],
    ['no signature', { ...signed(ticket), signature: undefined }, 401],
    ['a malformed signature header', { ...signed(ticket), signature: 'sha256=abc' }, 401],
    ['a signature over another body', { ...signed(ticket), body: ticket.replace('REQ1', 'REQ2') }, 401],
    ['a stale timestamp', signed(ticket, now - 301), 401],
    ['a timestamp from the future', signed(ticket, now + 301), 401],
    ['a body over 32 KiB', signed(`{"x":"${'a'.repeat(MAX_WEBHOOK_BYTES)}"}`), 413],
    ['GET', { ...signed(ticket), method: 'GET' }, 400],
    ['a form body', { ...signed(ticket), contentType: 'application/x-www-form-urlencoded' }, 415],
    ['HTML, signed', signed('<html><body>hi</body></html>'), 400],
    ['truncated JSON, signed', signed(ticket.slice(0, 40)), 400],
    ['a JSON array, signed', signed('[1,2]'), 422],
    ['an unknown ticket type, signed', signed(JSON.stringify({ type: 'coffee', ticket: 'REQ1' })), 422],
    ['a __proto__ payload, signed', signed('{"__proto__":{"type":"access_request"}}'), 422],
    [
      'shell characters inside an approved ticket, signed',
      signed(ticket.replace('"ci-reader"', '"ci;reboot"')),
      422,
    ],
    ['invalid UTF-16 inside a ticket, signed', signed(ticket.replace('REQ1', '\\ud800')), 422],
    // Authorization: approved is not enough, and an access request is for its requester only.
    [
      'an offboarding without approval, signed',
      signed(JSON.stringify({ type: 'offboarding', ticket: 'OFF1', owner: 'alice@example.com' })),
      422,
    ],
    [
      'an access request for someone else, signed',
      signed(
        JSON.stringify({
          type: 'access-request',
          ticket: 'CHG0001',
          approved: true,
          requester: 'mallory@example.com',
          request: VALID_REQUEST,
        }),
      ),
      422,
    ],
    [
      'a Jira access request Done but Declined, signed',
      signed(
        JSON.stringify({
          webhookEvent: 'jira:issue_updated',
          issue: {
            key: 'CHG0001',
            fields: {
              issuetype: { name: 'API access request' },
              status: { name: 'Done' },
              resolution: { name: 'Declined' },
              reporter: { emailAddress: 'alice@example.com' },
              provisionerRequest: VALID_REQUEST,
            },
          },
        }),
      ),
      422,
    ],
    [
      'a ServiceNow item requested for someone else, signed',
      signed(
        JSON.stringify({
          number: 'CHG0001',
          approval: 'approved',
          cat_item: { name: 'API access' },
          requested_for: { email: 'mallory@example.com' },
          variables: VALID_REQUEST,
        }),
      ),
      422,
    ],
    [
      'a ticket that claims its own ticket source, signed',
      signed(
        JSON.stringify({
          type: 'access-request',
          ticket: 'CHG0001',
          approved: true,
          requester: 'alice@example.com',
          request: { ...VALID_REQUEST, ticketSource: 'jira' },
        }),
      ),
      422,
    ],
  ])('%s is answered %i and starts nothing', async (_label, request, status) => {
    const before = started.length;
    const error = await receiveTicket(deps, request).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IntakeError);
    expect((error as IntakeError).status).toBe(status);
    expect(started.length).toBe(before);
  });
});

describe('hostile deactivation events', () => {
  const directory = (detail: unknown) => ({
    source: 'provisioner.directory',
    'detail-type': 'User Deactivated',
    id: 'e1',
    detail,
  });
  it.each([
    ['an unknown source', { source: 'evil.corp', detail: {} }],
    ['no source', { detail: {} }],
    ['null', null],
    ['a string', 'User Deactivated'],
    ['no detail', directory(undefined)],
    ['a user id with shell characters', directory({ eventId: 'e1', userId: 'a;reboot' })],
    ['a user id of the wrong type', directory({ eventId: 'e1', userId: 42 })],
    ['an event id with path characters', directory({ eventId: '../../x', userId: 'bob@example.com' })],
    ['a huge reason', directory({ eventId: 'e1', userId: 'bob@example.com', reason: 'x'.repeat(5000) })],
    ['a __proto__ detail', directory(JSON.parse('{"__proto__":{"userId":"bob@example.com"}}'))],
    [
      'an Okta event without its user',
      {
        source: 'aws.partner/okta.com/x',
        id: 'o1',
        detail: { eventType: 'user.lifecycle.deactivate', uuid: 'u', target: [] },
      },
    ],
    [
      'an Okta event of another type',
      {
        source: 'aws.partner/okta.com/x',
        id: 'o1',
        detail: { eventType: 'user.session.start', uuid: 'u', target: [] },
      },
    ],
  ])('%s is refused', (_label, event) => {
    expectValidationError(() => revocationFromEvent(event));
  });
});

describe('an owner spelled in another case is the same owner at every entry', () => {
  const owner = 'Alice@Example.com';
  it.each([
    ['a provision request', () => parseProvisionRequest({ ...VALID_REQUEST, owner }).owner],
    ['a revoke request', () => parseInput(RevokeRequest, { owner }, 'revoke request').owner],
    [
      'a directory deactivation',
      () =>
        revocationFromEvent({
          source: 'provisioner.directory',
          'detail-type': 'User Deactivated',
          id: 'e1',
          detail: { eventId: 'e1', userId: owner },
        }).request.owner,
    ],
    [
      'an identity provider deactivation',
      () =>
        revocationFromEvent({
          source: 'aws.partner/okta.com/x',
          id: 'o1',
          detail: {
            uuid: 'u1',
            eventType: 'user.lifecycle.deactivate',
            target: [{ type: 'User', alternateId: owner }],
          },
        }).request.owner,
    ],
    [
      'an offboarding ticket',
      () => {
        const action = actionFromTicket({ type: 'offboarding', ticket: 'OFF-1', approved: true, owner });
        return action.workflow === 'revoke' ? action.input.owner : undefined;
      },
    ],
  ])('%s carries the canonical owner', (_label, ownerOf) => {
    expect(ownerOf()).toBe('alice@example.com');
  });
});

describe('hostile target definitions', () => {
  const pinned = { caPem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n' };
  const fortios = {
    vendor: 'fortios',
    baseUrl: 'https://fw.example.com/',
    adminCredential: { token: 'x'.repeat(20) },
    tls: pinned,
  };
  it.each([
    ['plain HTTP', { ...fortios, baseUrl: 'http://fw.example.com/' }],
    ['credentials in the URL', { ...fortios, baseUrl: 'https://admin:pw@fw.example.com/' }],
    ['a path in the URL', { ...fortios, baseUrl: 'https://fw.example.com/../admin' }],
    ['a query in the URL', { ...fortios, baseUrl: 'https://fw.example.com/?x=1' }],
    ['a switch to skip TLS verification', { ...fortios, tls: { ...pinned, rejectUnauthorized: false } }],
    ['no pinning on an on-premises product', { ...fortios, tls: undefined }],
    ['an unknown vendor', { ...fortios, vendor: 'paloalto' }],
    ['a short admin token', { ...fortios, adminCredential: { token: 'short' } }],
    ['FortiManager without SSH', { ...fortios, vendor: 'fortimanager' }],
    [
      'a FortiManager SSH user with shell characters',
      {
        ...fortios,
        vendor: 'fortimanager',
        ssh: { port: 22, username: 'admin;id', password: 'p', hostKeySha256: `SHA256:${'A'.repeat(43)}` },
      },
    ],
    [
      'an ARM verify path with traversal and a query',
      { vendor: 'autorabit', baseUrl: 'https://arm.example.com/', verify: { path: '/api/../x?y=1' } },
    ],
    ['a FortiFlex client id with spaces', { vendor: 'fortiflex', clientId: 'flex vm' }],
    // The access policy (docs/target-policy.md): only known rules, within the system's ceilings.
    ['a policy rule no product knows', { ...fortios, policy: { allowSuperAdmin: true } }],
    ['a policy rule of another product', { ...fortios, policy: { serviceUsers: ['svc'] } }],
    ['a permission level beyond read-write', { ...fortios, policy: { maxPermission: 'super_admin' } }],
    [
      'a policy permission key that is no group',
      { ...fortios, policy: { permissions: { 'sys grp': 'read' } } },
    ],
    ['a trusted-host floor broader than /8', { ...fortios, policy: { minTrustedHostPrefix: 0 } }],
    ['more trusted addresses than one /8', { ...fortios, policy: { maxTrustedAddresses: 2 ** 32 } }],
    ['an unknown ticket source', { ...fortios, policy: { ticketSources: ['email'] } }],
    ['an empty list of approvers', { ...fortios, policy: { ticketSources: [] } }],
    ['a VDOM with shell characters', { ...fortios, policy: { vdoms: ['root;id'] } }],
  ])('%s is refused', (_label, definition) => {
    expectValidationError(() => parseInput(TargetDefinition, definition, 'target definition'));
  });

  const arm = (path: string) => ({
    vendor: 'autorabit',
    baseUrl: 'https://arm.example.com/',
    verify: { path },
  });
  it.each([
    ['a scheme-relative path to another host', '//127.0.0.2/x', /must not start with "\/\/"/],
    ['a path that is all slashes', '///', /must not start with "\/\/"/],
    ['a dot-dot segment', '/api/../x', /must not hold a "\." or "\.\." segment/],
    ['a dot segment', '/api/./x', /must not hold a "\." or "\.\." segment/],
    ['a trailing dot-dot segment', '/api/..', /must not hold a "\." or "\.\." segment/],
    [
      'a dot-dot segment before a scheme-relative path',
      '/..//127.0.0.2/x',
      /must not hold a "\." or "\.\." segment/,
    ],
  ])('an ARM verify path with %s is refused with its rule', (_label, path, rule) => {
    // Act
    const parsed = TargetDefinition.safeParse(arm(path));
    // Assess
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')).toMatch(
      new RegExp(`verify\\.path: .*${rule.source}`),
    );
  });

  it('an ARM verify path of dotted names stays allowed', () => {
    // Act
    const parsed = TargetDefinition.parse(arm('/api/v1.2/..well-known/x..y/.hidden'));
    // Assess
    expect(parsed).toMatchObject({ verify: { path: '/api/v1.2/..well-known/x..y/.hidden' } });
  });
});

describe('hostile operator credential files', () => {
  const vendors = {
    fortiflex: vendorFor({
      target: { vendor: 'fortiflex', baseUrl: 'https://127.0.0.1:1/', clientId: 'flexvm' },
    }),
    forticnapp: vendorFor({
      target: { vendor: 'forticnapp', baseUrl: 'https://127.0.0.1:1/', tokenExpirySeconds: 3600 },
    }),
    autorabit: vendorFor({
      target: { vendor: 'autorabit', baseUrl: 'https://127.0.0.1:1/', verify: { method: 'GET', path: '/v' } },
    }),
  } as Record<string, OperatorVendor>;
  const secretLooking = 'S3cr3tMaterialThatMustNotEcho0123456789';
  const files: [string, string][] = [
    ['empty', ''],
    ['HTML', `<html><body>${secretLooking}</body></html>`],
    ['truncated JSON', `{"keyId":"ABC","secret":"${secretLooking}`],
    ['a JSON array', `["${secretLooking}"]`],
    ['a __proto__ object', `{"__proto__":{"secret":"${secretLooking}"}}`],
    ['wrong types', '{"keyId":1,"secret":2,"username":3,"password":4}'],
    ['over the size limit', `{"secret":"${'x'.repeat(70_000)}"}`],
    ['binary', '\u0000\u0001\u0002\u00ff'.repeat(8)],
    ['invalid unicode', `{"keyId":"\ud800","secret":"${secretLooking}"}`],
  ];
  const cases = Object.keys(vendors).flatMap((vendor) =>
    files.map(([label, text]): [string, string, string] => [vendor, label, text]),
  );
  it.each(cases)('%s: %s is refused without echoing it', (vendor, _label, text) => {
    expectValidationError(
      () => vendors[vendor]?.parseCredentialFile(text, { expiresAt: 'not a date' }),
      undefined,
      secretLooking,
    );
  });
});

describe('hostile rotation, revocation and CLI input', () => {
  it.each([
    [
      'a rotation of a shell name',
      () => parseInput(RotateRequest, { target: 'fgt', apiUser: '$(id)' }, 'rotate request'),
    ],
    [
      'a rotation with extra fields',
      () => parseInput(RotateRequest, { target: 'fgt', apiUser: 'a', force: true }, 'rotate request'),
    ],
    ['a rotation of the wrong type', () => parseInput(RotateRequest, 'fgt/a', 'rotate request')],
    ['a revocation owner with shell characters', () => parseInput(OwnerId, 'bob;id', 'owner')],
    ['a revocation owner of the wrong type', () => parseInput(OwnerId, ['bob@example.com'], 'owner')],
    // NFC and lower-casing turn these into ASCII ids (KELVIN SIGN is canonically K): refused before either.
    ['a revocation owner with a Kelvin sign', () => parseInput(OwnerId, '\u212Aate@example.com', 'owner')],
    [
      'a revocation owner with a dotted capital I',
      () => parseInput(OwnerId, '\u0130van@example.com', 'owner'),
    ],
    ['a revocation owner in full-width letters', () => parseInput(OwnerId, 'ａlice@example.com', 'owner')],
    [
      'a revocation owner with a zero-width space',
      () => parseInput(OwnerId, 'alice\u200b@example.com', 'owner'),
    ],
    ['a revocation owner of only spaces', () => parseInput(OwnerId, '   ', 'owner')],
    ['a task id with path characters', () => parseInput(TaskId, '../../tasks/x', 'task id')],
    ['a task id too long', () => parseInput(TaskId, 'a'.repeat(81), 'task id')],
    [
      'a refusal reason with markup',
      () => parseInput(RefusalReason, '<script>alert(1)</script>', 'refusal reason'),
    ],
    ['a refusal reason with a newline', () => parseInput(RefusalReason, 'no\nreason', 'refusal reason')],
  ])('%s is refused', (_label, run) => {
    expectValidationError(run);
  });
});
