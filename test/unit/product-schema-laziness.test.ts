/**
 * What a handler's module init builds of the products' schemas: none. Each product's target schema
 * (products/<product>/target.ts, with the policy rules it takes) is built on its first parse, and a
 * stored target is parsed with its own product's schema, so a call builds that one only. Observed
 * through zod's post-processor hook, which sees every schema zod constructs (each target schema
 * holds the literal of its vendor), and likewise the operator answer's; its own file, so that nothing of the project is loaded before
 * the hook is set. bench/cold-starts.ts measures what it saves.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';

const VENDORS = ['fortios', 'fortimanager', 'fortiflex', 'forticnapp', 'autorabit', 'fortigate-fleet'];
const builtLiterals: unknown[] = [];

beforeAll(() => {
  z.config({
    postProcessor: (schema: z.core.$ZodType) => {
      const def = schema._zod.def;
      if (def.type === 'literal')
        builtLiterals.push(...(def as z.core.$ZodLiteralDef<z.core.util.Literal>).values);
    },
  });
});

const productsBuilt = () => VENDORS.filter((vendor) => builtLiterals.includes(vendor));

describe('product schemas', () => {
  it("builds no product's target schema, nor the operator answer's, when a handler loads", async () => {
    // Act
    await import('#handlers/verify-credential.ts');
    // Assess: `acknowledgement` is a kind of operator answer only (operator-tasks.ts), which only AcceptOperatorAnswer parses.
    expect(productsBuilt()).toEqual([]);
    expect(builtLiterals).not.toContain('acknowledgement');
  });

  it("parses a target with its own product's schema, building that one only", async () => {
    // Arrange
    const { parseTargetDefinition } = await import('#core/requests.ts');
    // Act
    const target = parseTargetDefinition(
      {
        vendor: 'forticnapp',
        baseUrl: 'https://example.lacework.net/',
        policy: { serviceUsers: ['svc'] },
      },
      'target',
    );
    // Assess
    expect(target).toMatchObject({ vendor: 'forticnapp', tokenExpirySeconds: 3600 });
    expect(productsBuilt()).toEqual(['forticnapp']);
  });
});
