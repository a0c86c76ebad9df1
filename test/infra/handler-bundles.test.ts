/**
 * The handlers as deployed: bundled with the stack's own esbuild settings, each must load in a
 * fresh Node process (ESM, no TypeScript, no node_modules beside it), as Lambda's init phase does.
 * The local runtime runs the sources, so only this catches a bundle that cannot initialize.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleHandlers, bundleModules, handlerIds, localSourcesInBundles } from '../../bench/bundles.ts';

const run = promisify(execFile);
let outDir: string;

describe('handler bundles', () => {
  beforeAll(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'provisioner-bundles-'));
  });

  afterAll(async () => {
    await rm(outDir, { recursive: true, force: true });
  });

  // One handler that can issue FortiManager keys, and the webhook endpoint.
  it.each(['issue-key-and-store', 'ticket-intake'])(
    '%s loads from its bundle alone and exports a handler',
    async (handler) => {
      // Prepare
      const bundle = (await bundleHandlers([handler], outDir)).get(handler) ?? '';
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

  it('holds no simulator, local, bench or test source, though simulators sit beside their adapters', async () => {
    // Act
    const found = await localSourcesInBundles(await handlerIds());
    // Assess
    expect(found).toEqual([]);
  }, 60_000);

  it('loads ssh2 from a bundle when FortiManager key issuing first speaks SSH', async () => {
    // Prepare: ssh2 is imported on first use; the adapter's connection error proves it loaded and ran.
    const bundle =
      (await bundleModules({ fortimanager: 'lambdas/core/products/fortimanager/adapter.ts' }, outDir)).get(
        'fortimanager',
      ) ?? '';
    const closed = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as AddressInfo;
        server.close(() => resolve(port));
      });
    });
    const ssh = {
      port: closed,
      username: 'admin',
      password: 'not-used',
      hostKeySha256: `SHA256:${'A'.repeat(43)}`,
    };
    const script = `const m = await import(${JSON.stringify(pathToFileURL(bundle).href)});
      try { await m.runSshCommand('127.0.0.1', ${JSON.stringify(ssh)}, 'get system status', 5000); }
      catch (e) { process.stdout.write(e.message); }`;
    // Act
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      cwd: outDir,
      env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1' },
    });
    // Assess
    expect(stdout).toBe('ssh connection to 127.0.0.1 failed');
  }, 60_000);
});
