/**
 * Publishes the JSON Schema of every public input from its zod schema (the single source of
 * truth), for console users and editors. `test/unit/schemas.test.ts` keeps the files in sync.
 */
import { writeFile } from 'node:fs/promises';
import * as z from 'zod';
import { ProvisionRequest, TargetDefinition } from '#core/requests.ts';
import { ReconcileRequest } from '#core/workflows/reconcile.ts';

export const PUBLISHED_SCHEMAS = {
  'provision-request': {
    title: 'credential-provisioner provision request (console / CLI input)',
    schema: ProvisionRequest,
  },
  'target-definition': {
    title: 'credential-provisioner target definition (provisioner/targets/<name>)',
    schema: TargetDefinition,
  },
  'reconcile-request': {
    title: 'credential-provisioner reconcile workflow input (console / CLI; `"dryRun": true` for a plan)',
    schema: ReconcileRequest,
  },
} as const;

export function jsonSchemaText(name: keyof typeof PUBLISHED_SCHEMAS): string {
  const { title, schema } = PUBLISHED_SCHEMAS[name];
  // Inputs are described as a person writes them (before transforms); refinements are checked at run time.
  const generated = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  return `${JSON.stringify({ $id: `${name}.schema.json`, title, ...generated }, null, 2)}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const name of Object.keys(PUBLISHED_SCHEMAS) as (keyof typeof PUBLISHED_SCHEMAS)[]) {
    await writeFile(new URL(`../schemas/${name}.schema.json`, import.meta.url), jsonSchemaText(name));
    process.stdout.write(`schemas/${name}.schema.json\n`);
  }
}
