/**
 * `npm start`: the end-to-end scenario on the embedded default. It registers a simulator of each of
 * the five products (and a FortiGate fleet behind a FortiManager, provisioned by local/scenario/fleet.ts) as a target and provisions a credential on each through the synthesized
 * provision workflow: FortiOS and FortiManager through their APIs (the vendor document's read-only
 * firewall-address admin), FortiFlex, FortiCNAPP and AutoRABIT ARM through an operator task that
 * the scenario answers in the simulated product UI and with `provisioner submit`. It proves each
 * stored credential works by calling the product with it, and prints one table. Then the directory
 * reports the owner deactivated, and every credential is revoked, proven dead and retired. Never a
 * secret is printed.
 */
import { readFile } from 'node:fs/promises';
import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { executionHistory, followExecution as followStates } from '#cli/follow-execution.ts';
import { statesEntered } from '#cli/states-entered.ts';
import { renderTable } from '#cli/table.ts';
import { ROTATION_SCHEDULE_GROUP } from '#core/config.ts';
import { executionNameFor } from '#core/execution-names.ts';
import { httpsJson } from '#core/http.ts';
import { signWebhook } from '#core/intake.ts';
import { CURRENT, credentialSecretName } from '#core/names.ts';
import { materialOf, PRODUCTS } from '#core/products/index.ts';
import { vendorFor } from '#core/products/registry.ts';
import { simulatedOf } from '#core/products/simulated.ts';
import { parseProvisionRequest, type TargetDefinition } from '#core/requests.ts';
import { rotationScheduleName } from '#core/schedules.ts';
import { credentialStatus, versionWithStage } from '#core/secrets.ts';
import { causeMessage } from '#core/step-error.ts';
import { publishDirectoryDeactivation } from './directory.ts';
import { type LocalEnvironment, startLocalEnvironment } from './environment.ts';
import { captureLambdaLogs } from './log-capture.ts';
import {
  answerTasksUntilDone,
  confirmAsOperator,
  obtainInProductUi,
  playOperator,
  revokeInProductUi,
  submitAsOperator,
  waitForActionRequired,
} from './operator.ts';
import { rotateAdminCredential } from './scenario/admin-rotation.ts';
import { showRotationFailureAlert } from './scenario/alerts.ts';
import { restoredTwinCaughtAndRemoved } from './scenario/drift.ts';
import { provisionFleet } from './scenario/fleet.ts';
import { heldCredentialRevokedWhenHoldEnds } from './scenario/hold-end.ts';
import { showRevocationPlan } from './scenario/plan.ts';
import { showReconcilePlan } from './scenario/plan-reconcile.ts';
import { teamCredentialSurvives } from './scenario/teams.ts';

const say = (line: string) => process.stdout.write(`${line}\n`);

/**
 * Shows every state the execution enters, once each and in order, on one line as they appear in
 * its history (a Map's iterations add no repeats); returns the execution once it has ended.
 */
async function followExecution(env: LocalEnvironment, executionArn: string) {
  let line = false;
  const execution = await followStates(env.operator.sfnClient, executionArn, {
    pollMs: 100,
    onState: (state) => {
      process.stdout.write(line ? ` → ${state}` : `    states: ${state}`);
      line = true;
    },
  });
  if (line) process.stdout.write('\n');
  return execution;
}

/** The states an execution answered by the operator went through, once it has ended (one line). */
async function showStates(env: LocalEnvironment, executionArn: string) {
  const states = statesEntered(await executionHistory(env.operator.sfnClient, executionArn));
  if (states.length > 0) say(`    states: ${states.join(' → ')}`);
}

/** The console's way in: StartExecution with the documented input. */
async function startFromConsole(env: LocalEnvironment, name: string, input: unknown): Promise<string> {
  const started = await env.operator.sfnClient.send(
    new StartExecutionCommand({
      stateMachineArn: env.provisionStateMachineArn,
      name,
      input: JSON.stringify(input),
    }),
  );
  return started.executionArn ?? '';
}

