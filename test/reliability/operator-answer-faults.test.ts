/**
 * The fault matrix's faults at AcceptOperatorAnswer, which is no Task state: the operator's
 * `provisioner submit` invokes it through the Lambda Invoke API (local/lambda-invoke.ts), with no
 * retry (lambdaClient's maxAttempts 1), so its failure is the operator's to see and answer. Each
 * fault fault-matrix.ts arms at a Task's Lambda is armed as AcceptOperatorAnswer starts, for one
 * FortiCNAPP provision waiting on its task, and the packaged CLI (`provisioner --local submit`,
 * a process of its own) hands in the key file the operator saved:
 * - a fault before anything is stored (the product's timeout, 429, 5xx or lost answer; Lambda's
 *   throttle, TooManyRequestsException, HTTP 429): the CLI prints the error and exits 1, there is
 *   no PutSecretValue, the secret's versions are unchanged and the task stays open; the same
 *   submit afterwards stores the key once and the workflow goes on; a third is refused;
 * - Secrets Manager's throttling: absorbed by the client's retries, the first submit stores it;
 * - Lambda dying after its work committed (ServiceException, HTTP 500): the CLI prints the error,
 *   the key is stored once and the task answered; the same submit afterwards stores nothing more
 *   and says the task was answered.
 * Lambda's errors: Invoke's Errors (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_TOKEN_STAGE, CURRENT, credentialSecretName } from '#core/names.ts';
import { versionWithStage } from '#core/secrets.ts';
import { writeEndpoints } from '#local/endpoints.ts';
import { scanEnvironment } from '#local/leak-scan.ts';
import { obtainInProductUi } from '#local/operator.ts';
import { executionEnd, provisionWaitingOnTask } from '#test/support/executions.ts';
import { useLocalEnvironment } from '#test/support/local-environment.ts';
import { armFault, disarmFaults, FAULTS, type Fault, VENDOR_TIMEOUT_MS } from './fault-matrix.ts';

const HANDLER = 'accept-operator-answer';
const TARGET = 'cnapp';
const SERVICE_USER = 'svc-answers';
const BIN = fileURLToPath(new URL('../../bin/provisioner.js', import.meta.url));

const { env } = useLocalEnvironment({
  variables: { PROVISIONER_VENDOR_TIMEOUT_MS: VENDOR_TIMEOUT_MS },
  targets: async (env) => {
    await env.registerTarget('forticnapp', TARGET);
  },
});

type Outcome = 'nothing stored' | 'absorbed' | 'stored, answer lost';
const STORIES: Record<Outcome, string> = {
  'nothing stored':
    'the CLI prints the error and exits 1, nothing is stored, the task stays open; the same submit again stores the key once',
  absorbed: "the Secrets Manager client's retries absorb it: the first submit stores the key once",
  'stored, answer lost':
    'the CLI prints the error and exits 1 after the key was stored once and the task answered; the same submit again stores nothing and says so',
};
const STORED =
  /^verified by the product and stored in provisioner\/cnapp\/\S+ \(version ([0-9a-f-]{36})\); the workflow goes on$/;
const NOT_WAITING =
  /^error: NotFound: no operator task \S+ is waiting: it was answered, refused or has expired/;

/** What the CLI prints for each fault's first submit, and what that submit did. */
const FIRST_SUBMIT: Record<Fault, { printed: RegExp; outcome: Outcome }> = {
  'vendor timeout': {
    printed:
      /^error: RetryableError: POST 127\.0\.0\.1:\d+\/api\/v2\/access\/tokens: timed out after 200 ms$/,
    outcome: 'nothing stored',
  },
  'vendor 429': {
    printed: /^error: RetryableError: FortiCNAPP failed transiently on the token exchange \(HTTP 429\)$/,
    outcome: 'nothing stored',
  },
  'vendor 5xx': {
    printed: /^error: RetryableError: FortiCNAPP failed transiently on the token exchange \(HTTP 503\)$/,
    outcome: 'nothing stored',
  },
  'vendor committed, answer lost': {
    printed:
      /^error: RetryableError: POST 127\.0\.0\.1:\d+\/api\/v2\/access\/tokens: connection failed \(ECONNRESET\)$/,
    outcome: 'nothing stored',
  },
  'Secrets Manager throttling': { printed: STORED, outcome: 'absorbed' },
  'Lambda died after committing': {
    printed: /^error: ServiceException: The AWS Lambda service encountered an internal error\.$/,
    outcome: 'stored, answer lost',
  },
  'Lambda throttled': {
    printed: /^error: TooManyRequestsException: Rate Exceeded\.$/,
    outcome: 'nothing stored',
  },
};

let folder = '';
const outputs: string[] = [];

