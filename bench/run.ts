/**
 * `npm run bench`: the benchmark figures (docs/benchmark.md) on the embedded default, printed as a table and written
 * to bench-results.json (figure name -> number, plus the run's parameters).
 *
 *   npm run bench -- [--credentials 100] [--cold-starts 20] [--skip-bundles]
 *     [--product-latency-ms 50] [--aws-latency-ms 20] [--lambda-start-ms <n>] [--operator-answer-ms 5000]
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { renderTable } from '#cli/table.ts';
import type { VendorName } from '#core/products/index.ts';
import { startLocalEnvironment } from '#local/environment.ts';
import { collectIssuedMaterial, type IssuedMaterial, scanForMaterial } from '#local/leak-scan.ts';
import { captureLambdaLogs } from '#local/log-capture.ts';
import { type BulkPhase, PRODUCT_CONCURRENCY_LIMIT, runBulk, WRITE_QUOTA_PER_SECOND } from './bulk.ts';
import {
  bundleHandlers,
  COLD_START_RATIO_TARGET,
  coldStartMs,
  handlerIds,
  localSourcesInBundles,
  measureColdStarts,
} from './bundles.ts';
import { mixPerThousand, perNativeRotation, perRotation, total } from './cost.ts';
import { MAX_SECRETS_WRITES, MINIMUM_VENDOR_CALLS } from './minimums.ts';
import * as offboarding from './offboarding.ts';
import {
  measure,
  type Operation,
  type OperationCounts,
  PRODUCT_CASES,
  registerBenchTargets,
} from './operations.ts';

/** This system's monthly cost may be at most this multiple of Secrets Manager's own rotation's. */
const COST_RATIO_TARGET = 1;
/** Bulk elapsed time may be at most this multiple of the floor the write quota sets. */
const BULK_FLOOR_FACTOR = 1.25;
const printed: string[] = [];
const say = (line = '') => {
  printed.push(line);
  process.stdout.write(`${line}\n`);
};