/** The ticketing system's way in: an approved access request, HMAC-signed, posted to the intake URL. */
async function postSignedTicket(env: LocalEnvironment, request: Record<string, unknown>): Promise<string> {
  const body = JSON.stringify({
    type: 'access-request',
    ticket: request.ticket,
    approved: true,
    requester: request.owner,
    request,
  });
  const response = await fetch(env.intake.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-provisioner-signature': signWebhook(env.intake.webhookSecret, body, Math.floor(Date.now() / 1000)),
    },
    body,
  });
  const answer = (await response.json()) as { executionArn?: string; error?: string };
  if (!answer.executionArn)
    throw new Error(`the intake refused the ticket (${response.status}: ${answer.error})`);
  return answer.executionArn;
}

/** A consumer's call with a brokered bearer token, as the product's simulator serves consumers. */
async function consumerCall(target: TargetDefinition, token: string): Promise<boolean> {
  const call = simulatedOf(target.vendor).consumerCall;
  if (!call) throw new Error(`${target.vendor} brokers no bearer tokens`);
  const response = await httpsJson({
    baseUrl: target.baseUrl,
    ...call,
    headers: { authorization: `Bearer ${token}` },
    tls: 'tls' in target ? target.tls : undefined,
  });
  return response.status === 200;
}

/**
 * Provisions one request and proves its stored credential works; returns its table row. An operator
 * task is answered as a person would: in the product's UI, then with `provisioner submit`.
 */
async function provisionOn(env: LocalEnvironment, input: Record<string, unknown>, viaTicket = false) {
  const request = parseProvisionRequest(input);
  const targetName = request.target;
  const target = await env.store.loadTarget(targetName);
  const name = executionNameFor('provision', request.ticket, input);
  const executionArn = viaTicket
    ? await postSignedTicket(env, input)
    : await startFromConsole(env, name, input);
  say(
    `  provisioning ${request.apiUser} on ${targetName} (execution ${name}${viaTicket ? ', from a signed ticket' : ''})`,
  );
  let answeredBy = 'API';
  if (vendorFor({ target }).capabilities.issuance === 'operator') {
    const task = await waitForActionRequired(env, name);
    say(`    operator task ${task.taskId}: ${task.summary}`);
    say(`    (due ${task.deadline}; answered here in the simulated UI, then: ${task.submit})`);
    await submitAsOperator(env, task.taskId, obtainInProductUi(env, task, request.serviceUser), {
      out: (line) => say(`    provisioner submit: ${line}`),
    });
    answeredBy = 'operator task';
  }
  await followExecution(env, executionArn);

  const execution = await env.operator.sfnClient.send(new DescribeExecutionCommand({ executionArn }));
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
  const vendor = vendorFor({ target });
  let works: boolean;
  if (vendor.capabilities.tokenBroker) {
    // Consumers of a broker product use the brokered token; minting another would kill it.
    const token = await env.store.readAccessToken(result.secretName);
    works = token !== undefined && (await consumerCall(target, token.accessToken));
  } else {
    const value = await env.store.readVersion(result.secretName, current ?? '');
    works = (await vendor.verify(materialOf(target.vendor, value))).outcome === 'accepted';
  }
  if (!works) throw new Error(`the credential stored for ${targetName} is refused by the product`);
  const proof = vendor.capabilities.tokenBroker ? 'yes (brokered token)' : 'yes';
  return [targetName, target.vendor, request.apiUser, answeredBy, result.secretName, result.status, proof];
}

/**
 * Rotates a credential when its schedule fires while a consumer keeps reading AWSCURRENT and
 * calling the product with it, and reports how many of its calls were refused (the design says
 * none). Operator products: the simulated operator hands in the new credential and later removes
 * the old one, as the tasks say.
 */
