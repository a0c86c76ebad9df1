/**
 * The `provisioner` commands against the embedded default, through the real SDK clients.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { beforeAll, describe, expect, it } from 'vitest';
import { list, revoke, rotate, start, status, targetAdd } from '#cli/commands.ts';
import { credentialSecretName } from '#core/names.ts';
import { MAX_REQUEST_BYTES } from '#core/schemas.ts';
import { collectIssuedMaterial, scanForMaterial } from '#local/leak-scan.ts';
import {
  confirmAsOperator,
  obtainInProductUi,
  revokeInProductUi,
  submitAsOperator,
} from '#local/operator.ts';
import { executionEnd, runExecution, taskOpenedBy } from '#test/support/executions.ts';
import { useLocalEnvironment } from '#test/support/local-environment.ts';
import { failure } from '../failure.ts';

const { env, logs } = useLocalEnvironment();
let dir: string;
const printed: string[] = [];
const io = { out: (line: string) => printed.push(line), stdin: async () => '' };

const request = {
  target: 'fgt-cli',
  apiUser: 'cli-bot',
  owner: 'bob@example.com',
  ticket: 'CHG-CLI-1',
  accessProfile: { name: 'addr-readonly', permissions: { 'fwgrp.address': 'read' } },
  trustedHosts: ['127.0.0.1/32'],
};

async function file(name: string, content: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

async function executionCount(): Promise<number> {
  const out = await env.sfnClient.send(
    new ListExecutionsCommand({ stateMachineArn: env.provisionStateMachineArn }),
  );
  return out.executions?.length ?? 0;
}

describe('provisioner CLI (local runtime)', () => {
  const machine = async () => env.provisionStateMachineArn;

  /** Prepare: the CLI's target, unless `target add` registered it already. */
  async function targetRegistered(): Promise<void> {
    const known = await env.store.loadTarget('fgt-cli').then(
      () => true,
      () => false,
    );
    if (!known) await env.registerTarget('fortios', 'fgt-cli');
  }

  /** Prepare: cli-bot's credential, unless `start --wait` provisioned it already. */
  async function provisioned(): Promise<void> {
    await targetRegistered();
    if (await env.store.describe(credentialSecretName('fgt-cli', 'cli-bot'))) return;
    const input = await file('request.json', JSON.stringify(request));
    await start(env.operator.sfnClient, machine, { input, wait: true, pollMs: 1 }, io);
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'provisioner-cli-'));
  });

  it('target add registers a pinned target from a token file and never prints the token', async () => {
    // Prepare
    const tokenFile = await file('token.txt', `${env.fortios.adminToken}\n`);
    const caFile = await file('ca.pem', env.fortios.caPem);
    // Act
    const code = await targetAdd(
      env.operator.store,
      'fgt-cli',
      { vendor: 'fortios', baseUrl: env.fortios.url, caFile, adminTokenFile: tokenFile },
      io,
    );
    // Assess
    expect(code).toBe(0);
    expect(printed.at(-1)).toMatch(/^target fgt-cli registered \(arn:aws:secretsmanager:/);
    expect(await env.store.loadTarget('fgt-cli')).toMatchObject({
      adminCredential: { token: env.fortios.adminToken },
    });
  });

  it('target add writes the access policy of a policy file, and refuses one beyond the schema, writing nothing', async () => {
    // Prepare: its own VDOM (one target per device and VDOM)
    const tokenFile = await file('token-policy.txt', env.fortios.adminToken);
    const caFile = await file('ca-policy.pem', env.fortios.caPem);
    const flags = {
      vendor: 'fortios',
      baseUrl: env.fortios.url,
      caFile,
      adminTokenFile: tokenFile,
      vdom: 'pol',
    };
    const policyFile = await file(
      'policy.json',
      JSON.stringify({
        permissions: { sysgrp: 'none' },
        minTrustedHostPrefix: 24,
        ticketSources: ['servicenow'],
      }),
    );
    const badPolicy = await file('bad-policy.json', JSON.stringify({ maxPermission: 'super_admin' }));
    // Act
    const code = await targetAdd(env.store, 'fgt-cli-policy', { ...flags, policyFile }, io);
    const refused = await failure(
      targetAdd(env.store, 'fgt-cli-bad-policy', { ...flags, vdom: 'pol2', policyFile: badPolicy }, io),
    );
    // Assess
    expect(code).toBe(0);
    expect((await env.store.loadTarget('fgt-cli-policy')).policy).toEqual({
      maxPermission: 'read',
      permissions: { sysgrp: 'none' },
      minTrustedHostPrefix: 24,
      maxTrustedAddresses: 2 ** 24,
      repair: 'report',
      ticketSources: ['servicenow'],
      // A FortiOS policy also says how old its admin token may grow (the admin rotation's default).
      adminKeyMaxAgeDays: 90,
    });
    expect(refused.message).toMatch(/invalid target fgt-cli-bad-policy: policy\.maxPermission/);
    expect(await env.store.describe('provisioner/targets/fgt-cli-bad-policy')).toBeUndefined();
  });

  it('target add refuses a plain-http URL or a target without pinning, writing nothing', async () => {
    // Prepare
    const tokenFile = await file('token2.txt', env.fortios.adminToken);
    const before = env.secretsManager.store.secretCount();
    // Act
    const plain = await failure(
      targetAdd(
        env.operator.store,
        'fgt-bad',
        {
          vendor: 'fortios',
          baseUrl: 'http://127.0.0.1:1',
          fingerprint: 'AB'.repeat(32),
          adminTokenFile: tokenFile,
        },
        io,
      ),
    );
    const unpinned = await failure(
      targetAdd(
        env.operator.store,
        'fgt-bad',
        { vendor: 'fortios', baseUrl: env.fortios.url, adminTokenFile: tokenFile },
        io,
      ),
    );
    // Assess
    expect(plain.message).toMatch(/baseUrl: must be an https:\/\/ URL/);
    expect(unpinned.message).toMatch(/give a CA \(caPem\) or a certificate fingerprint/);
    expect(`${plain.message}${unpinned.message}`).not.toContain(env.fortios.adminToken);
    expect(env.secretsManager.store.secretCount()).toBe(before);
  });

  it('start --wait provisions; the same request again reports the existing execution', async () => {
    // Prepare
    await targetRegistered();
    const input = await file('request.json', JSON.stringify(request));
    // Act
    const first = await start(env.operator.sfnClient, machine, { input, wait: true, pollMs: 1 }, io);
    const second = await start(env.operator.sfnClient, machine, { input }, io);
    // Assess
    expect(first).toBe(0);
    expect(second).toBe(0);
    expect(printed.some((l) => l.startsWith('already started: provision-CHG-CLI-1-'))).toBe(true);
    expect(printed.join('\n')).toMatch(/cli-bot .* active/);
    expect(env.fortios.state.users.has('cli-bot')).toBe(true);
  });

  it.each([
    ['without a trusted host', JSON.stringify({ ...request, trustedHosts: [] }), /at least one trusted host/],
    [
      'with shell characters in a name',
      JSON.stringify({ ...request, apiUser: 'x;rm -rf' }),
      /apiUser: must be/,
    ],
    [
      'claiming a ticket system approved it',
      JSON.stringify({ ...request, ticketSource: 'jira' }),
      /ticketSource is set by the ticket intake only/,
    ],
    ['that is not JSON', '{"target":', /is not valid JSON/],
    [
      'over the size limit',
      JSON.stringify({ ...request, pad: 'x'.repeat(MAX_REQUEST_BYTES) }),
      /over the 16384-byte limit/,
    ],
  ])('start refuses a request %s and starts nothing', async (_, content, message) => {
    // Prepare
    const input = await file('bad.json', content);
    const before = await executionCount();
    // Act
    const error = await failure(start(env.sfnClient, machine, { input }, io));
    // Assess
    expect(error.name).toBe('ValidationError');
    expect(error.message).toMatch(message);
    expect(await executionCount()).toBe(before);
  });

  it('status shows a failure as a readable message and exits 1', async () => {
    // Prepare
    const input = await file(
      'unknown.json',
      JSON.stringify({ ...request, target: 'nowhere', ticket: 'CHG-CLI-2' }),
    );
    // Act
    const code = await start(env.operator.sfnClient, machine, { input, wait: true, pollMs: 1 }, io);
    // Assess
    expect(code).toBe(1);
    expect(printed.at(-1)).toBe(
      'NotFound: unknown target "nowhere": register it with `provisioner target add`',
    );
  });

  it('list shows the owner’s credentials only, whatever case the owner is typed in, without material', async () => {
    // Prepare
    await provisioned();
    // Act
    const code = await list(env.store, 'Bob@Example.com', io);
    const other = await list(env.store, 'bob', io);
    // Assess
    expect(code + other).toBe(0);
    const table = printed.at(-2) ?? '';
    expect(table).toMatch(/provisioner\/fgt-cli\/cli-bot\s+fgt-cli\s+active\s+CHG-CLI-1/);
    expect(printed.at(-1)).not.toContain('cli-bot');
  });

  it('rotate --wait moves AWSCURRENT to the twin; bad names are refused before anything starts', async () => {
    // Prepare
    await provisioned();
    // Act
    const code = await rotate(
      env.sfnClient,
      async () => env.rotateStateMachineArn,
      { target: 'fgt-cli', apiUser: 'cli-bot', wait: true, pollMs: 1 },
      io,
    );
    const bad = await failure(
      rotate(
        env.sfnClient,
        async () => env.rotateStateMachineArn,
        { target: 'fgt-cli', apiUser: '../x' },
        io,
      ),
    );
    // Assess
    expect(code).toBe(0);
    expect(printed.at(-1)).toMatch(/provisioner\/fgt-cli\/cli-bot: AWSCURRENT is now the key of cli-bot\.b/);
    expect(bad.name).toBe('ValidationError');
  });

  it('revoke --owner --wait revokes the owner’s credentials; a repeat finds none left and says so', async () => {
    // Prepare
    await provisioned();
    const revokeMachine = async () => env.revokeStateMachineArn;
    const day = new Date('2026-11-25T10:00:00Z');
    // Act
    const code = await revoke(
      env.sfnClient,
      revokeMachine,
      { owner: 'bob@example.com', wait: true, pollMs: 1 },
      io,
      day,
    );
    const again = await revoke(
      env.sfnClient,
      revokeMachine,
      { owner: 'BOB@example.com', wait: true, pollMs: 1 },
      io,
      new Date('2026-11-25T10:05:00Z'),
    );
    const bad = await failure(revoke(env.sfnClient, revokeMachine, { owner: 'bob; rm -rf /' }, io, day));
    // Assess
    expect(code).toBe(0);
    expect(again).toBe(0);
    expect(printed.join('\n')).toMatch(/provisioner\/fgt-cli\/cli-bot/);
    expect(env.fortios.state.users.has('cli-bot')).toBe(false);
    expect(bad.name).toBe('ValidationError');
  });

  it('revoke --owner repeated after a failed run starts a new run, and again after the owner got a new credential', async () => {
    // Prepare: lee's credential; FortiOS down for the first run.
    await targetRegistered();
    const owner = 'lee@example.com';
    const provision = async (apiUser: string) => {
      const input = await file(
        `${apiUser}.json`,
        JSON.stringify({ ...request, apiUser, owner, ticket: `CHG-${apiUser}` }),
      );
      expect(await start(env.sfnClient, machine, { input, wait: true, pollMs: 1 }, io)).toBe(0);
    };
    await provision('cli-leaver');
    const revokeMachine = async () => env.revokeStateMachineArn;
    const revokeLee = (at: string) =>
      revoke(env.sfnClient, revokeMachine, { owner, wait: true, pollMs: 1 }, io, new Date(at));
    env.fortios.faults.inject({ kind: '5xx' });
    // Act
    const failed = await revokeLee('2026-11-26T10:00:00Z');
    env.fortios.faults.clear();
    const retried = await revokeLee('2026-11-26T10:10:00Z');
    const leaverGone = !env.fortios.state.users.has('cli-leaver');
    await provision('cli-leaver2');
    const afterNew = await revokeLee('2026-11-26T10:20:00Z');
    // Assess
    expect(failed).toBe(1);
    expect(retried).toBe(0);
    expect(leaverGone).toBe(true);
    expect(afterNew).toBe(0);
    expect(env.fortios.state.users.has('cli-leaver2')).toBe(false);
    expect(printed.at(-1)).toMatch(/provisioner\/fgt-cli\/cli-leaver2/);
  });

  it('revoke --owner while a revocation of that owner is still running says so and starts nothing', async () => {
    // Prepare: mia's FortiCNAPP key, whose revocation waits for an operator task.
    await env.registerTarget('forticnapp', 'cnapp-cli');
    const owner = 'mia@example.com';
    const provisionRequest = {
      target: 'cnapp-cli',
      apiUser: 'cnapp-mia',
      owner,
      ticket: 'CHG-MIA',
      serviceUser: 'svc-mia',
    };
    const provisionedMia = await runExecution(
      env,
      env.provisionStateMachineArn,
      provisionRequest,
      'provision-mia',
      (task) => submitAsOperator(env, task.taskId, obtainInProductUi(env, task, 'svc-mia')),
    );
    expect(provisionedMia.status).toBe('SUCCEEDED');
    const revokeMachine = async () => env.revokeStateMachineArn;
    const revokeMia = (at: string) =>
      revoke(env.sfnClient, revokeMachine, { owner: 'Mia@example.com' }, io, new Date(at));
    expect(await revokeMia('2026-11-27T10:00:00Z')).toBe(0);
    const executionLine = printed.at(-1) ?? '';
    const executionArn = executionLine.slice('execution '.length);
    const task = await taskOpenedBy(env, executionArn);
    const before = (
      await env.sfnClient.send(new ListExecutionsCommand({ stateMachineArn: env.revokeStateMachineArn }))
    ).executions?.length;
    // Act
    const again = await revokeMia('2026-11-27T11:00:00Z');
    const answer = printed.slice(-2);
    const after = (
      await env.sfnClient.send(new ListExecutionsCommand({ stateMachineArn: env.revokeStateMachineArn }))
    ).executions?.length;
    revokeInProductUi(env, task);
    await confirmAsOperator(env, task.taskId);
    const done = await executionEnd(env, executionArn);
    // Assess
    expect(again).toBe(0);
    expect(answer[0]).toMatch(/^a revocation of mia@example\.com is still running: revoke-/);
    expect(answer[1]).toBe(executionLine);
    expect(after).toBe(before);
    expect(done.status).toBe('SUCCEEDED');
  });

  it('status of an execution by ARN, and no issued key or token anywhere in the CLI output', async () => {
    // Prepare
    await provisioned();
    const arn = printed.find((l) => l.startsWith('execution '))?.slice('execution '.length) ?? '';
    // Act
    const code = await status(env.sfnClient, arn, io);
    // Assess
    expect(code).toBe(0);
    expect(scanForMaterial(collectIssuedMaterial(env), { cli: printed, logs: logs.lines })).toEqual([]);
  });
});
