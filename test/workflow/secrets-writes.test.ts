/**
 * Secrets Manager writes per credential (issue 18, item 1): every write counts against the shared
 * quota of 50 per second (https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_limits.html),
 * so bulk work runs at the floor writes / 50. One credential per product is provisioned, rotated and
 * revoked as the benchmark does (bench/operations.ts `measure`), and each operation's writes counted
 * on the local Secrets Manager (WRITES: the actions AWS counts as writes).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ROTATION_SCHEDULE_GROUP } from '#core/config.ts';
import { credentialSecretName } from '#core/names.ts';
import { PRODUCTS, type VendorName } from '#core/products/index.ts';
import { rotationScheduleName } from '#core/schedules.ts';
import { causeMessage } from '#core/step-error.ts';
import { WRITES } from '#local/secrets-manager.ts';
import { executionEnd } from '#test/support/executions.ts';
import { useLocalEnvironment } from '#test/support/local-environment.ts';
import { MAX_SECRETS_WRITES } from '../../bench/minimums.ts';
import { measure, type Operation, PRODUCT_CASES, registerBenchTargets } from '../../bench/operations.ts';

const { env } = useLocalEnvironment({ targets: registerBenchTargets });

/** API products reach the budget itself. */
const API_PRODUCT = MAX_SECRETS_WRITES;
/**
 * The operator products within the budget but for one write at provision: FortiFlex and FortiCNAPP
 * keep the brokered token as a version of the credential's own secret (PROVISIONER_ACCESS_TOKEN), so
 * provision is the credential's CreateSecret, PutResourcePolicy and PutSecretValue plus the token's
 * PutSecretValue (a secret's first version is AWSCURRENT, and the token's version may carry no
 * AWSCURRENT, so the two cannot share a write); ARM's expiry is read from the value it is stored in.
 * What is left is docs/benchmark.md, "Secrets Manager writes".
 */
const EXPECTED: Record<VendorName, Record<Operation, number>> = {
  fortios: API_PRODUCT,
  fortimanager: API_PRODUCT,
  'fortigate-fleet': API_PRODUCT,
  fortiflex: { provision: 4, rotate: 2, revoke: 2 },
  forticnapp: { provision: 4, rotate: 2, revoke: 2 },
  autorabit: { provision: 3, rotate: 1, revoke: 2 },
};

/** Each write the store answers, as `<action> <secret>`, so a failure shows which writes ran. */
function recordWrites(): string[] {
  const log: string[] = [];
  const operations = env.secretsManager.store.operations;
  for (const action of WRITES) {
    const run = operations[action];
    if (!run) continue;
    operations[action] = (input) => {
      log.push(`${action} ${String(input.SecretId ?? input.Name)}`);
      return run(input);
    };
  }
  return log;
}

describe('Secrets Manager writes per credential', () => {
  let log: string[] = [];
  beforeAll(() => {
    log = recordWrites();
  });
  for (const product of PRODUCT_CASES) {
    const expected = EXPECTED[product.product];
    it(`${product.product}: provision ${expected.provision}, rotate ${expected.rotate}, revoke ${expected.revoke}`, async () => {
      const writes: Partial<Record<Operation, number>> = {};
      const calls: Partial<Record<Operation, string[]>> = {};
      for (const operation of ['provision', 'rotate', 'revoke'] as const) {
        log.length = 0;
        // Its own API user, so its owner (`<api user>@bench.example.com`) holds this credential only.
        writes[operation] = (
          await measure(env, product, operation, `writes-${product.product}`)
        ).secretsWrites;
        calls[operation] = [...log];
      }
      expect(writes, JSON.stringify(calls, null, 2)).toEqual(expected);
    });
  }

  it("a brokered token refresh writes the token once, into the credential's own secret", async () => {
    // Prepare
    const product = PRODUCT_CASES.find((c) => c.product === 'fortiflex');
    if (!product) throw new Error('no FortiFlex case');
    await measure(env, product, 'provision', 'writes-refresh');
    const secretName = credentialSecretName(product.target, 'writes-refresh');
    const started = (await env.scheduler.fire(ROTATION_SCHEDULE_GROUP, rotationScheduleName(secretName))) as {
      executionArn: string;
    };
    log.length = 0;
    // Act
    const done = await executionEnd(env, started.executionArn);
    // Assess
    expect(done.status, causeMessage(done.cause)).toBe('SUCCEEDED');
    expect(log).toEqual([`PutSecretValue ${(await env.store.describe(secretName))?.arn}`]);
  });

  it('covers every product', () => {
    expect(PRODUCT_CASES.map((c) => c.product).sort()).toEqual(PRODUCTS.map((p) => p.name).sort());
  });
});
