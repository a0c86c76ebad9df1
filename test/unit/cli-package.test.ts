/**
 * The `provisioner` CLI as the package ships it: an executable bin that runs the TypeScript CLI,
 * and nothing of the local runtime but its endpoints file.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);

/** Every module specifier a TypeScript file imports or re-exports (static and dynamic). */
function specifiersOf(source: string): string[] {
  const found = source.matchAll(/(?:\bfrom\s+|\bimport\s*\(?\s*)['"]([^'"]+)['"]/g);
  return [...found].map((m) => m[1] ?? '');
}

describe('provisioner CLI package', () => {
  it('the package.json bin runs as a program (shebang, tsx loader) and lists the commands', async () => {
    // Prepare
    const manifest = JSON.parse(await readFile(new URL('package.json', root), 'utf8')) as {
      bin: Record<string, string>;
    };
    const bin = fileURLToPath(new URL(manifest.bin.provisioner ?? '', root));
    // Act: executed directly, as node_modules/.bin and npx do, from another directory.
    const { stdout } = await promisify(execFile)(bin, ['--help'], {
      cwd: fileURLToPath(new URL('test/', root)),
    });
    // Assess
    expect(stdout).toMatch(/^Usage: provisioner /);
    for (const command of ['target', 'start', 'revoke', 'rotate', 'status', 'list', 'tasks', 'submit', 'ack'])
      expect(stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
  });

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
