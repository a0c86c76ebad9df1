/**
 * The workflows on the local runtime when a product answers a verification inconclusively (neither
 * an acceptance nor a refusal, as an adapter reports a permission error of an authenticated caller
 * or an ambiguous status). Revocation: the credential is reported as "revocation unproven", stays
 * `revoking` with its secret, the execution fails, and a later run finishes it. Rotation: a new key
 * answered inconclusively is never promoted; an old one is never taken as refused.
 *
 * The handlers run in this process, so the product list is wrapped here: while `inconclusive.when`
 * matches a verification, the product answers it inconclusively.
 */
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it, vi } from 'vitest';
import { CURRENT, credentialSecretName, PENDING } from '#core/names.ts';
import type { CredentialRef } from '#core/products/managed-user.ts';
import type { CredentialMaterial } from '#core/products/vendor.ts';
import { credentialStatus, versionWithStage } from '#core/secrets.ts';
import { causeMessage } from '#core/step-error.ts';
import { addressReaderRequest, runExecution, runProvision } from '#test/support/executions.ts';
import { useLocalEnvironment } from '#test/support/local-environment.ts';

const inconclusive = vi.hoisted(() => ({
  /** Which verifications answer inconclusively, by product name and key; none when absent. */
  when: undefined as ((vendor: string, key: string | undefined) => boolean) | undefined,
  reason: 'HTTP 403 to an authenticated caller: the probe is not readable with this profile',
  /** How many inconclusive answers were given. */
  answers: 0,
}));
vi.mock('#core/products/adapters.ts', async (original) => {
  const real = await original<typeof import('#core/products/adapters.ts')>();
  return {
    ...real,
    loadVendor: async (context: Parameters<typeof real.loadVendor>[0]) => {
      const vendor = await real.loadVendor(context);
      const answer = () => {
        inconclusive.answers += 1;
        return { outcome: 'inconclusive' as const, reason: inconclusive.reason };
      };
      const proveRevoked = 'proveRevoked' in vendor ? vendor.proveRevoked : undefined;
      return Object.assign(Object.create(vendor) as typeof vendor, {
        verify: async (material: CredentialMaterial) => {
          const key = 'key' in material ? material.key : undefined;
          if (!inconclusive.when?.(context.target.vendor, key)) return vendor.verify(material);
          return answer();
        },
        // A revocation proven through the admin API (FortiOS): the credential's own user answers
        // inconclusively, its twin as the product does.
        ...(proveRevoked && {
          proveRevoked: async (apiUser: string, credential: CredentialRef) =>
            inconclusive.when?.(context.target.vendor, undefined) && apiUser === credential.apiUser
              ? answer()
              : proveRevoked.call(vendor, apiUser, credential),
        }),
      });
    },
  };
});

const { env } = useLocalEnvironment({
  targets: async (env) => {
    await env.registerTarget('fortios', 'fgt');
    await env.registerTarget('fortimanager', 'fmg');
  },
});

const REASON = inconclusive.reason;

async function provision(target: string, apiUser: string, owner: string) {
  const provisioned = await runProvision(env, addressReaderRequest(target, apiUser, owner));
  expect(provisioned.status, causeMessage(provisioned.cause)).toBe('SUCCEEDED');
  return credentialSecretName(target, apiUser);
}

async function currentKey(secretName: string): Promise<string> {
  const answer = await env.secretsClient.send(new GetSecretValueCommand({ SecretId: secretName }));
  return (JSON.parse(answer.SecretString ?? '{}') as { key: string }).key;
}

/** The product answers inconclusively for every key `forKey` picks (all of them by default). */
function answerInconclusively(product: string, forKey: (key: string | undefined) => boolean = () => true) {
  inconclusive.answers = 0;
  inconclusive.when = (vendor, key) => vendor === product && forKey(key);
}

describe('workflows reading an inconclusive answer (local runtime)', () => {
  it('revocation reports the credential as unproven, keeps it revoking with its secret, fails; a later run finishes it', async () => {
    // Prepare
    const owner = 'uma@example.com';
    const fgt = await provision('fgt', 'fgt-uma', owner);
    const fmg = await provision('fmg', 'fmg-uma', owner);
    answerInconclusively('fortios');
    // Act
    const first = await runExecution(env, env.revokeStateMachineArn, { owner }, 'revoke-uma-1');
    inconclusive.when = undefined;
    const described = await env.store.describe(fgt);
    const second = await runExecution(env, env.revokeStateMachineArn, { owner }, 'revoke-uma-2');
    // Assess
    expect(first.status).toBe('FAILED');
    expect(first.error).toBe('RevocationIncomplete');
    // Retried like a credential still accepted (4 retries), then reported.
    expect(inconclusive.answers).toBe(5);
    expect(causeMessage(first.cause)).toBe(
      `1 of 2 credentials of uma@example.com are not revoked: ${fgt}: revocation unproven (fgt answers inconclusively for the credential of fgt-uma after its revocation: ${REASON})`,
    );
    const report = env.eventBus.events.filter((e) => e.DetailType === 'credential.revocation-failed').at(-1);
    expect(JSON.parse(report?.Detail ?? '{}')).toEqual({
      owner,
      requestId: 'revoke-uma-1',
      revoked: [fmg],
      held: [],
      failed: [],
      unproven: [{ secretName: fgt, reason: expect.stringContaining(REASON) }],
    });
    expect(credentialStatus(described)).toBe('revoking');
    expect(described?.deletedDate).toBeUndefined();
    expect(second.status, causeMessage(second.cause)).toBe('SUCCEEDED');
    expect(JSON.parse(second.output ?? '{}').revoked).toEqual([fgt]);
    expect(credentialStatus(await env.store.describe(fgt))).toBe('revoked');
  });

  it('rotation never promotes a new key answered inconclusively: the current key stays current', async () => {
    // Prepare
    const secretName = await provision('fgt', 'rot-vic', 'vic@example.com');
    const before = await env.store.describe(secretName);
    const oldKey = await currentKey(secretName);
    answerInconclusively('fortios', (key) => key !== oldKey);
    // Act
    const execution = await runExecution(env, env.rotateStateMachineArn, {
      target: 'fgt',
      apiUser: 'rot-vic',
    });
    // Assess
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('CredentialNotYetValid');
    expect(causeMessage(execution.cause)).toContain(REASON);
    const after = await env.store.describe(secretName);
    expect(after && versionWithStage(after, CURRENT)).toBe(before && versionWithStage(before, CURRENT));
    expect(after && versionWithStage(after, PENDING)).toBeUndefined();
    expect(await currentKey(secretName)).toBe(oldKey);
  });

  it('rotation never takes an inconclusive answer for the previous key as its refusal', async () => {
    // Prepare
    const secretName = await provision('fmg', 'rot-wes', 'wes@example.com');
    const previousKey = await currentKey(secretName);
    answerInconclusively('fortimanager', (key) => key === previousKey);
    // Act
    const execution = await runExecution(env, env.rotateStateMachineArn, {
      target: 'fmg',
      apiUser: 'rot-wes',
    });
    // Assess
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('RevocationUnproven');
    expect(inconclusive.answers).toBe(5);
    const failed = env.eventBus.events.findLast((e) => e.DetailType === 'credential.rotation-failed');
    expect(JSON.parse(failed?.Detail ?? '{}')).toMatchObject({
      error: 'RevocationUnproven',
      reason: expect.stringMatching(
        /^the new key is current; the previous key may still work: .*inconclusively/,
      ),
    });
  });
});
