import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parseProvisionRequest } from '#core/requests.ts';
import { jsonSchemaText, PUBLISHED_SCHEMAS } from '../../scripts/write-schemas.ts';

describe('published JSON Schemas', () => {
  it.each(Object.keys(PUBLISHED_SCHEMAS) as (keyof typeof PUBLISHED_SCHEMAS)[])(
    'schemas/%s.schema.json is what the zod schema generates (run `npm run schemas`)',
    async (name) => {
      // Act
      const committed = await readFile(new URL(`../../schemas/${name}.schema.json`, import.meta.url), 'utf8');
      // Assess
      expect(committed).toBe(jsonSchemaText(name));
    },
  );

  it('the README example request is valid', async () => {
    // Prepare
    const example = JSON.parse(
      await readFile(new URL('../../examples/provision-request.json', import.meta.url), 'utf8'),
    ) as unknown;
    // Act
    const request = parseProvisionRequest(example);
    // Assess
    expect(request.trustedHosts).toEqual(['10.20.100.99/32']);
  });
});
