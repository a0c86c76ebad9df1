/**
 * Per handler: the bundle as deployed (lib/bundling.ts, without its source map), what of it Node
 * compiles at init, and its cold start, the median time to initialize the module over fresh
 * processes, against a baseline handler that imports only the same SDK clients and the Powertools
 * logger.
 */
import { execFile } from 'node:child_process';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build, type Metafile } from 'esbuild';
import { HANDLER_BUNDLING, handlerBuildOptions } from '#lib/bundling.ts';

const run = promisify(execFile);

/** A handler's module init may take at most this multiple of its baseline's. */
export const COLD_START_RATIO_TARGET = 1.25;

/** What Lambda's nodejs22.x runtime provides; marked external to measure the SDK taken from the runtime. */
const RUNTIME_SDK = ['@aws-sdk/*', '@smithy/*'];

export async function handlerIds(): Promise<string[]> {
  const files = await readdir('lambdas/handlers');
  return files
    .filter((f) => f.endsWith('.ts') && f !== 'runtime.ts')
    .map((f) => f.slice(0, -3))
    .sort();
}

export interface Bundle {
  /** `<dir>/index.mjs`, the module Lambda imports. */
  readonly path: string;
  /** Every file of the function's code: index.mjs and all its chunks. */
  readonly bytes: number;
  /** index.mjs and the chunks it imports statically: what Node reads and compiles at init. */
  readonly initBytes: number;
  /** The source files (project sources and node_modules paths) of those files. */
  readonly initSources: readonly string[];
  /** The @aws-sdk/client-* packages anywhere in the bundle. */
  readonly sdkClients: readonly string[];
}

/** What init loads: the entry and, transitively, the chunks it imports with `import` statements. */
function describe(metafile: Metafile, outdir: string): Bundle {
  const key = (file: string) => relative(process.cwd(), file);
  const entry = key(join(outdir, 'index.mjs'));
  const atInit = new Set<string>();
  const visit = (output: string) => {
    if (atInit.has(output)) return;
    atInit.add(output);
    for (const imported of metafile.outputs[output]?.imports ?? []) {
      if (imported.kind === 'import-statement' && !imported.external) visit(imported.path);
    }
  };
  visit(entry);
  const outputs = Object.entries(metafile.outputs).filter(([file]) => !file.endsWith('.map'));
  const initOutputs = outputs.filter(([file]) => atInit.has(file));
  const clients = new Set<string>();
  for (const [, output] of outputs) {
    for (const source of Object.keys(output.inputs)) {
      const client = /node_modules\/(@aws-sdk\/client-[a-z0-9-]+)\//.exec(source)?.[1];
      if (client) clients.add(client);
    }
  }
  return {
    path: resolve(join(outdir, 'index.mjs')),
    bytes: outputs.reduce((sum, [, output]) => sum + output.bytes, 0),
    initBytes: initOutputs.reduce((sum, [, output]) => sum + output.bytes, 0),
    initSources: [...new Set(initOutputs.flatMap(([, output]) => Object.keys(output.inputs)))].sort(),
    sdkClients: [...clients].sort(),
  };
}

/**
 * Bundles modules as the stack bundles its handlers, each in its own esbuild run as each function
 * is: `entries` maps a name to its source file; the bundle is `<outDir>/<name>/index.mjs` and its
 * chunks. With `sdkFromRuntime` the AWS SDK stays out of the bundle, as if taken from the Lambda
 * runtime: the bundle must then sit where node_modules resolves. `write: false` only describes.
 */
export async function bundleModules(
  entries: Readonly<Record<string, string>>,
  outDir: string,
  options: { sdkFromRuntime?: boolean; write?: boolean } = {},
): Promise<Map<string, Bundle>> {
  const bundles = new Map<string, Bundle>();
  for (const [name, file] of Object.entries(entries)) {
    const outdir = join(outDir, name);
    const settings = handlerBuildOptions(file, outdir);
    const { metafile } = await build({
      ...settings,
      write: options.write ?? true,
      external: [...(settings.external ?? []), ...(options.sdkFromRuntime ? RUNTIME_SDK : [])],
    });
    bundles.set(name, describe(metafile, outdir));
  }
  return bundles;
}

