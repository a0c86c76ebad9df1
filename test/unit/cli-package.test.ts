/**
 * The `provisioner` CLI as a package ships it: nothing of the local runtime but its endpoints file.
 */
import { readdir, readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);

/** Every module specifier a TypeScript file imports or re-exports (static and dynamic). */
function specifiersOf(source: string): string[] {
  const found = source.matchAll(/(?:\bfrom\s+|\bimport\s*\(?\s*)['"]([^'"]+)['"]/g);
  return [...found].map((m) => m[1] ?? '');
}

describe('provisioner CLI package', () => {
  it('cli/ imports nothing from local/ except the documented --local endpoints file', async () => {
    // Prepare
    const files = (await readdir(new URL('cli/', root))).filter((f) => f.endsWith('.ts'));
    // Act
    const imports = await Promise.all(
      files.map(async (f) =>
        specifiersOf(await readFile(new URL(`cli/${f}`, root), 'utf8')).map((s) => `${f}: ${s}`),
      ),
    );
    // Assess
    const all = imports.flat();
    expect(all.some((i) => i.endsWith(': @aws-sdk/client-sfn'))).toBe(true);
    const fromLocal = all.filter((i) => /: (#local\/|(\.\.\/)+local\/)/.test(i));
    expect(fromLocal).toEqual(['provisioner.ts: #local/endpoints.ts']);
  });
});
