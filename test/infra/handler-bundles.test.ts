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
import { lambdaNode } from '../../scripts/lambda-node.ts';

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
      const bundle = (await bundleHandlers([handler], outDir)).get(handler)?.path ?? '';
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

  it('each bundle loads and answers an empty event on the Node of the runtime it deploys to', async (context) => {
    // Prepare: .ci/run installs this Node first, so CI never skips; elsewhere it is installed here once.
    const node = await lambdaNode();
    if ('unavailable' in node) return context.skip(node.unavailable);
    const ids = await handlerIds();
    const bundles = await bundleHandlers(ids, outDir);
    // Lambda's context object, as the Powertools middleware reads it. Middy ends a handler early by
    // the time left: the functions' deployed 30 s, so a loaded machine's slow first call is not cut
    // at 5 s into a TimeoutError (seen once in CI, list-targets).
    const invoke = `const context = { functionName: 'probe', functionVersion: '$LATEST', memoryLimitInMB: '256',
        invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:probe', awsRequestId: 'probe',
        getRemainingTimeInMillis: () => 30000 };
      const { handler } = await import(process.argv[1]);
      try { process.stdout.write(JSON.stringify({ returned: await handler({}, context) })); }
      catch (error) { process.stdout.write(JSON.stringify({ threw: error.name })); }`;
    // Act: a fresh process per bundle, as each function's init phase; AWS calls meet a closed port.
    const answers: Record<string, unknown> = {};
    for (const id of ids) {
      const { stdout } = await run(
        node.path,
        ['--input-type=module', '-e', invoke, pathToFileURL(bundles.get(id)?.path ?? '').href],
        {
          cwd: outDir,
          env: {
            AWS_REGION: 'us-east-1',
            AWS_ACCESS_KEY_ID: 'probe',
            AWS_SECRET_ACCESS_KEY: 'probe',
            AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
            AWS_MAX_ATTEMPTS: '1',
            POWERTOOLS_LOG_LEVEL: 'SILENT',
          },
        },
      );
      answers[id] = JSON.parse(stdout);
    }
    // Assess: every answer is the handler's own (a returned response or one of the domain's errors), not a crash.
    const answered = (answer: unknown) =>
      !!answer &&
      typeof answer === 'object' &&
      ('returned' in answer ||
        ['ValidationError', 'FatalError', 'RetryableError'].includes(
          String((answer as { threw?: unknown }).threw),
        ));
    expect(Object.entries(answers).filter(([, answer]) => !answered(answer))).toEqual([]);
    expect(Object.keys(answers)).toEqual(ids);
  }, 600_000);

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
      )?.path ?? '';
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