/** Every file under a folder (cdk.out), as text; absent folders give nothing. */
async function filesUnder(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true }).catch(() => []);
  return Promise.all(
    entries.filter((e) => e.isFile()).map((e) => readFile(join(e.parentPath, e.name), 'utf8')),
  );
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      credentials: { type: 'string', default: '100' },
      'cold-starts': { type: 'string', default: '20' },
      'skip-bundles': { type: 'boolean', default: false },
      'product-latency-ms': { type: 'string' },
      'aws-latency-ms': { type: 'string' },
      'lambda-start-ms': { type: 'string' },
      'operator-answer-ms': { type: 'string' },
    },
  });
  let latencyFlags: Record<string, number | undefined>;
  try {
    latencyFlags = Object.fromEntries(
      ['product-latency-ms', 'aws-latency-ms', 'lambda-start-ms', 'operator-answer-ms'].map((name) => {
        const value = values[name as keyof typeof values] as string | undefined;
        return [name, value === undefined ? undefined : offboarding.latencyFlag(name, value)];
      }),
    );
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  const coldStarts = Number(values['cold-starts']);
  if (!Number.isInteger(coldStarts) || coldStarts < 1 || coldStarts > 200) {
    process.stderr.write('--cold-starts must be an integer from 1 to 200\n');
    return 2;
  }
  const credentials = Number(values.credentials);
  if (!Number.isInteger(credentials) || credentials < 5 || credentials > 5000) {
    process.stderr.write('--credentials must be an integer from 5 to 5000\n');
    return 2;
  }
  const figures: Record<string, number> = {};
  const parameters = {
    credentials,
    coldStarts,
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    measuredAt: new Date().toISOString(),
  };
  say(
    `credential-provisioner benchmark (${parameters.cpus} × ${parameters.cpuModel}, Node ${parameters.node})`,
  );
  say();

  // 1. Per operation and product.
  const logs = captureLambdaLogs();
  const env = await startLocalEnvironment({ waitOverrideMs: 0, retryOverrideMs: 0 });
  const counts = new Map<string, OperationCounts>();
  let bulk: { rotate: BulkPhase; revoke: BulkPhase } | undefined;
  let material: IssuedMaterial = { secrets: [], taskTokens: [] };
  let runSources: Record<string, readonly string[]> = {};
  try {
    await registerBenchTargets(env);
    for (const product of PRODUCT_CASES) {
      for (const operation of ['provision', 'rotate', 'revoke'] as Operation[]) {
        counts.set(`${product.product}.${operation}`, await measure(env, product, operation, 'bench-api'));
      }
    }
    bulk = await runBulk(env, credentials);
    material = collectIssuedMaterial(env);
    runSources = {
      histories: env.stepFunctions.service.allHistories().map((h) => JSON.stringify(h)),
      events: env.eventBus.events.map((e) => JSON.stringify(e)),
    };
  } finally {
    logs.stop();
    await env.close();
  }
  const rows: string[][] = [];
  let vendorMet = true;
  const writesMissed: string[] = [];
  for (const [key, c] of counts) {
    const [product = '', operation = ''] = key.split('.');
    const minimum =
      MINIMUM_VENDOR_CALLS[product as VendorName]?.[operation as Operation]?.calls ?? Number.NaN;
    const writeCap = MAX_SECRETS_WRITES[operation as Operation];
    vendorMet &&= c.vendorCalls === minimum;
    if (c.secretsWrites > writeCap)
      writesMissed.push(`${product} ${operation} ${c.secretsWrites} > ${writeCap}`);
    for (const [name, value] of Object.entries(c)) figures[`${key}.${name}`] = value;
    figures[`writesPerCredential.${operation}.${product}`] = c.secretsWrites;
    figures[`${key}.vendorCallsMinimum`] = minimum;
    rows.push([
      product,
      operation,
      `${c.vendorCalls} (min ${minimum})`,
      String(c.secretsReads),
      `${c.secretsWrites} (≤ ${writeCap})`,
      String(c.stateTransitions),
      String(c.lambdaInvocations),
      String(c.lambdaMs),
    ]);
  }
  say('Per operation (one credential; operator steps answered as a person would)');
  say(
    renderTable(
      [
        'product',
        'operation',
        'vendor calls',
        'SM reads',
        'SM writes',
        'transitions',
        'Lambda calls',
        'Lambda ms',
      ],
      rows,
    ),
  );
  say(
    `  vendor calls at their minimum: ${vendorMet ? 'yes' : 'NO'}; Secrets Manager writes within target: ${writesMissed.length === 0 ? 'yes' : `NO (${writesMissed.join(', ')})`}`,
  );
  say();

  // 2. Cost model: every product the bench ran, one credential each (an equal mix), against Secrets
  // Manager's own rotation of the same credentials.
  const measured = PRODUCT_CASES.flatMap(({ product }) => {
    const rotate = counts.get(`${product}.rotate`);
    const provision = counts.get(`${product}.provision`);
    return rotate && provision
      ? [{ product, credential: { rotate, secretsKept: provision.secretsKept } }]
      : [];
  });
  if (measured.length > 0) {
    const share = 1 / measured.length;
    const costRows: string[][] = [];
    for (const { product, credential } of measured) {
      const ours = perRotation(credential.rotate);
      const native = perNativeRotation(credential.rotate);
      for (const [item, dollars] of Object.entries(ours))
        figures[`cost.perRotation.${product}.${item}`] = dollars;
      figures[`cost.perRotation.${product}.secretsManagerRotation`] = total(native);
      figures[`cost.${product}.secretsPerCredential`] = credential.secretsKept;
      const [daily, weekly] = (['daily', 'weekly'] as const).map((cadence) =>
        mixPerThousand([{ credential, share: 1 }], cadence),
      );
      costRows.push([
        product,
        String(credential.secretsKept),
        `$${(total(ours) * 1000).toFixed(3)} (${(ours.stateTransitions * 1000).toFixed(3)} transitions, ${(ours.secretsCalls * 1000).toFixed(3)} SM)`,
        `$${(total(native) * 1000).toFixed(3)}`,
        `$${daily?.provisioner.toFixed(2)} / $${daily?.secretsManagerRotation.toFixed(2)}`,
        `$${weekly?.provisioner.toFixed(2)} / $${weekly?.secretsManagerRotation.toFixed(2)}`,
      ]);
    }
    const mix = measured.map(({ credential }) => ({ credential, share }));
    const mixRow = ['mix (equal shares)', '', '', ''];
    for (const cadence of ['daily', 'weekly'] as const) {
      const { provisioner, secretsManagerRotation } = mixPerThousand(mix, cadence);
      const ratio = provisioner / secretsManagerRotation;
      figures[`cost.perThousand.${cadence}.provisioner`] = provisioner;
      figures[`cost.perThousand.${cadence}.secretsManagerRotation`] = secretsManagerRotation;
      figures[`cost.perThousand.${cadence}.ratioToSecretsManager`] = Math.round(ratio * 1000) / 1000;
      mixRow.push(
        `$${provisioner.toFixed(2)} / $${secretsManagerRotation.toFixed(2)} (${ratio.toFixed(3)}×)`,
      );
    }
    costRows.push(mixRow);
    say(
      `Cost (us-east-1 prices): per 1,000 rotations, and per 1,000 credentials per month with their secrets' storage, this system / Secrets Manager's own rotation (target ≤ ${COST_RATIO_TARGET}×)`,
    );
    say(
      renderTable(
        ['product', 'secrets kept', 'per 1,000 rotations', 'SM rotation', 'daily, month', 'weekly, month'],
        costRows,
      ),
    );
    say('  operator products also take a person per rotation, priced by neither side');
    say();
  }

  // 3. Bulk, under the write quota and the products' concurrency limits.
  if (bulk) {
    let bulkMet = true;
    const bulkRows = Object.entries(bulk).map(([phase, p]) => {
      const { peakConcurrency, firstFailure: _printedBelow, ...numbers } = p;
      for (const [name, value] of Object.entries(numbers)) figures[`bulk.${phase}.${name}`] = value;
      for (const [product, peak] of Object.entries(peakConcurrency))
        figures[`bulk.${phase}.peakConcurrency.${product}`] = peak;
      const peak = Math.max(...Object.values(p.peakConcurrency));
      bulkMet &&= p.failed === 0 && p.floorRatio <= BULK_FLOOR_FACTOR && peak <= PRODUCT_CONCURRENCY_LIMIT;
      return [
        phase,
        String(p.credentials),
        String(p.failed),
        `${p.elapsedS} s`,
        `${p.floorS.toFixed(1)} s (${p.floorRatio.toFixed(2)}×, target ≤ ${BULK_FLOOR_FACTOR})`,
        String(p.writes),
        String(p.throttled),
        `${p.cpuS} s`,
        `${peak} (≤ ${PRODUCT_CONCURRENCY_LIMIT})`,
      ];
    });
    say(
      `Bulk: ${credentials} credentials over the five products, ${WRITE_QUOTA_PER_SECOND} Secrets Manager writes per second, ${PRODUCT_CONCURRENCY_LIMIT} requests at once per product`,
    );
    say(
      renderTable(
        [
          'phase',
          'credentials',
          'failed',
          'elapsed',
          'floor (writes / 50)',
          'SM writes',
          'throttled',
          'CPU',
          'peak per product',
        ],
        bulkRows,
      ),
    );
    say(
      `  zero failed, within ${BULK_FLOOR_FACTOR}× the floor, within the concurrency limit: ${bulkMet ? 'yes' : 'NO'}`,
    );
    for (const [phase, p] of Object.entries(bulk)) {
      if (p.firstFailure) say(`  ${phase}: the first failed execution: ${p.firstFailure}`);
    }
    say();
  }

  // 4. Per handler: bundle size and cold start against a baseline handler with the same SDK clients.
  if (!values['skip-bundles']) {
    // In the project, so that the baselines' imports and a bundle without the SDK resolve node_modules.
    const workDir = await mkdtemp(join('bench', '.cold-starts-'));
    try {
      const handlerRows: string[][] = [];
      let withinTarget = 0;
      const ids = await handlerIds();
      for (const { handler, bundle, baseline, ms, baselineMs } of await measureColdStarts(
        ids,
        workDir,
        coldStarts,
      )) {
        const ratio = ms / baselineMs;
        figures[`bundle.${handler}.bytes`] = bundle.bytes;
        figures[`bundle.${handler}.initBytes`] = bundle.initBytes;
        figures[`coldStart.${handler}.medianMs`] = Math.round(ms * 10) / 10;
        figures[`coldStart.${handler}.baselineMs`] = Math.round(baselineMs * 10) / 10;
        figures[`coldStart.${handler}.ratioToBaseline`] = Math.round(ratio * 100) / 100;
        if (ratio <= COLD_START_RATIO_TARGET) withinTarget += 1;
        handlerRows.push([
          handler,
          `${(bundle.bytes / 1024).toFixed(0)} KB`,
          `${(bundle.initBytes / 1024).toFixed(0)} KB`,
          `${ms.toFixed(1)} ms`,
          `${baselineMs.toFixed(1)} ms (${(baseline.initBytes / 1024).toFixed(0)} KB)`,
          `${ratio.toFixed(2)}×`,
        ]);
      }
      figures['coldStart.withinTarget'] = withinTarget;
      figures['bundle.handlers'] = ids.length;
      const localSources = await localSourcesInBundles(ids);
      figures['bundle.localSources'] = localSources.length;
      // The SDK can come from the runtime or be bundled: one handler is measured both ways.
      const compared = 'verify-credential';
      const withoutSdk = (
        await bundleHandlers([compared], join(workDir, 'sdk-from-runtime'), { sdkFromRuntime: true })
      ).get(compared);
      const [withoutSdkMs = 0] = await coldStartMs([withoutSdk?.path ?? ''], coldStarts);
      figures[`bundle.${compared}.sdkFromRuntime.bytes`] = withoutSdk?.bytes ?? 0;
      figures[`coldStart.${compared}.sdkFromRuntime.medianMs`] = Math.round(withoutSdkMs * 10) / 10;
      say(
        `Per handler (esbuild as deployed, minified, without source maps; median module init over ${coldStarts} fresh processes each, handler and baseline taking turns)`,
      );
      say(
        renderTable(
          [
            'handler',
            'bundle',
            'loaded at init',
            'cold start',
            'baseline',
            `ratio (target ≤ ${COLD_START_RATIO_TARGET})`,
          ],
          handlerRows,
        ),
      );
      say(`  handlers within ${COLD_START_RATIO_TARGET}× their baseline: ${withinTarget} of ${ids.length}`);
      say(
        `  simulator, local, bench or test sources in any bundle: ${localSources.length === 0 ? 'none' : localSources.join(', ')}`,
      );
      say(
        `  ${compared} with the SDK taken from the runtime instead: ${((withoutSdk?.bytes ?? 0) / 1024).toFixed(0)} KB, ${withoutSdkMs.toFixed(1)} ms`,
      );
      say();
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  }

  // 5. Offboarding latency (bench/offboarding.ts), the Lambda cold start as measured above when it was.
  {
    const options = {
      credentials: offboarding.OFFBOARDED_CREDENTIALS,
      latency: {
        productMs: latencyFlags['product-latency-ms'] ?? offboarding.DEFAULT_PRODUCT_LATENCY_MS,
        awsMs: latencyFlags['aws-latency-ms'] ?? offboarding.DEFAULT_AWS_LATENCY_MS,
        lambdaStartMs:
          latencyFlags['lambda-start-ms'] ??
          offboarding.measuredLambdaStartMs(figures) ??
          offboarding.DEFAULT_LAMBDA_START_MS,
      },
      operatorAnswerMs: latencyFlags['operator-answer-ms'] ?? offboarding.DEFAULT_OPERATOR_ANSWER_MS,
    };
    const result = await offboarding.runOffboarding(options);
    Object.assign(figures, offboarding.offboardingFigures(result));
    for (const line of offboarding.offboardingLines(result, options)) say(line);
    say();
    material = {
      secrets: [...material.secrets, ...result.material.secrets],
      taskTokens: [...material.taskTokens, ...result.material.taskTokens],
    };
    for (const [source, texts] of Object.entries(result.sources))
      runSources = { ...runSources, [source]: [...(runSources[source] ?? []), ...texts] };
  }

  // 6. Leak scan over everything this run produced, and over the synthesized app if present.
  const sources = {
    ...runSources,
    logs: logs.lines,
    output: printed,
    results: [JSON.stringify({ parameters, figures })],
    cdkOut: await filesUnder('cdk.out'),
  };
  const hits = scanForMaterial(material, sources);
  const scanned = Object.values(sources).reduce((n, texts) => n + texts.length, 0);
  const checked = material.secrets.length + material.taskTokens.length;
  figures['leakScan.materialChecked'] = checked;
  figures['leakScan.textsScanned'] = scanned;
  figures['leakScan.occurrences'] = hits.length;
  say(
    `Leak scan: ${checked} issued keys, secrets, passwords, tokens and task tokens looked for in ${scanned} texts`,
  );
  say(
    `  (histories, events, Lambda logs, this output, bench-results.json, cdk.out): ${hits.length} occurrences`,
  );

  await writeFile('bench-results.json', `${JSON.stringify({ parameters, figures }, null, 2)}\n`);
  say('written: bench-results.json');
  return hits.length === 0 ? 0 : 1;
}

process.exitCode = await main();
