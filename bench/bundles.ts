/**
 * Per handler: the bundle as deployed (esbuild with the stack's own settings, minified, without its
 * source map) and its cold-start cost, the median time to initialize the module over fresh
 * processes.
 */
import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { HANDLER_BUNDLING } from '#lib/bundling.ts';

const run = promisify(execFile);

/** What Lambda's nodejs22.x runtime provides; marked external to measure the SDK taken from the runtime. */
const RUNTIME_SDK = ['@aws-sdk/*', '@smithy/*'];

export async function handlerIds(): Promise<string[]> {
  const files = await readdir('lambdas/handlers');
  return files
    .filter((f) => f.endsWith('.ts') && f !== 'runtime.ts')
    .map((f) => f.slice(0, -3))
    .sort();
}

/**
 * Bundles modules as the stack bundles its handlers, in one esbuild run: `entries` maps a name to
 * its source file; returns name -> bundle path (`<outDir>/<name>/index.mjs`). With
 * `sdkFromRuntime` the AWS SDK stays out of the bundle, as if taken from the Lambda runtime: the
 * bundle must then sit where node_modules resolves.
 */
export async function bundleModules(
  entries: Readonly<Record<string, string>>,
  outDir: string,
  options: { sdkFromRuntime?: boolean } = {},
): Promise<Map<string, string>> {
  await build({
    entryPoints: Object.fromEntries(Object.entries(entries).map(([name, file]) => [`${name}/index`, file])),
    outdir: outDir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'node',
    target: HANDLER_BUNDLING.target,
    mainFields: [...HANDLER_BUNDLING.mainFields],
    external: [
      ...HANDLER_BUNDLING.externalModules,
      ...HANDLER_BUNDLING.externalPatterns,
      ...(options.sdkFromRuntime ? RUNTIME_SDK : []),
    ],
    banner: { js: HANDLER_BUNDLING.banner },
    logLevel: 'silent',
  });
  return new Map(Object.keys(entries).map((name) => [name, join(outDir, name, 'index.mjs')]));
}

/**
 * The source files the handlers' bundles hold that only the embedded default needs (simulators,
 * their registrations, local/, bench/, tests): a product's simulator sits beside its adapter, and
 * esbuild must leave it out of every bundle because no handler imports it.
 */
export async function localSourcesInBundles(ids: readonly string[]): Promise<string[]> {
  const { metafile } = await build({
    entryPoints: ids.map((id) => `lambdas/handlers/${id}.ts`),
    outdir: 'unused',
    write: false,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: HANDLER_BUNDLING.target,
    mainFields: [...HANDLER_BUNDLING.mainFields],
    external: [...HANDLER_BUNDLING.externalModules, ...HANDLER_BUNDLING.externalPatterns],
    metafile: true,
    logLevel: 'silent',
  });
  return Object.keys(metafile.inputs).filter((source) =>
    /(^|\/)(local|bench|test)\/|\/simulat(or|ed)\.ts$|\.test\.ts$/.test(source),
  );
}

/** Bundles handlers by id (`lambdas/handlers/<id>.ts`). */
export function bundleHandlers(
  ids: readonly string[],
  outDir: string,
  options: { sdkFromRuntime?: boolean } = {},
): Promise<Map<string, string>> {
  return bundleModules(
    Object.fromEntries(ids.map((id) => [id, `lambdas/handlers/${id}.ts`])),
    outDir,
    options,
  );
}

/** Module initialization in a fresh Node process: import time of the bundle, as Lambda's init phase runs it. */
async function initMs(bundle: string): Promise<number> {
  const script = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(bundle).href)}); process.stdout.write(String(performance.now() - t));`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    env: { PATH: process.env.PATH, POWERTOOLS_SERVICE_NAME: 'bench', AWS_REGION: 'us-east-1' },
  });
  return Number(stdout);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** Median module initialization of a bundle over `coldStarts` fresh processes, one after another. */
export async function coldStartMs(bundle: string, coldStarts: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < coldStarts; i++) samples.push(await initMs(bundle));
  return median(samples);
}
