/**
 * `npm start`: the end-to-end scenario on the embedded default. It registers the FortiOS simulator
 * as a target, provisions the vendor document's example (a REST API admin with read-only access to
 * firewall addresses) through the synthesized provision workflow, proves the stored key works by
 * calling the product with it, and prints a table. Never the key.
 */
import { readFile } from 'node:fs/promises';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { executionNameFor } from '#core/execution-names.ts';
import { causeMessage } from '#core/provision.ts';
import { parseProvisionRequest } from '#core/requests.ts';
import { CURRENT, versionWithStage } from '#core/secrets.ts';
import { vendorFor } from '#core/vendors/registry.ts';
import { type LocalEnvironment, startLocalEnvironment } from './environment.ts';
import { captureLambdaLogs } from './log-capture.ts';
import { renderTable } from './table.ts';

const say = (line: string) => process.stdout.write(`${line}\n`);

/** Shows the state the execution is in while it runs (one line, redrawn on a terminal). */
async function followExecution(env: LocalEnvironment, executionArn: string) {
  const tty = process.stdout.isTTY;
  let shown = '';
  const finished = env.stepFunctions.service.waitForExecution(executionArn);
  let done = false;
  void finished.then(() => {
    done = true;
  });
  while (!done) {
    const history = await env.sfnClient.send(
      new GetExecutionHistoryCommand({ executionArn, reverseOrder: true }),
    );
    const entered = history.events?.find((e) => e.type?.endsWith('StateEntered'));
    const state = entered?.stateEnteredEventDetails?.name;
    if (state && state !== shown) {
      shown = state;
      if (tty) process.stdout.write(`\r\x1b[2K  … ${state}`);
      else say(`  … ${state}`);
    }
    await Promise.race([finished, new Promise((resolve) => setTimeout(resolve, 100))]);
  }
  if (tty) process.stdout.write('\r\x1b[2K');
  return finished;
}

/** Provisions the example on one target and proves its stored key works; returns its table row. */
async function provisionOn(env: LocalEnvironment, targetName: string, example: Record<string, unknown>) {
  // The document's trusted host plus this machine's address, so the workflow can verify the key from here.
  const input = {
    ...example,
    target: targetName,
    trustedHosts: [...(example.trustedHosts as string[]), '127.0.0.1/32'],
  };
  const request = parseProvisionRequest(input);
  const name = executionNameFor('provision', request.ticket, input);
  const started = await env.sfnClient.send(
    new StartExecutionCommand({
      stateMachineArn: env.provisionStateMachineArn,
      name,
      input: JSON.stringify(input),
    }),
  );
  const executionArn = started.executionArn ?? '';
  say(`  provisioning ${request.apiUser} on ${targetName} (execution ${name})`);
  await followExecution(env, executionArn);
  const execution = await env.sfnClient.send(new DescribeExecutionCommand({ executionArn }));
  if (execution.status !== 'SUCCEEDED') {
    throw new Error(
      `provisioning on ${targetName} ${execution.status}: ${execution.error} ${causeMessage(execution.cause)}`,
    );
  }
  const result = JSON.parse(execution.output ?? '{}') as {
    secretName: string;
    versionId: string;
    status: string;
  };

  // Proof: read the key as a consumer would (AWSCURRENT) and call the product with it.
  const stored = await env.store.describe(result.secretName);
  const current = stored ? versionWithStage(stored, CURRENT) : undefined;
  const value = await env.store.readVersion(result.secretName, current ?? '');
  const target = await env.store.loadTarget(targetName);
  const verdict = await vendorFor({ target }).verify(value.key);
  if (verdict !== 'accepted')
    throw new Error(`the key stored for ${targetName} was ${verdict} by the product`);
  return [
    targetName,
    target.vendor,
    request.apiUser,
    result.secretName,
    result.versionId,
    result.status,
    'yes',
  ];
}

async function main(): Promise<number> {
  const logs = captureLambdaLogs();
  const env = await startLocalEnvironment();
  try {
    say(
      'credential-provisioner: embedded default (local Secrets Manager, Step Functions, EventBridge, product simulators)',
    );
    await env.registerFortiOsTarget('fgt-lab');
    await env.registerFortiManagerTarget('fmg-lab');
    say(
      `  targets registered: fgt-lab ${env.fortios.url}, fmg-lab ${env.fortimanager.url} (TLS pinned to their CAs)`,
    );
    const example = JSON.parse(
      await readFile(new URL('../examples/provision-request.json', import.meta.url), 'utf8'),
    ) as Record<string, unknown>;
    const rows = [];
    for (const target of ['fgt-lab', 'fmg-lab']) rows.push(await provisionOn(env, target, example));
    say('');
    say(
      renderTable(
        ['target', 'product', 'API user', 'secret', 'version', 'status', 'key works on the product'],
        rows,
      ),
    );
    say('');
    say(
      `  ${logs.lines.length} Lambda log lines captured; events: ${env.eventBus.events.map((e) => e.DetailType).join(', ')}`,
    );
    return 0;
  } finally {
    logs.stop();
    await env.close();
  }
}

process.exitCode = await main().catch((error: unknown) => {
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  return 1;
});
