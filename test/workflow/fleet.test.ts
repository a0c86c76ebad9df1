/**
 * Fleets through FortiManager on the embedded default (issue 17, item 4): one request names a device
 * group, the provision workflow fans out one credential per device (a Map, a few devices at a time)
 * and reports each device; an offline device is reported and the others succeed. Each device's
 * credential then rotates and is revoked on its own, and the target policy and trusted hosts apply
 * to every device.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { executionNameFor } from '#core/execution-names.ts';
import { credentialSecretName, TAG } from '#core/names.ts';
import { simulatedFortiGateFleet } from '#core/products/fortigate-fleet/simulated.ts';
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

  beforeAll(async () => {
    const { execution, output } = await provision(fleetRequest('fleet-bot', { deviceGroup: 'east' }));
    expect(execution.status, causeMessage(execution.cause)).toBe('SUCCEEDED');
    report = output;
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
      expect(secret?.tags[TAG.status]).toBe('active');
      expect(secret?.tags[TAG.owner]).toBe(OWNER);
      // The request's trusted hosts on every device's user.
      expect(usersOn(device)?.get('fleet-bot')?.trusthosts).toEqual(['127.0.0.1 255.255.255.255']);
    }
    expect(await env.store.describe(credentialSecretName('fleet.fgt-east-9', 'fleet-bot'))).toBeUndefined();
    expect(usersOn('fgt-branch-3')?.has('fleet-bot')).toBe(false);
  });

  it('refuses a request beyond the target policy before any device is called', async () => {
    // Prepare
    await env.store.putTarget('fleet-ro', {
      ...simulatedFortiGateFleet.target(fleet(), 'ca'),
      adom: 'ro',
      policy: { maxPermission: 'read', minTrustedHostPrefix: 24, maxTrustedAddresses: 256 },
    });
    const request = {
      ...fleetRequest('fleet-rw', { devices: ['fgt-branch-1', 'fgt-branch-2'] }),
      target: 'fleet-ro',
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