/**
 * Bundles handlers by id (`<root>/lambdas/handlers/<id>.ts`; `root` another checkout of the
 * project, with its node_modules, to bundle its handlers as they were).
 */
export function bundleHandlers(
  ids: readonly string[],
  outDir: string,
  options: { sdkFromRuntime?: boolean; write?: boolean; root?: string } = {},
): Promise<Map<string, Bundle>> {
  return bundleModules(
    Object.fromEntries(ids.map((id) => [id, join(options.root ?? '.', 'lambdas/handlers', `${id}.ts`)])),
    outDir,
    options,
  );
}

/**
 * The baseline of a handler: a module importing exactly the SDK clients its bundle holds and the
 * Powertools logger, building the logger at module scope as lambdas/handlers/runtime.ts does (the
 * handlers build their clients on the first call, so neither builds a client at init), with a
 * handler that does nothing. `dir` must sit where node_modules resolves.
 */
async function bundleBaseline(name: string, sdkClients: readonly string[], dir: string): Promise<Bundle> {
  const imports = await Promise.all(
    sdkClients.map(async (pkg) => {
      const exported = Object.keys(await import(pkg)).find((k) => /^[A-Za-z0-9]+Client$/.test(k));
      if (!exported) throw new Error(`${pkg} exports no client class`);
      return { pkg, exported };
    }),
  );
  const source = [
    "import { Logger } from '@aws-lambda-powertools/logger';",
    ...imports.map(({ pkg, exported }) => `import { ${exported} } from '${pkg}';`),
    "const logger = new Logger({ serviceName: 'baseline' });",
    `const clients = [${imports.map(({ exported }) => exported).join(', ')}];`,
    "export const handler = async () => { logger.info('baseline'); return clients.length; };",
  ].join('\n');
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${name}.baseline.mjs`);
  await writeFile(file, `${source}\n`);
  const bundle = (await bundleModules({ [name]: file }, join(dir, 'out'))).get(name);
  if (!bundle) throw new Error(`no baseline bundle for ${name}`);
  return bundle;
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

/** One handler's cold start against its baseline (and, when asked, the same handler of another checkout). */
export interface ColdStart {
  readonly handler: string;
  readonly bundle: Bundle;
  readonly baseline: Bundle;
  readonly ms: number;
  readonly baselineMs: number;
  /** The handler bundled from the `before` checkout, measured in the same turns. */
  readonly before?: { readonly bundle: Bundle; readonly ms: number };
}

/**
 * Each handler's bundle and its baseline (with the `before` checkout's bundle of it, if given),
 * their module initialization measured in turns over `coldStarts` fresh processes each. `workDir`
 * must sit in the project, where node_modules resolves.
 */
export async function measureColdStarts(
  ids: readonly string[],
  workDir: string,
  coldStarts: number,
  options: { before?: string } = {},
): Promise<ColdStart[]> {
  const bundles = await bundleHandlers(ids, join(workDir, 'handlers'));
  const before = options.before
    ? await bundleHandlers(ids, join(workDir, 'before'), { root: options.before })
    : undefined;
  const measured: ColdStart[] = [];
  for (const handler of ids) {
    const bundle = bundles.get(handler);
    if (!bundle) throw new Error(`no bundle for ${handler}`);
    const baseline = await bundleBaseline(handler, bundle.sdkClients, join(workDir, 'baselines'));
    const earlier = before?.get(handler);
    const [ms = 0, baselineMs = 0, beforeMs = 0] = await coldStartMs(
      [bundle.path, baseline.path, ...(earlier ? [earlier.path] : [])],
      coldStarts,
    );
    measured.push({
      handler,
      bundle,
      baseline,
      ms,
      baselineMs,
      ...(earlier ? { before: { bundle: earlier, ms: beforeMs } } : {}),
    });
  }
  return measured;
}

/**
 * Median module initialization of each bundle over `coldStarts` fresh processes each, interleaved
 * (A, B, A, B...) so that the machine's load at any moment weighs on every bundle alike.
 */
export async function coldStartMs(bundles: readonly string[], coldStarts: number): Promise<number[]> {
  const samples = bundles.map((): number[] => []);
  for (let i = 0; i < coldStarts; i++) {
    for (const [index, bundle] of bundles.entries()) samples[index]?.push(await initMs(bundle));
  }
  return samples.map(median);
}
