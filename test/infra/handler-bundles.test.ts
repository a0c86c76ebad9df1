/**
 * The handlers as deployed: bundled with the stack's own esbuild settings, each must load in a
 * fresh Node process (ESM, no TypeScript, no node_modules beside it), as Lambda's init phase does.
 * The local runtime runs the sources, so only this catches a bundle that cannot initialize.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleHandler } from '../../bench/bundles.ts';

const run = promisify(execFile);
let outDir: string;

describe('handler bundles', () => {
  beforeAll(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'provisioner-bundles-'));
  });

  afterAll(async () => {
    await rm(outDir, { recursive: true, force: true });
  });

  // One handler that reaches ssh2 (FortiManager key generation) and the webhook endpoint.
  it.each(['issue-key-and-store', 'ticket-intake'])(
    '%s loads from its bundle alone and exports a handler',
    async (handler) => {
      // Prepare
      const bundle = await bundleHandler(handler, outDir);
      const script = `const m = await import(${JSON.stringify(pathToFileURL(bundle).href)}); process.stdout.write(typeof m.handler);`;
      // Act
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
        cwd: outDir,
        env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1' },
      });
      // Assess
      expect(stdout).toBe('function');
    },
    60_000,
  );
});