async function rotateUnderLoad(
  env: LocalEnvironment,
  targetName: string,
  apiUser: string,
  serviceUser?: string,
) {
  const target = await env.store.loadTarget(targetName);
  const vendor = vendorFor({ target });
  const secretName = credentialSecretName(targetName, apiUser);
  // An inconclusive answer proves neither that the key works nor that it is dead: counted apart.
  const tally = { accepted: 0, refused: 0, inconclusive: 0 };
  let rotating = true;
  const consumer = (async () => {
    while (rotating) {
      const current = await env.store.readCurrent(secretName);
      const { outcome } = await vendor.verify(materialOf(target.vendor, current));
      if (outcome === 'accepted') tally.accepted += 1;
      else if (outcome === 'inconclusive') tally.inconclusive += 1;
      else tally.refused += 1;
    }
  })();
  // The credential's rotation schedule (created when it was provisioned) fires now, not in 30 days or before its expiry.
  const started = (await env.scheduler.fire(ROTATION_SCHEDULE_GROUP, rotationScheduleName(secretName))) as {
    executionArn?: string;
  };
  say(
    `  the rotation schedule of ${secretName} fires; a consumer keeps calling ${targetName} with AWSCURRENT`,
  );
  const executionArn = started.executionArn ?? '';
  const byOperator = vendor.capabilities.issuance === 'operator';
  const execution = byOperator
    ? await answerTasksUntilDone(env, executionArn, async (task) => {
        say(`    operator task ${task.taskId} (${task.action}): ${task.summary}`);
        await playOperator(env, task, serviceUser);
      })
    : await followExecution(env, executionArn);
  rotating = false;
  await consumer;
  if (byOperator) await showStates(env, executionArn);
  if (execution.status !== 'SUCCEEDED') {
    throw new Error(
      `rotation on ${targetName} ${execution.status}: ${execution.error} ${causeMessage(execution.cause)}`,
    );
  }
  const output = JSON.parse(execution.output ?? '{}') as { apiUser?: string };
  say(
    byOperator
      ? '    AWSCURRENT is now the credential the operator handed in; the previous one was removed and is refused'
      : `    AWSCURRENT is now the key of ${output.apiUser}; the previous twin is gone and its key refused`,
  );
  const calls = tally.accepted + tally.refused + tally.inconclusive;
  say(
    `    consumer: ${calls} calls during the rotation, ${tally.refused} refused, ${tally.inconclusive} inconclusive`,
  );
  if (tally.refused > 0) throw new Error(`a consumer was refused ${tally.refused} times during the rotation`);
  if (tally.inconclusive > 0) {
    throw new Error(
      `${tally.inconclusive} consumer calls during the rotation got an inconclusive answer: no proof the key kept working`,
    );
  }
}

/**
 * The directory reports the owner deactivated: the event rule starts the revoke workflow, the
 * operator does the UI steps the products need and confirms with `provisioner submit --done`, and
 * each credential is proven refused by its product before its secret is retired.
 */
async function revokeOnDeactivation(
  env: LocalEnvironment,
  owner: string,
  requests: Record<string, unknown>[],
) {
  say(`  the directory deactivates ${owner} (event provisioner.directory / User Deactivated)`);
  const executionArn = await publishDirectoryDeactivation(env, {
    eventId: 'hr-offboarding-0001',
    userId: owner,
  });
  say(`  revoking (execution ${executionArn.split(':').at(-1)})`);
  const execution = await answerTasksUntilDone(env, executionArn, async (task) => {
    say(`    operator task ${task.taskId}: ${task.steps[0]} (done in the simulated UI, then ${task.submit})`);
    revokeInProductUi(env, task);
    await confirmAsOperator(env, task.taskId);
  });
  await showStates(env, executionArn);
  if (execution.status !== 'SUCCEEDED') {
    throw new Error(`revocation ${execution.status}: ${execution.error} ${causeMessage(execution.cause)}`);
  }
  const rows = [];
  for (const request of requests) {
    const secretName = credentialSecretName(String(request.target), String(request.apiUser));
    const description = await env.store.describe(secretName);
    rows.push([
      String(request.target),
      secretName,
      credentialStatus(description) ?? '?',
      description?.deletedDate ? 'scheduled (7-day recovery window)' : 'no',
    ]);
  }
  say('');
  say(renderTable(['target', 'secret', 'status', 'secret deletion'], rows));
  say('  each old credential was refused by its product before its secret was retired');
}

