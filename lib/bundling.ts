import { Runtime } from 'aws-cdk-lib/aws-lambda';
import type { BuildOptions } from 'esbuild';

/** The runtime every handler deploys to (test/infra/handler-bundles.test.ts runs the bundles on it). */
export const HANDLER_RUNTIME = Runtime.NODEJS_22_X;

/**
 * How every handler is bundled, in one place so the benchmark measures exactly what is deployed.
 */
export const HANDLER_BUNDLING = {
  target: 'node22',
  mainFields: ['module', 'main'],
  // The SDK is bundled (+~340 KB) so Lambda runs the SDK version the tests ran, not the runtime's.
  // ssh2's native speed-ups are optional (it falls back to JS when their require fails): keep them out.
  externalModules: ['cpu-features'],
  externalPatterns: ['*.node'],
  // CommonJS dependencies bundled into ESM still call require() and read __dirname (ssh2 does at
  // load time: without these the module fails to initialize); give them both.
  banner: [
    "import { createRequire as __createRequire } from 'node:module';",
    "import { dirname as __pathDirname } from 'node:path';",
    "import { fileURLToPath as __fileURLToPath } from 'node:url';",
    'const require = __createRequire(import.meta.url);',
    'const __filename = __fileURLToPath(import.meta.url);',
    'const __dirname = __pathDirname(__filename);',
  ].join(' '),
} as const;

/**
 * esbuild's options for one handler: `<outdir>/index.mjs` and its chunks. Code splitting puts what a
 * call loads with `import()` (a product's adapter, ssh2, the SDK's rarer credential providers) in
 * chunks of their own: without it esbuild keeps them in index.mjs, evaluated lazily but still
 * compiled by Node at init, which is most of a cold start (bench/bundles.ts measures it).
 */
export function handlerBuildOptions(
  entry: string,
  outdir: string,
  options: { sourcemap?: boolean } = {},
): BuildOptions & { metafile: true } {
  return {
    entryPoints: { index: entry },
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    minify: true,
    sourcemap: options.sourcemap ?? false,
    format: 'esm',
    platform: 'node',
    target: HANDLER_BUNDLING.target,
    mainFields: [...HANDLER_BUNDLING.mainFields],
    external: [...HANDLER_BUNDLING.externalModules, ...HANDLER_BUNDLING.externalPatterns],
    banner: { js: HANDLER_BUNDLING.banner },
    metafile: true,
    logLevel: 'silent',
  };
}
