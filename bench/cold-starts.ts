/**
 * The cold-start part of the benchmark alone (part 4 of bench/run.ts, same method), for the handlers
 * named, or all: each handler's module init against its baseline, and with `--before <checkout>`
 * the same handler bundled from another checkout of the project (its own node_modules) in the
 * same turns, for a before/after comparison in one run.
 *
 *   npm run bench:cold-starts -- [--cold-starts 20] [--before <dir>] [handler ...]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { renderTable } from '#cli/table.ts';
import { COLD_START_RATIO_TARGET, handlerIds, measureColdStarts } from './bundles.ts';

const { values, positionals } = parseArgs({
  options: { 'cold-starts': { type: 'string', default: '20' }, before: { type: 'string' } },
  allowPositionals: true,
});
const coldStarts = Number(values['cold-starts']);
const known = await handlerIds();
const unknown = positionals.filter((id) => !known.includes(id));
if (!Number.isInteger(coldStarts) || coldStarts < 1 || coldStarts > 200 || unknown.length > 0) {
  process.stderr.write(
    unknown.length > 0
      ? `no such handler: ${unknown.join(', ')} (lambdas/handlers/<id>.ts)\n`
      : '--cold-starts must be an integer from 1 to 200\n',
  );
  process.exit(2);
}
const ids = positionals.length > 0 ? positionals : known;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;
const workDir = await mkdtemp(join('bench', '.cold-starts-'));
try {
  const measured = await measureColdStarts(ids, workDir, coldStarts, { before: values.before });
  const rows = measured.map(({ handler, bundle, baseline, ms, baselineMs, before }) => [
    handler,
    `${kb(bundle.initBytes)} of ${kb(bundle.bytes)}`,
    `${ms.toFixed(1)} ms`,
    `${baselineMs.toFixed(1)} ms (${kb(baseline.initBytes)})`,
    `${(ms / baselineMs).toFixed(2)}×`,
    ...(before
      ? [
          `${(before.ms / baselineMs).toFixed(2)}× (${before.ms.toFixed(1)} ms, ${kb(before.bundle.initBytes)})`,
        ]
      : []),
  ]);
  process.stdout.write(
    `${renderTable(
      [
        'handler',
        'loaded at init',
        'cold start',
        'baseline',
        `ratio (target ≤ ${COLD_START_RATIO_TARGET})`,
        ...(values.before ? ['before'] : []),
      ],
      rows,
    )}\n`,
  );
  const within = measured.filter(({ ms, baselineMs }) => ms / baselineMs <= COLD_START_RATIO_TARGET).length;
  process.stdout.write(
    `median module init over ${coldStarts} fresh processes each, in turns; within ${COLD_START_RATIO_TARGET}×: ${within} of ${ids.length}\n`,
  );
} finally {
  await rm(workDir, { recursive: true, force: true });
}