/** The daily reconciliation, run now: Secrets Manager and every product must agree. */
async function reconcileAll(env: LocalEnvironment) {
  const started = await env.operator.sfnClient.send(
    new StartExecutionCommand({ stateMachineArn: env.reconcileStateMachineArn, input: '{}' }),
  );
  const done = await followExecution(env, started.executionArn ?? '');
  if (done.status !== 'SUCCEEDED')
    throw new Error(`reconciliation ${done.status}: ${causeMessage(done.cause)}`);
  const report = JSON.parse(done.output ?? '{}') as {
    targets: number;
    credentialsChecked: number;
    orphans: string[];
    driftCount: number;
  };
  say(
    `  reconciliation: ${report.targets} targets, ${report.credentialsChecked} active credentials checked, ${report.orphans.length} orphan users, drift ${report.driftCount}`,
  );
  if (report.driftCount !== 0) throw new Error(`reconciliation found drift: ${done.output}`);
}

async function readExample(file: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(new URL(`../examples/${file}`, import.meta.url), 'utf8')) as Record<
    string,
    unknown
  >;
}

async function main(): Promise<number> {
  const logs = captureLambdaLogs();
  // Wait states (the rotation's grace period) last 1.5 s here instead of an hour.
  const env = await startLocalEnvironment({ waitOverrideMs: 1500 });
  try {
    say(
      'credential-provisioner: embedded default (local Secrets Manager, Step Functions, EventBridge, product simulators)',
    );
    const demoTargets = PRODUCTS.map(({ name }) => simulatedOf(name).demoTarget);
    for (const { name } of PRODUCTS) await env.registerTarget(name, simulatedOf(name).demoTarget);
    say(`  targets registered: ${demoTargets.join(', ')} (TLS pinned to their CAs)`);
    const example = await readExample('provision-request.json');
    // The document's trusted host plus this machine's address, so the workflow can verify the key from here.
    const trustedHosts = [...(example.trustedHosts as string[]), '127.0.0.1/32'];
    const requests = [
      { ...example, target: 'fgt-lab', trustedHosts },
      { ...example, target: 'fmg-lab', trustedHosts },
      await readExample('provision-fortiflex.json'),
      await readExample('provision-forticnapp.json'),
      await readExample('provision-autorabit.json'),
    ];
    const rows = [];
    // The FortiGate access comes in as a signed ticket; the others as console input.
    for (const [index, request] of requests.entries())
      rows.push(await provisionOn(env, request, index === 0));
    say('');
    say(
      renderTable(
        ['target', 'product', 'API user', 'issued by', 'secret', 'status', 'works on the product'],
        rows,
      ),
    );
    say('');
    const fleetCredentials = await provisionFleet(env, example, say);
    say('');
    for (const target of ['fgt-lab', 'fmg-lab']) await rotateUnderLoad(env, target, String(example.apiUser));
    const arm = requests[4] as { apiUser: string; serviceUser?: string };
    await rotateUnderLoad(env, 'arm-lab', arm.apiUser, arm.serviceUser);
    say('');
    await restoredTwinCaughtAndRemoved(env, String(example.apiUser), say, (target) =>
      showReconcilePlan(env, target, say),
    );
    say('');
    await showRotationFailureAlert(env, 'fgt-lab', String(example.apiUser));
    say('');
    await rotateAdminCredential(env, 'fgt-lab', say);
    await rotateAdminCredential(env, 'fmg-lab', say);
    await rotateAdminCredential(env, 'fmg-lab', say, 'ssh');
    say('');
    await reconcileAll(env);
    say('');
    await showRevocationPlan(env, 'alice@example.com', say);
    say('');
    await teamCredentialSurvives(
      env,
      say,
      { ...example, target: 'fgt-lab', trustedHosts, member: 'alice@example.com' },
      () => revokeOnDeactivation(env, 'alice@example.com', [...requests, ...fleetCredentials]),
    );
    say('');
    await heldCredentialRevokedWhenHoldEnds(env, say, { ...example, target: 'fgt-lab', trustedHosts });
    say('');
    await reconcileAll(env);
    say('');
    const counts = new Map<string, number>();
    for (const e of env.eventBus.events) counts.set(e.DetailType, (counts.get(e.DetailType) ?? 0) + 1);
    say(
      `  ${logs.lines.length} Lambda log lines captured; events: ${[...counts].map(([t, n]) => `${t} x${n}`).join(', ')}`,
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
