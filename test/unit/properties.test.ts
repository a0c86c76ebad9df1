/**
 * Property-based tests (fast-check): the local Secrets Manager's version-stage rules against AWS's
 * specification over random sequences of writes, and the request schemas against arbitrary input.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '#core/errors.ts';
import { parseProvisionRequest, TargetDefinition } from '#core/requests.ts';
import { ApiUserName, parseInput, TrustedHost } from '#core/schemas.ts';
import { AwsServiceError } from '#local/aws-json-server.ts';
import { LocalSecretsManager } from '#local/secrets-manager.ts';

// A fixed seed keeps `npm test` deterministic; FC_SEED=<n> explores other sequences.
fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 20261125) });

const STAGES = ['AWSCURRENT', 'AWSPENDING', 'AWSPREVIOUS', 'CUSTOM'] as const;
const TOKENS = Array.from({ length: 4 }, (_, i) => `token-${i}`.padEnd(36, String(i)));

type Command =
  | { kind: 'put'; token: number; value: number; stages: string[] | undefined }
  | { kind: 'update'; stage: string; moveTo: number | undefined; removeFrom: number | undefined };

const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({
    kind: fc.constant('put' as const),
    token: fc.nat({ max: TOKENS.length - 1 }),
    value: fc.nat({ max: 2 }),
    // Clients ask for AWSCURRENT, AWSPENDING or their own labels; AWSPREVIOUS is Secrets Manager's to move.
    stages: fc.option(
      fc.uniqueArray(fc.constantFrom('AWSCURRENT', 'AWSPENDING', 'CUSTOM'), { maxLength: 2 }),
      {
        nil: undefined,
      },
    ),
  }),
  fc.record({
    kind: fc.constant('update' as const),
    stage: fc.constantFrom(...STAGES),
    moveTo: fc.option(fc.nat({ max: TOKENS.length - 1 }), { nil: undefined }),
    removeFrom: fc.option(fc.nat({ max: TOKENS.length - 1 }), { nil: undefined }),
  }),
);

function stagesOf(sm: LocalSecretsManager): Record<string, string[]> {
  const described = sm.operations.DescribeSecret?.({ SecretId: 'provisioner/p/x' }) as {
    VersionIdsToStages?: Record<string, string[]>;
  };
  return Object.fromEntries(
    Object.entries(described.VersionIdsToStages ?? {}).map(([id, stages]) => [id, [...stages].sort()]),
  );
}

function holderOf(stages: Record<string, string[]>, stage: string): string[] {
  return Object.entries(stages)
    .filter(([, s]) => s.includes(stage))
    .map(([id]) => id);
}

describe('Secrets Manager version stages (against the AWS specification)', () => {
  it('keeps every label on at most one version, AWSCURRENT on exactly one, AWSPREVIOUS on the one it left; a refused call changes nothing', () => {
    fc.assert(
      fc.property(fc.array(command, { maxLength: 25 }), (commands) => {
        const sm = new LocalSecretsManager();
        sm.operations.CreateSecret?.({ Name: 'provisioner/p/x' });
        const values = new Map<string, string>();
        for (const c of commands) {
          const before = stagesOf(sm);
          try {
            if (c.kind === 'put') {
              const token = TOKENS[c.token] ?? '';
              const value = `v${c.value}`;
              const answer = sm.operations.PutSecretValue?.({
                SecretId: 'provisioner/p/x',
                SecretString: value,
                ClientRequestToken: token,
                ...(c.stages ? { VersionStages: c.stages } : {}),
              }) as { VersionId: string };
              // Idempotent for the same token and value; a token is never reused for another value.
              const earlier = values.get(token);
              expect(earlier === undefined || earlier === value).toBe(true);
              values.set(token, value);
              expect(answer.VersionId).toBe(token);
              if (earlier !== undefined) expect(stagesOf(sm)).toEqual(before);
            } else {
              sm.operations.UpdateSecretVersionStage?.({
                SecretId: 'provisioner/p/x',
                VersionStage: c.stage,
                ...(c.moveTo === undefined ? {} : { MoveToVersionId: TOKENS[c.moveTo] }),
                ...(c.removeFrom === undefined ? {} : { RemoveFromVersionId: TOKENS[c.removeFrom] }),
              });
              // Removing AWSCURRENT without moving it is refused, so success means it moved or was not involved.
              if (c.stage === 'AWSCURRENT') expect(c.moveTo).not.toBeUndefined();
            }
          } catch (error) {
            expect(error).toBeInstanceOf(AwsServiceError);
            expect(stagesOf(sm)).toEqual(before);
            continue;
          }
          const after = stagesOf(sm);
          for (const stage of STAGES) expect(holderOf(after, stage).length).toBeLessThanOrEqual(1);
          if (Object.keys(after).length > 0) expect(holderOf(after, 'AWSCURRENT')).toHaveLength(1);
          const [wasCurrent] = holderOf(before, 'AWSCURRENT');
          const [isCurrent] = holderOf(after, 'AWSCURRENT');
          if (wasCurrent && isCurrent !== wasCurrent)
            expect(holderOf(after, 'AWSPREVIOUS')).toEqual([wasCurrent]);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('request schemas under arbitrary input', () => {
  it('refuse anything with a ValidationError, never another error', () => {
    fc.assert(
      fc.property(fc.anything(), (input) => {
        for (const parse of [
          () => parseProvisionRequest(input),
          () => parseInput(TargetDefinition, input, 'target definition'),
        ]) {
          try {
            parse();
          } catch (error) {
            expect(error).toBeInstanceOf(ValidationError);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('accept an API user name exactly when it is 1-35 of letters, digits, ".", "_" and "-", starting with a letter or digit', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 40 }), fc.stringMatching(/^[A-Za-z0-9._-]{1,40}$/)),
        (name) => {
          const allowed =
            name.length >= 1 &&
            name.length <= 35 &&
            /^[A-Za-z0-9]/.test(name) &&
            /^[A-Za-z0-9._-]*$/.test(name);
          expect(ApiUserName.safeParse(name).success).toBe(allowed);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('never accept a trusted host that opens the whole internet', () => {
    fc.assert(
      fc.property(fc.ipV4(), (address) => {
        expect(TrustedHost.safeParse(`${address}/0`).success).toBe(false);
      }),
    );
  });
});
