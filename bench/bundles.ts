/**
 * Per handler: the bundle as deployed (esbuild with the stack's own settings, minified, without its
 * source map) and its cold-start cost, the median time to initialize the module over fresh
 * processes.
 */
import { execFile } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { HANDLER_BUNDLING } from '#lib/bundling.ts';

const run = promisify(execFile);

export interface HandlerFigures {
  readonly handler: string;
  readonly bytes: number;
  readonly coldStartMs: number;
}

export async function handlerIds(): Promise<string[]> {
  const files = await readdir('lambdas/handlers');
  return files
    .filter((f) => f.endsWith('.ts') && f !== 'runtime.ts')
    .map((f) => f.slice(0, -3))
    .sort();
}

export async function bundleHandler(handler: string, outDir: string): Promise<string> {
  const outfile = join(outDir, handler, 'index.mjs');
  await build({
    entryPoints: [`lambdas/handlers/${handler}.ts`],
    outfile,
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'node',
    target: HANDLER_BUNDLING.target,
    mainFields: [...HANDLER_BUNDLING.mainFields],
    external: [...HANDLER_BUNDLING.externalModules, ...HANDLER_BUNDLING.externalPatterns],
    banner: { js: HANDLER_BUNDLING.banner },
    logLevel: 'silent',
  });
  return outfile;
}

/** Module initialization in a fresh Node process: import time of the bundle, as Lambda's init phase runs it. */
async function initMs(bundle: string): Promise<number> {
  const script = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(bundle).href)}); process.stdout.write(String(performance.now() - t));`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    env: { PATH: process.env.PATH, POWERTOOLS_SERVICE_NAME: 'bench', AWS_REGION: 'us-east-1' },
  });
  return Number(stdout);
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

export async function measureHandler(
  handler: string,
  outDir: string,
  coldStarts: number,
): Promise<HandlerFigures> {
  const bundle = await bundleHandler(handler, outDir);
  const samples: number[] = [];
  for (let i = 0; i < coldStarts; i++) samples.push(await initMs(bundle));
  return { handler, bytes: (await stat(bundle)).size, coldStartMs: median(samples) };
}
