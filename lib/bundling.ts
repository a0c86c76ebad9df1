import { Runtime } from 'aws-cdk-lib/aws-lambda';

/** The runtime every handler deploys to (test/infra/handler-bundles.test.ts runs the bundles on it). */
export const HANDLER_RUNTIME = Runtime.NODEJS_22_X;

/**
 * How every handler is bundled (esbuild through NodejsFunction), in one place so the benchmark
 * measures exactly what is deployed.
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
