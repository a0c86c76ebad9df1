/**
 * What a handler's cold start compiles: index.mjs and the chunks it imports statically, read from
 * esbuild's metafile of the bundle as the stack builds it (lib/bundling.ts). Product adapters (with
 * the HTTPS client they share) and ssh2 are imported by the call that needs them, so none of them
 * is in what init loads; no timing here, bench/run.ts measures the cold starts.
 */
import { describe, expect, it } from 'vitest';
import { bundleHandlers } from '../../bench/bundles.ts';

const LOADED_ON_DEMAND = /\/products\/[a-z-]+\/adapter\.ts$|\/core\/http\.ts$|node_modules\/ssh2\//;

describe('handler init', () => {
  // A step that calls a product, the one that issues FortiManager keys over SSH, and one that reconciles every product.
  it.each(['verify-credential', 'issue-key-and-store', 'reconcile-target'])(
    '%s compiles no product adapter, HTTPS client or ssh2 at init, and holds them for the call',
    async (handler) => {
      // Act
      const bundle = (await bundleHandlers([handler], 'unused', { write: false })).get(handler);
      // Assess
      expect(bundle?.initSources.filter((source) => LOADED_ON_DEMAND.test(source))).toEqual([]);
      expect(bundle?.bytes).toBeGreaterThan(bundle?.initBytes ?? Number.POSITIVE_INFINITY);
    },
  );

  it('keeps ssh2 in the bundle of the step that issues FortiManager keys, for its first SSH call', async () => {
    // Act
    const bundle = (await bundleHandlers(['issue-key-and-store'], 'unused', { write: false })).get(
      'issue-key-and-store',
    );
    // Assess: esbuild's metafile lists every input of every chunk; ssh2 is there, outside init.
    expect(bundle?.bytes).toBeGreaterThan((bundle?.initBytes ?? 0) + 200_000);
  });
});
