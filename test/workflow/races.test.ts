/**
 * Duplicates and races on the embedded default: one ticket delivered ten times at once, a
 * revocation landing at each step of a running rotation, two provisions of the same API user at
 * once. Interleavings are made deterministic by running the competing workflow to its end inside
 * the hook that precedes a given Lambda invocation.
 */
import { describe, expect, it } from 'vitest';
import { executionNameFor } from '#core/execution-names.ts';
import { signWebhook } from '#core/intake.ts';
import { CURRENT, credentialSecretName, PENDING } from '#core/names.ts';
import { vendorFor } from '#core/products/registry.ts';
import { credentialStatus, versionWithStage } from '#core/secrets.ts';
import { causeMessage } from '#core/step-error.ts';
import { scanEnvironment } from '#local/leak-scan.ts';
import { executionEnd, startExecution } from '#test/support/executions.ts';
import { useLocalEnvironment } from '#test/support/local-environment.ts';

const { env, logs } = useLocalEnvironment({
  targets: async (env) => {
    await env.registerTarget('fortios', 'fgt');
  },
});
const outputs: string[] = [];

function requestFor(apiUser: string, ticket: string, owner = `${apiUser}@example.com`) {
  return {
    target: 'fgt',
    apiUser,
    owner,
    ticket,
    accessProfile: { name: 'race-ro', permissions: { 'fwgrp.address': 'read' } },
    trustedHosts: ['127.0.0.1/32'],
  };
}

async function start(stateMachineArn: string, input: object, name: string) {
  return startExecution(env, stateMachineArn, input, name);
}

async function finish(executionArn: string) {
  const described = await executionEnd(env, executionArn);
  outputs.push(JSON.stringify(described));
  return described;
}

async function provision(apiUser: string) {
  const request = requestFor(apiUser, `RACE-${apiUser}`);
  const done = await finish(
    await start(
      env.provisionStateMachineArn,
      request,
      executionNameFor('provision', request.ticket, request),
    ),
  );
  expect(done.status, causeMessage(done.cause)).toBe('SUCCEEDED');
}

describe('duplicates and races (local runtime)', () => {
  it('one ticket delivered ten times at once starts one execution', async () => {
    // Prepare
    const body = JSON.stringify({
      type: 'access-request',
      ticket: 'RACE-10',
      approved: true,
      requester: 'ten-times@example.com',
      request: requestFor('ten-times', 'RACE-10'),
    });
    const deliver = () =>
      fetch(env.intake.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-provisioner-signature': signWebhook(
            env.intake.webhookSecret,
            body,
            Math.floor(Date.now() / 1000),
          ),
        },
        body,
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as { executionArn?: string } }));
    // Act
    const answers = await Promise.all(Array.from({ length: 10 }, deliver));
    const arns = new Set(answers.map((a) => a.body.executionArn));
    const [arn] = [...arns];
    const done = await finish(String(arn));
    // Assess
    expect(answers.map((a) => a.status).every((s) => s === 200 || s === 202)).toBe(true);
    expect(arns.size).toBe(1);
    const started = env.stepFunctions.service
      .allHistories()
      .filter((h) => h.some((e) => e.type === 'ExecutionStarted' && JSON.stringify(e).includes('ten-times')));
    expect(started).toHaveLength(1);
    expect(done.status, causeMessage(done.cause)).toBe('SUCCEEDED');
  });

  it.each([
    'ensure-twin-user',
    'issue-twin-key',
    'verify-pending-key',
    'promote-pending-key',
    'retire-previous-key',
  ])(
    'a revocation landing before %s of a rotation ends with the credential revoked and nothing issued after it',
    async (handlerId) => {
      // Prepare
      const apiUser = `race-${handlerId.split('-')[0]}-${handlerId.split('-')[1]}`.slice(0, 30);
      await provision(apiUser);
      let revocation: Awaited<ReturnType<typeof finish>> | undefined;
      env.lambdaFaults.beforeEach = async (invoked) => {
        if (invoked !== handlerId || revocation) return;
        env.lambdaFaults.beforeEach = undefined;
        revocation = await finish(
          await start(
            env.revokeStateMachineArn,
            { owner: `${apiUser}@example.com`, reason: 'race' },
            `revoke-${apiUser}`,
          ),
        );
      };
      // Act
      const rotation = await finish(
        await start(env.rotateStateMachineArn, { target: 'fgt', apiUser }, `rotate-${apiUser}`),
      );
      // Assess
      expect(revocation?.status, causeMessage(revocation?.cause)).toBe('SUCCEEDED');
      expect(['SUCCEEDED', 'FAILED']).toContain(rotation.status);
      const secret = await env.store.describe(credentialSecretName('fgt', apiUser));
      expect(credentialStatus(secret)).toBe('revoked');
      expect(secret && versionWithStage(secret, PENDING)).toBeUndefined();
      expect(env.fortios.state.users.has(apiUser)).toBe(false);
      expect(env.fortios.state.users.has(`${apiUser}.b`)).toBe(false);
    },
  );

  it('two provisions of the same API user at once create one user, and its key works', async () => {
    // Prepare
    const first = requestFor('same-user', 'RACE-A', 'ann@example.com');
    const second = requestFor('same-user', 'RACE-B', 'ben@example.com');
    // Act
    const done = await Promise.all(
      [first, second].map(async (r) =>
        finish(await start(env.provisionStateMachineArn, r, executionNameFor('provision', r.ticket, r))),
      ),
    );
    // Assess
    expect(done.map((d) => d.status).sort()).toEqual(['FAILED', 'SUCCEEDED']);
    expect([...env.fortios.state.users.keys()].filter((u) => u.startsWith('same-user'))).toEqual([
      'same-user',
    ]);
    const secretName = credentialSecretName('fgt', 'same-user');
    const secret = await env.store.describe(secretName);
    expect(credentialStatus(secret)).toBe('active');
    const current = await env.store.readVersion(
      secretName,
      (secret && versionWithStage(secret, CURRENT)) ?? '',
    );
    const vendor = vendorFor({ target: await env.store.loadTarget('fgt') });
    expect((await vendor.verify({ key: String((current as { key?: string }).key) })).outcome).toBe(
      'accepted',
    );
  });

  it('leaks no key into histories, outputs, events or logs', () => {
    expect(scanEnvironment(env, { outputs, logs: logs.lines })).toEqual([]);
  });
});
