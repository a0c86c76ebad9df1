/**
 * Attacks on what a request may be granted (issue 14, item 2 and the per-target access policy): a
 * built-in profile, an existing profile that grants more than asked, and requests beyond their
 * target's policy. Each is refused at ValidateRequest, before any product call, naming the rule, or
 * (an existing profile) refused before any user gets it.
 */
import { describe, expect, it } from 'vitest';
import { simulatedFortiCnapp } from '#core/products/forticnapp/simulated.ts';
import { simulatedFortiManager } from '#core/products/fortimanager/simulated.ts';
import { asApiVendor, vendorFor } from '#core/products/registry.ts';
import { TargetDefinition } from '#core/requests.ts';
import { causeMessage } from '#core/step-error.ts';
import { addressReaderRequest, runProvision } from '#test/support/executions.ts';
import { putFortiOsTarget } from '#test/support/fortios-targets.ts';
import { useLocalEnvironment } from '#test/support/local-environment.ts';
import { failure } from '../failure.ts';

const { env } = useLocalEnvironment({
  targets: async (env) => {
    await env.registerTarget('fortios', 'fgt');
    await env.registerTarget('fortimanager', 'fmg');
    await env.registerTarget('forticnapp', 'cnapp');
    // Policies tighter than the defaults, each target in its own VDOM of the same FortiGate.
    const fortigate = (vdom: string, policy: object) =>
      putFortiOsTarget(env, `fgt-${vdom}`, policy, { vdom });
    await fortigate('nosys', { permissions: { sysgrp: 'none' } });
    await fortigate('narrow', { minTrustedHostPrefix: 24, maxTrustedAddresses: 256 });
    await fortigate('named', { accessProfiles: ['addr-readonly'] });
    await fortigate('snow', { ticketSources: ['servicenow'] });
    await env.store.putTarget(
      'cnapp-ro',
      TargetDefinition.parse({
        ...simulatedFortiCnapp.target(env.forticnapp, 'ca'),
        policy: { serviceUsers: ['svc-ci-compliance'] },
      }),
    );
  },
});
let runs = 0;

function request(overrides: Record<string, unknown> = {}) {
  runs += 1;
  return addressReaderRequest('fgt', `pol-${runs}`, 'mallory@example.com', {
    ticket: `T-pol-${runs}`,
    ...overrides,
  });
}

/** Runs the request and asserts it failed at ValidateRequest, before any product call, with `message`. */
async function refusedBeforeAnyProductCall(input: ReturnType<typeof request>, message: string | RegExp) {
  const calls = [
    env.fortios.state.requestsLog.length,
    env.fortimanager.state.requestsLog.length,
    env.forticnapp.requestsLog.length,
  ];
  const done = await runProvision(env, input);
  expect(done.status).toBe('FAILED');
  expect(causeMessage(done.cause)).toMatch(message);
  expect([
    env.fortios.state.requestsLog.length,
    env.fortimanager.state.requestsLog.length,
    env.forticnapp.requestsLog.length,
  ]).toEqual(calls);
}

describe('built-in and existing access profiles', () => {
  it.each([
    ['fgt', 'super_admin'],
    ['fgt', 'PROF_ADMIN'],
    ['fmg', 'Super_User'],
    ['fmg', 'restricted_user'],
  ])(
    'on %s, a request naming the built-in %s (with read-only permissions) is refused',
    async (target, name) => {
      await refusedBeforeAnyProductCall(
        request({ target, accessProfile: { name, permissions: { 'fwgrp.address': 'read' } } }),
        `accessProfile.name: ${name} is a built-in profile`,
      );
    },
  );

  it.each(['fgt', 'fmg'])(
    'on %s, a read-only request never reuses a read-write profile this system made',
    async (target) => {
      // Prepare: another request's read-write profile
      const api = asApiVendor(vendorFor({ target: await env.store.loadTarget(target) }));
      await api.ensureAccessProfile({ name: 'shared-rw', permissions: { 'fwgrp.address': 'read-write' } });
      const input = request({
        target,
        accessProfile: { name: 'shared-rw', permissions: { 'fwgrp.address': 'read' } },
      });
      // Act
      const done = await runProvision(env, input);
      // Assess
      expect(done.status).toBe('FAILED');
      // (FortiManager names the sub-permission with a dash, as it stores it.)
      expect(causeMessage(done.cause)).toMatch(
        /access profile shared-rw exists with other permissions \(fwgrp[.-]address=read-write\) than requested \(fwgrp[.-]address=read\)/,
      );
      expect(await api.findManagedUser(input.apiUser)).toBeUndefined();
    },
  );

  it('a profile made by hand is not adopted, whatever it grants', async () => {
    // Prepare
    env.fortios.state.profiles.set('handmade', {
      name: 'handmade',
      fwgrp: 'custom',
      'fwgrp-permission': { address: 'read' },
    });
    const input = request({ accessProfile: { name: 'handmade', permissions: { 'fwgrp.address': 'read' } } });
    // Act
    const done = await runProvision(env, input);
    // Assess
    expect(done.status).toBe('FAILED');
    expect(causeMessage(done.cause)).toMatch(
      'access profile handmade exists on the product but was not created by this system',
    );
    expect(env.fortios.state.users.has(input.apiUser)).toBe(false);
  });

  it('the same profile asked again with the same permissions is adopted', async () => {
    // Prepare
    expect(
      (
        await runProvision(
          env,
          request({ accessProfile: { name: 'same-ro', permissions: { 'fwgrp.address': 'read' } } }),
        )
      ).status,
    ).toBe('SUCCEEDED');
    // Act
    const again = await runProvision(
      env,
      request({ accessProfile: { name: 'same-ro', permissions: { 'fwgrp.address': 'read' } } }),
    );
    // Assess
    expect(again.status, causeMessage(again.cause)).toBe('SUCCEEDED');
  });
});