/** `provisioner --local submit --task <id> --file <file>` in its own process: its exit code and the lines it printed. */
async function cliSubmit(taskId: string, file: string): Promise<{ code: number; printed: string[] }> {
  const run = promisify(execFile)(BIN, ['--local', 'submit', '--task', taskId, '--file', file], {
    cwd: folder,
  });
  const { code, stdout, stderr } = await run.then(
    (ok) => ({ code: 0, ...ok }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
  const printed = `${stdout}${stderr}`.split('\n').filter((line) => line !== '');
  outputs.push(...printed);
  return { code, printed };
}

const puts = () => env.secretsManager.store.calls.get('PutSecretValue') ?? 0;
const versionsOf = async (apiUser: string) =>
  (await env.store.describe(credentialSecretName(TARGET, apiUser)))?.versions ?? {};

describe('faults at AcceptOperatorAnswer, through `provisioner --local submit` (FortiCNAPP, local runtime)', () => {
  beforeAll(async () => {
    // The CLI's --local reads the endpoints from .local-state/endpoints.json below its working folder.
    folder = await mkdtemp(join(tmpdir(), 'operator-answer-faults-'));
    await writeEndpoints(env.endpoints, join(folder, '.local-state', 'endpoints.json'));
  });

  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it.each(FAULTS.map((fault, index) => [fault, STORIES[FIRST_SUBMIT[fault].outcome], index + 1] as const))(
    '%s: %s',
    async (fault, _story, n) => {
      // Prepare: a provision waiting on its operator task, and the key file the operator saved.
      const apiUser = `answer-${n}`;
      const { executionArn, task } = await provisionWaitingOnTask(env, {
        target: TARGET,
        apiUser,
        owner: 'oda@example.com',
        ticket: `OAF-${n}`,
        serviceUser: SERVICE_USER,
      });
      const file = join(folder, `${apiUser}.json`);
      const { text } = obtainInProductUi(env, task, SERVICE_USER);
      await writeFile(file, text, { mode: 0o600 });
      const { keyId } = JSON.parse(text) as { keyId: string };
      const putsBefore = puts();
      const versionsBefore = await versionsOf(apiUser);
      let armed = false;
      env.lambdaFaults.beforeEach = async (handlerId) => {
        if (handlerId !== HANDLER || armed) return;
        armed = true;
        armFault(env, env.forticnapp.faults, fault, handlerId);
      };
      const { printed, outcome } = FIRST_SUBMIT[fault];
      // Act
      const first = await cliSubmit(task.taskId, file);
      disarmFaults(env, env.forticnapp.faults);
      const putsAfterFirst = puts();
      const versionsAfterFirst = await versionsOf(apiUser);
      const openAfterFirst = await env.tasks.read(task.taskId);
      const retry = await cliSubmit(task.taskId, file);
      const putsAfterRetry = puts();
      const again = await cliSubmit(task.taskId, file);
      const execution = await executionEnd(env, executionArn);
      const secret = await env.store.describe(credentialSecretName(TARGET, apiUser));
      // Assess
      expect(armed, 'the fault was armed as AcceptOperatorAnswer started').toBe(true);
      expect(first.printed).toHaveLength(1);
      expect(first.printed[0]).toMatch(printed);
      expect(first.code).toBe(outcome === 'absorbed' ? 0 : 1);
      if (outcome === 'nothing stored') {
        expect(putsAfterFirst, 'no PutSecretValue').toBe(putsBefore);
        expect(versionsAfterFirst, 'the secret’s versions are unchanged').toEqual(versionsBefore);
        expect(openAfterFirst?.taskId, 'the task stays open').toBe(task.taskId);
        expect(retry.code).toBe(0);
        expect(retry.printed[0]).toMatch(STORED);
      } else {
        expect(openAfterFirst, 'the task was answered').toBeUndefined();
        expect(retry.code).toBe(1);
        expect(retry.printed[0]).toMatch(NOT_WAITING);
        expect(putsAfterRetry, 'a refused submit stores nothing').toBe(putsAfterFirst);
      }
      // Exactly once: the secret holds one credential version, AWSCURRENT, the one the CLI named, and
      // beside it the broker's token under its own label; another submit is refused and writes
      // nothing; the workflow went on with it.
      expect(Object.values(secret?.versions ?? {})).toEqual(
        expect.arrayContaining([[CURRENT], [ACCESS_TOKEN_STAGE]]),
      );
      expect(Object.keys(secret?.versions ?? {})).toHaveLength(2);
      const named = STORED.exec((outcome === 'nothing stored' ? retry : first).printed[0] ?? '')?.[1];
      if (outcome !== 'stored, answer lost') expect(secret && versionWithStage(secret, CURRENT)).toBe(named);
      expect(secret && (await env.store.readCurrent(secret.arn))).toMatchObject({ keyId });
      expect(again.code).toBe(1);
      expect(again.printed[0]).toMatch(NOT_WAITING);
      expect(puts(), 'no write once the task was answered').toBe(putsAfterRetry);
      expect(execution.status).toBe('SUCCEEDED');
    },
    120_000,
  );

  it('prints no key or token', () => {
    expect(outputs.length).toBeGreaterThan(0);
    expect(scanEnvironment(env, { outputs })).toEqual([]);
  });
});
