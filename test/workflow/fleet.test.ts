/**
 * Fleets through FortiManager on the embedded default (issue 17, item 4): one request names a device
 * group, the provision workflow fans out one credential per device (a Map, a few devices at a time)
 * and reports each device; an offline device is reported and the others succeed. Each device's
 * credential then rotates and is revoked on its own, and the target policy and trusted hosts apply
 * to every device.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { status } from '#cli/commands.ts';
import { executionNameFor } from '#core/execution-names.ts';
import { credentialSecretName, TAG } from '#core/names.ts';
import { asApiVendor, vendorFor } from '#core/products/registry.ts';
import { credentialStatus } from '#core/secrets.ts';
import { causeMessage } from '#core/step-error.ts';
import { addressReaderRequest, runExecution } from '#test/support/executions.ts';
import { useLocalEnvironment } from '#test/support/local-environment.ts';

const { env } = useLocalEnvironment({
  targets: async (env) => {
    await env.registerTarget('fortigate-fleet', 'fleet');
  },
});

const fleet = () => env['fortigate-fleet'];
const usersOn = (device: string) => fleet().devices.get(device)?.fortigate.state.users;
const OWNER = 'fleet-owner@example.com';

function fleetRequest(apiUser: string, selector: object, extra: object = {}) {
  return { ...addressReaderRequest('fleet', apiUser, OWNER), fleet: selector, ...extra };
}

async function provision(request: { ticket: string }) {
  const execution = await runExecution(
    env,
    env.provisionStateMachineArn,
    request,
    executionNameFor('provision', request.ticket, request),
  );
  return { execution, output: JSON.parse(execution.output ?? '{}') };
}

describe('fleets through FortiManager (local runtime)', () => {
  let report: { devices: Record<string, unknown>[] };
  let executionArn: string;

  beforeAll(async () => {
    const { execution, output } = await provision(fleetRequest('fleet-bot', { deviceGroup: 'east' }));
    expect(execution.status, causeMessage(execution.cause)).toBe('SUCCEEDED');
    report = output;
    executionArn = execution.executionArn ?? '';
  });

  it('provisions each device of a group, one credential each; the offline device is reported, the others succeed', async () => {
    // Assess
    expect(report.devices).toEqual([
      expect.objectContaining({
        target: 'fleet.fgt-branch-1',
        outcome: 'provisioned',
        secretName: credentialSecretName('fleet.fgt-branch-1', 'fleet-bot'),
      }),
      expect.objectContaining({
        target: 'fleet.fgt-branch-2',
        outcome: 'provisioned',
        secretName: credentialSecretName('fleet.fgt-branch-2', 'fleet-bot'),
      }),
      expect.objectContaining({
        target: 'fleet.fgt-east-9',
        outcome: 'failed',
        error: 'RetryableError',
        cause: expect.stringMatching(/could not reach fgt-east-9/),
      }),
    ]);
    for (const device of ['fgt-branch-1', 'fgt-branch-2']) {
      const secret = await env.store.describe(credentialSecretName(`fleet.${device}`, 'fleet-bot'));
      expect(credentialStatus(secret)).toBe('active');
      expect(secret?.tags[TAG.owner]).toBe(OWNER);
      // The request's trusted hosts on every device's user.
      expect(usersOn(device)?.get('fleet-bot')?.trusthosts).toEqual(['127.0.0.1 255.255.255.255']);
    }
    expect(await env.store.describe(credentialSecretName('fleet.fgt-east-9', 'fleet-bot'))).toBeUndefined();
    expect(usersOn('fgt-branch-3')?.has('fleet-bot')).toBe(false);
  });

  it('provisioner status shows one row per device and fails the command when a device failed', async () => {
    // Prepare
    const printed: string[] = [];
    // Act
    const exitCode = await status(env.sfnClient, executionArn, { out: (line) => printed.push(line) });
    // Assess
    expect(exitCode).toBe(1);
    const table = printed.join('\n');
    expect(table).toMatch(/fleet\.fgt-branch-1\s+provisioned\s+provisioner\/fleet\.fgt-branch-1\/fleet-bot/);
    expect(table).toMatch(
      /fleet\.fgt-east-9\s+failed \(not cleaned up: unreachable\)\s+-\s+RetryableError: .*could not reach fgt-east-9/,
    );
  });

  it('refuses a request beyond the target policy (its default: read-only) before any device is called', async () => {
    // Prepare
    const request = {
      ...fleetRequest('fleet-rw', { devices: ['fgt-branch-1', 'fgt-branch-2'] }),
      accessProfile: { name: 'addr-rw', permissions: { 'fwgrp.address': 'read-write' } },
    };
    const calls = fleet().state.requestsLog.length;
    // Act
    const { execution } = await provision(request);
    // Assess
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('ValidationError');
    expect(causeMessage(execution.cause)).toMatch(/fwgrp\.address/);
    expect(fleet().state.requestsLog.length).toBe(calls);
  });

  it('refuses devices the fleet target does not name, changing nothing', async () => {
    // Act
    const { execution } = await provision(
      fleetRequest('fleet-x', { devices: ['fgt-branch-1', 'fgt-elsewhere'] }),
    );
    // Assess
    expect(execution.status).toBe('FAILED');
    expect(causeMessage(execution.cause)).toMatch(/not among the fleet target's devices: fgt-elsewhere/);
    expect(usersOn('fgt-branch-1')?.has('fleet-x')).toBe(false);
  });

  it("rotates one device's credential; the other device's key is untouched", async () => {
    // Prepare
    const otherKey = usersOn('fgt-branch-2')?.get('fleet-bot')?.key;
    // Act
    const execution = await runExecution(env, env.rotateStateMachineArn, {
      target: 'fleet.fgt-branch-1',
      apiUser: 'fleet-bot',
    });
    // Assess
    expect(execution.status, causeMessage(execution.cause)).toBe('SUCCEEDED');
    expect(usersOn('fgt-branch-1')?.has('fleet-bot.b')).toBe(true);
    expect(usersOn('fgt-branch-1')?.has('fleet-bot')).toBe(false);
    expect(usersOn('fgt-branch-2')?.get('fleet-bot')?.key).toBe(otherKey);
    expect(usersOn('fgt-branch-2')?.has('fleet-bot.b')).toBe(false);
  });

  it('reconciles each device: an orphan on one device is found and removed, the offline device is reported unreachable', async () => {
    // Prepare: a user left behind on fgt-branch-3 by a provision whose secret never came to be
    const vendor = asApiVendor(vendorFor({ target: await env.store.loadTarget('fleet.fgt-branch-3') }));
    await vendor.ensureAccessProfile({ name: 'addr-readonly', permissions: { 'fwgrp.address': 'read' } });
    await vendor.ensureUser({
      name: 'left-behind',
      profile: 'addr-readonly',
      trustedHosts: ['127.0.0.1/32'],
      vdom: 'root',
      requestId: 'provision-T-gone-0123456789',
      credential: { target: 'fleet.fgt-branch-3', apiUser: 'left-behind' },
    });
    // Act
    const execution = await runExecution(env, env.reconcileStateMachineArn, {});
    // Assess
    expect(execution.status, causeMessage(execution.cause)).toBe('SUCCEEDED');
    const report = JSON.parse(execution.output ?? '{}');
    expect(report).toMatchObject({
      targets: 4,
      credentialsChecked: 2,
      orphans: ['fleet.fgt-branch-3/left-behind'],
      repaired: ['fleet.fgt-branch-3/left-behind'],
      broken: [],
      unreachable: ['fleet.fgt-east-9'],
    });
    expect(usersOn('fgt-branch-3')?.has('left-behind')).toBe(false);
  });

  it("revoking the owner revokes every device's credential, each proven", async () => {
    // Act
    const execution = await runExecution(
      env,
      env.revokeStateMachineArn,
      { owner: OWNER },
      'revoke-fleet-owner-1',
    );
    // Assess
    expect(execution.status, causeMessage(execution.cause)).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output ?? '{}').revoked).toEqual([
      credentialSecretName('fleet.fgt-branch-1', 'fleet-bot'),
      credentialSecretName('fleet.fgt-branch-2', 'fleet-bot'),
    ]);
    for (const device of ['fgt-branch-1', 'fgt-branch-2']) {
      expect(usersOn(device)?.has('fleet-bot')).toBe(false);
      expect(usersOn(device)?.has('fleet-bot.b')).toBe(false);
    }
  });
});