describe("requests beyond their target's policy", () => {
  it.each<[string, Record<string, unknown>, string]>([
    [
      'write under the default (read-only) ceiling',
      { accessProfile: { name: 'w', permissions: { sysgrp: 'read-write' } } },
      "accessProfile.permissions.sysgrp: read-write is beyond the target policy's ceiling (read)",
    ],
    [
      'a group its policy closes',
      { target: 'fgt-nosys', accessProfile: { name: 'sys', permissions: { sysgrp: 'read' } } },
      "accessProfile.permissions.sysgrp: read is beyond the target policy's ceiling (none)",
    ],
    [
      'a profile its policy does not list',
      { target: 'fgt-named', accessProfile: { name: 'other', permissions: { 'fwgrp.address': 'read' } } },
      "accessProfile.name: other is not among the target policy's accessProfiles (addr-readonly)",
    ],
    [
      'a trusted host broader than its policy',
      { target: 'fgt-narrow', trustedHosts: ['10.0.0.0/16'] },
      "trustedHosts: 10.0.0.0/16 is broader than the target policy's minTrustedHostPrefix (/24)",
    ],
    [
      'more addresses than its policy',
      { target: 'fgt-narrow', trustedHosts: ['10.0.0.0/24', '10.0.1.0/24'] },
      "together 512 addresses, over the target policy's maxTrustedAddresses (256)",
    ],
    [
      'a VDOM its target was not registered for',
      { target: 'fgt-nosys', vdom: 'root' },
      "the target's VDOM is nosys",
    ],
    [
      'an approval source its policy does not accept (a console request)',
      { target: 'fgt-snow' },
      'ticketSource: operator may not approve requests for this target',
    ],
    [
      'an approval source its policy does not accept (a generic ticket)',
      { target: 'fgt-snow', ticketSource: 'generic' },
      'ticketSource: generic may not approve',
    ],
    [
      'a service user its policy does not list',
      {
        target: 'cnapp-ro',
        accessProfile: undefined,
        trustedHosts: undefined,
        serviceUser: 'admin@example.com',
      },
      "serviceUser: admin@example.com is not among the target policy's serviceUsers (svc-ci-compliance)",
    ],
  ])('%s is refused, naming the rule', async (_, overrides, message) => {
    await refusedBeforeAnyProductCall(request(overrides), message);
  });

  it('a request within its target policy passes validation and reaches the product', async () => {
    // Prepare
    const calls = env.fortios.state.requestsLog.length;
    // Act
    await runProvision(env, request({ target: 'fgt-snow', ticketSource: 'servicenow' }));
    // Assess
    expect(env.fortios.state.requestsLog.length).toBeGreaterThan(calls);
  });
});

describe('the intake says who approved', () => {
  it('a ticket naming its own ticketSource is refused: only the intake says which system approved', async () => {
    const { actionFromTicket } = await import('#core/intake.ts');
    // Act
    const error = await failure(
      (async () =>
        actionFromTicket({
          type: 'access-request',
          ticket: 'T-forged-source',
          approved: true,
          requester: request({}).owner,
          request: { ...request({ ticket: 'T-forged-source' }), ticketSource: 'servicenow' },
        }))(),
    );
    // Assess
    expect(error.message).toMatch(/ticketSource is set by the intake, not by the ticket/);
  });

  it('registering the FortiManager target policy schema accepts its rules', async () => {
    // Act
    const stored = await env.store.putTarget(
      'fmg-policy',
      TargetDefinition.parse({
        ...simulatedFortiManager.target(env.fortimanager, 'ca'),
        vdom: 'policy',
        policy: { maxPermission: 'read', permissions: { sysgrp: 'none' }, ticketSources: ['jira'] },
      }),
    );
    // Assess
    expect(stored.created).toBe(true);
    expect((await env.store.loadTarget('fmg-policy')).policy).toMatchObject({ ticketSources: ['jira'] });
  });
});
