import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ProvisionerStack, STACK_NAME } from '#lib/provisioner-stack.ts';

type Json = Record<string, unknown>;
interface Statement {
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: unknown;
  Condition?: Json;
}

const HANDLERS = {
  ValidateRequest: 'validate-request',
  EnsureAccessProfile: 'ensure-access-profile',
  CreateApiUser: 'create-api-user',
  IssueKeyAndStore: 'issue-key-and-store',
  RequestOperatorCredential: 'request-operator-credential',
  VerifyCredential: 'verify-credential',
  FinalizeCredential: 'finalize-credential',
  CompensateProvision: 'compensate-provision',
} as const;
const ROTATE_HANDLERS = [
  'plan-rotation',
  'schedule-rotation',
  'validate-rotation',
  'ensure-twin-user',
  'issue-twin-key',
  'request-rotated-credential',
  'verify-pending-key',
  'promote-pending-key',
  'retire-previous-key',
  'request-previous-revocation',
  'prove-previous-revoked',
  'finalize-rotation',
  'compensate-rotation',
];
const ADMIN_ROTATE_HANDLERS = [
  'validate-admin-rotation',
  'issue-admin-key',
  'verify-admin-key',
  'promote-admin-key',
  'retire-admin-key',
  'finalize-admin-rotation',
  'compensate-admin-rotation',
];
const REVOKE_HANDLERS = {
  PlanRevocation: 'plan-revocation',
  FindOwnerCredentials: 'find-owner-credentials',
  SweepOwnerCredentials: 'sweep-owner-credentials',
  RevokeAtProduct: 'revoke-at-product',
  RequestOperatorRevocation: 'request-operator-revocation',
  ProveRevoked: 'prove-revoked',
  RetireCredential: 'retire-credential',
  ReportRevocation: 'report-revocation',
} as const;
const API_PATH = [
  'EnsureAccessProfile',
  'CreateApiUser',
  'IssueKeyAndStore',
  'VerifyCredential',
  'FinalizeCredential',
];
const COMPENSATED = [...API_PATH, 'RequestOperatorCredential'];
const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
];
/** What Step Functions raises when Lambda throttles the invoke (lib/workflows/workflow-base.ts says why these numbers). */
const LAMBDA_THROTTLED = {
  ErrorEquals: ['Lambda.TooManyRequestsException'],
  IntervalSeconds: 1,
  MaxAttempts: 6,
  BackoffRate: 2,
  JitterStrategy: 'FULL',
};
const RETRYABLE = {
  ErrorEquals: ['RetryableError'],
  IntervalSeconds: 2,
  MaxAttempts: 4,
  BackoffRate: 2,
  MaxDelaySeconds: 30,
  JitterStrategy: 'FULL',
};

let template: Template;
type Definition = { StartAt: string; TimeoutSeconds: number; States: Record<string, Json> };
let definition: Definition;
let revokeDefinition: Definition;
let reconcileDefinition: Definition;

/** A template value as text, references rendered `<AWS::Region>` / `<LogicalId.Arn>` (safe inside JSON strings). */
function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  const intrinsic = value as Json;
  const join = intrinsic['Fn::Join'] as [string, unknown[]] | undefined;
  if (join) return join[1].map(flatten).join(join[0]);
  if (typeof intrinsic.Ref === 'string') return `<${intrinsic.Ref}>`;
  const getAtt = intrinsic['Fn::GetAtt'] as [string, string] | undefined;
  if (getAtt) return `<${getAtt.join('.')}>`;
  throw new Error(`unexpected intrinsic ${JSON.stringify(value)}`);
}

const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const resourcesOf = (s: Statement) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]).map(flatten);

/** A workflow's first state: `"dryRun": true` in the input goes to the plan (and the end), else to the run. */
const dryRunChoice = (plan: string, run: string) => ({
  Type: 'Choice',
  Choices: [
    {
      And: [
        { Variable: '$.dryRun', IsPresent: true },
        { Variable: '$.dryRun', BooleanEquals: true },
      ],
      Next: plan,
    },
  ],
  Default: run,
});

/** The statements of the operators' managed policy (the stack has one), and one of them by its Sid. */
const operatorStatements = () =>
  Object.values(template.findResources('AWS::IAM::ManagedPolicy'))[0]?.Properties.PolicyDocument
    .Statement as (Statement & { Sid: string })[];
const operatorStatement = (sid: string) => operatorStatements().find((s) => s.Sid === sid) as Statement;

/** The statements of each function's role, keyed by the function's handler id. */
function statementsByHandler(): Record<string, Statement[]> {
  const functions = template.findResources('AWS::Lambda::Function');
  const policies = Object.values(template.findResources('AWS::IAM::Policy'));
  return Object.fromEntries(
    Object.values(functions).map((fn) => {
      const roleId = (fn.Properties.Role as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
      const statements = policies
        .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleId))
        .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
      return [fn.Metadata['provisioner:handler'] as string, statements];
    }),
  );
}

function allowedSecretActions(statements: Statement[]): Record<string, string[]> {
  const granted: Record<string, string[]> = {};
  for (const s of statements.filter((st) => st.Effect === 'Allow')) {
    for (const action of actionsOf(s).filter((a) => a.startsWith('secretsmanager:'))) {
      for (const resource of resourcesOf(s)) {
        const pattern = resource.split(':secret:')[1] ?? resource.replace(/\w{8}>$/, '');
        granted[pattern] = [...(granted[pattern] ?? []), action];
      }
    }
  }
  for (const actions of Object.values(granted)) actions.sort();
  return granted;
}

beforeAll(() => {
  // Prepare: the app as `cdk synth` builds it (cdk.json context), asset bundling skipped.
  const { context } = JSON.parse(readFileSync('cdk.json', 'utf8')) as { context: Json };
  const app = new App({ context: { ...context, 'aws:cdk:bundling-stacks': [] } });
  const stack = new ProvisionerStack(app, STACK_NAME);
  // Act
  template = Template.fromStack(stack);
  const machines = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
  const definitionOf = (workflow: string) =>
    JSON.parse(
      flatten(
        machines.find((m) => m.Metadata['provisioner:workflow'] === workflow)?.Properties.DefinitionString,
      ),
    );
  definition = definitionOf('provision');
  revokeDefinition = definitionOf('revoke');
  reconcileDefinition = definitionOf('reconcile');
});

/** Secrets Manager actions as IAM names them, sorted as allowedSecretActions sorts them. */
const sm = (...actions: string[]) => actions.map((a) => `secretsmanager:${a}`).sort();
const READ = sm('GetSecretValue');
/** Checks a credential and keeps the token a broker's check mints, as a version of the credential's secret. */
const KEEP_TOKEN = sm('DescribeSecret', 'GetSecretValue', 'PutSecretValue');
/** Opens an operator task to remove a credential: what it reads of the credential, and the task's notice. */
const OPEN_REVOCATION_TASK = sm(
  'CreateSecret',
  'DescribeSecret',
  'GetSecretValue',
  'PutSecretValue',
  'TagResource',
);

/**
 * One function's Secrets Manager grants: ListSecrets (on `*`, it takes no resource), and the actions
 * on target definitions (`provisioner/targets/*`), on credentials (`provisioner/*`) and on the
 * intake's webhook secret.
 */
interface SecretGrants {
  readonly lists?: true;
  readonly targets?: readonly string[];
  readonly credentials?: readonly string[];
  readonly webhookSecret?: readonly string[];
  /** An earlier release's token secrets (`<credential>/access-token`), which the migration deletes. */
  readonly legacyTokenSecrets?: readonly string[];
}

/** The grants as allowedSecretActions reports them: actions by resource pattern. */
function secretGrants(grants: SecretGrants): Record<string, readonly string[]> {
  return {
    ...(grants.lists ? { '*': sm('ListSecrets') } : {}),
    ...(grants.targets ? { 'provisioner/targets/*': grants.targets } : {}),
    ...(grants.credentials ? { 'provisioner/*': grants.credentials } : {}),
    ...(grants.webhookSecret ? { '<IntakeWebhookSecret': grants.webhookSecret } : {}),
    ...(grants.legacyTokenSecrets
      ? { 'provisioner/*/*/access-token-??????': grants.legacyTokenSecrets }
      : {}),
  };
}

/** Every function's Secrets Manager grants, by handler id: exactly what it needs. */
const SECRET_GRANTS: Readonly<Record<string, SecretGrants>> = {
  'validate-request': { targets: READ, credentials: sm('DescribeSecret') },
  'ensure-access-profile': { targets: READ },
  'create-api-user': { targets: READ },
  // A reused revoked secret is retagged for its new request and loses the earlier request's tags
  // (UntagResource: found by the embedded default's IAM, test/workflow/provision.test.ts).
  'issue-key-and-store': {
    targets: READ,
    credentials: sm(
      'CreateSecret',
      'DescribeSecret',
      'PutResourcePolicy',
      'PutSecretValue',
      'TagResource',
      'UntagResource',
    ),
  },
  // The key-limit check lists the product user's other keys (ListSecrets, by tag).
  'request-operator-credential': {
    lists: true,
    targets: READ,
    credentials: sm('CreateSecret', 'DescribeSecret', 'PutResourcePolicy', 'PutSecretValue', 'TagResource'),
  },
  'verify-credential': { targets: READ, credentials: KEEP_TOKEN },
  // GetSecretValue: an expiring credential's expiry is in its value (ARM).
  'finalize-credential': {
    targets: READ,
    credentials: sm('DescribeSecret', 'GetSecretValue', 'TagResource', 'UpdateSecretVersionStage'),
  },
  // The offboarding decision reads a person's credential's target and consumers, and tags its hold.
  'find-owner-credentials': {
    lists: true,
    targets: READ,
    credentials: sm('GetResourcePolicy', 'TagResource'),
  },
  'sweep-owner-credentials': {
    lists: true,
    targets: READ,
    credentials: sm('GetResourcePolicy', 'TagResource'),
  },
  // The plans read what their runs would, and write nothing.
  'plan-revocation': { lists: true, targets: READ, credentials: sm('DescribeSecret', 'GetResourcePolicy') },
  'plan-rotation': { targets: READ, credentials: sm('DescribeSecret', 'GetSecretValue') },
  'plan-reconciliation': { lists: true, targets: READ, credentials: sm('DescribeSecret', 'GetSecretValue') },
  // A fleet target's definition names the devices reconciled one by one.
  'list-targets': { lists: true, targets: READ },
  // DescribeSecret confirms an orphan by its secret's name: ListSecrets lags behind writes.
  'reconcile-target': { lists: true, targets: READ, credentials: KEEP_TOKEN },
  // The operator tasks waiting are counted from the task table (its own describe block below).
  'report-drift': {},
  // Migration: a token secret of an earlier release is deleted, and nothing else.
  'refresh-access-token': { targets: READ, credentials: KEEP_TOKEN, legacyTokenSecrets: sm('DeleteSecret') },
  'revoke-at-product': { targets: READ, credentials: sm('GetSecretValue', 'TagResource') },
  'request-operator-revocation': { targets: READ, credentials: OPEN_REVOCATION_TASK },
  'prove-revoked': { targets: READ, credentials: READ },
  // No TagResource: the DeleteSecret is what makes a credential revoked.
  'retire-credential': { credentials: sm('DeleteSecret', 'DescribeSecret', 'UpdateSecretVersionStage') },
  'report-revocation': {},
  'start-revocation': {},
  'validate-rotation': { targets: READ, credentials: sm('DescribeSecret', 'GetSecretValue') },
  'schedule-rotation': { targets: READ, credentials: sm('DescribeSecret') },
  'ensure-twin-user': { targets: READ, credentials: sm('DescribeSecret') },
  'issue-twin-key': { targets: READ, credentials: sm('DescribeSecret', 'PutSecretValue') },
  'request-rotated-credential': {
    lists: true,
    targets: READ,
    credentials: sm('CreateSecret', 'DescribeSecret', 'PutSecretValue', 'TagResource'),
  },
  // A token broker's verification mints the token consumers read next.
  // DescribeSecret shows the credential's current version before the token is put beside it.
  'verify-pending-key': { targets: READ, credentials: KEEP_TOKEN },
  'promote-pending-key': { credentials: sm('DescribeSecret', 'UpdateSecretVersionStage') },
  'retire-previous-key': { targets: READ, credentials: READ },
  'request-previous-revocation': { targets: READ, credentials: OPEN_REVOCATION_TASK },
  'prove-previous-revoked': { targets: READ, credentials: READ },
  // GetSecretValue: the new expiry of an expiring credential is in its value (ARM).
  'finalize-rotation': { targets: READ, credentials: sm('DescribeSecret', 'GetSecretValue') },
  // The task records an unfinished rotation leaves are all it deletes.
  'compensate-rotation': { targets: READ, credentials: sm('DescribeSecret', 'UpdateSecretVersionStage') },
  // The admin rotation alone writes target definitions: it stages and promotes the next admin token.
  'validate-admin-rotation': { targets: sm('DescribeSecret', 'GetSecretValue') },
  'issue-admin-key': { targets: sm('DescribeSecret', 'GetSecretValue', 'PutSecretValue') },
  'verify-admin-key': { targets: READ },
  'promote-admin-key': { targets: sm('DescribeSecret', 'UpdateSecretVersionStage') },
  'retire-admin-key': { targets: READ },
  'finalize-admin-rotation': { targets: READ },
  'compensate-admin-rotation': {
    targets: sm('DescribeSecret', 'GetSecretValue', 'UpdateSecretVersionStage'),
  },
  'ticket-intake': { webhookSecret: READ },
  // Reads the token to answer, compares with the target's credentials, stores what the product accepted.
  'accept-operator-answer': {
    lists: true,
    targets: READ,
    credentials: sm(
      'DescribeSecret',
      'GetSecretValue',
      'PutSecretValue',
      'UntagResource',
      'UpdateSecretVersionStage',
    ),
  },
  // A reused secret goes back to `revoked` (TagResource: found by the embedded default's IAM).
  'compensate-provision': {
    targets: READ,
    credentials: sm(
      'DeleteSecret',
      'DescribeSecret',
      'GetSecretValue',
      'TagResource',
      'UpdateSecretVersionStage',
    ),
  },
};

describe('ProvisionerStack', () => {
  it('runs provision as a Standard state machine with traces and data-free logs', () => {
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 6);
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: 'CredentialProvisioner-provision',
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: false }),
    });
    template.hasResource('AWS::StepFunctions::StateMachine', {
      Metadata: { 'provisioner:workflow': 'provision' },
    });
    // The operator task's 3-day deadline plus an hour for the automatic steps.
    expect(definition.TimeoutSeconds).toBe(3 * 86_400 + 3600);
  });

  it('names every state exactly and wires one function per Task', () => {
    expect(Object.keys(definition.States).sort()).toEqual(
      [...Object.keys(HANDLERS), 'IssuedBy', 'ProvisionFailed', 'ProvisionEachDevice'].sort(),
    );
    expect(definition.StartAt).toBe('ValidateRequest');
    expect(definition.States.ValidateRequest?.Next).toBe('IssuedBy');
    expect(definition.States.IssuedBy).toEqual({
      Type: 'Choice',
      Choices: [
        { Variable: '$.fleet', IsPresent: true, Next: 'ProvisionEachDevice' },
        { Variable: '$.issuance', StringEquals: 'operator', Next: 'RequestOperatorCredential' },
      ],
      Default: 'EnsureAccessProfile',
    });
    for (const [i, name] of API_PATH.slice(0, -1).entries())
      expect(definition.States[name]?.Next).toBe(API_PATH[i + 1]);
    // AcceptOperatorAnswer verified and stored the operator's credential before answering.
    expect(definition.States.RequestOperatorCredential?.Next).toBe('FinalizeCredential');
    expect(definition.States.FinalizeCredential).toMatchObject({ End: true, OutputPath: '$.Payload' });
    expect(definition.States.CompensateProvision?.Next).toBe('ProvisionFailed');
    expect(definition.States.ProvisionFailed).toEqual({
      Type: 'Fail',
      ErrorPath: '$.error.Error',
      CausePath: '$.error.Cause',
    });
  });

  it('fans a fleet request out per device: the same functions, a few devices at a time, a report per device', () => {
    const map = definition.States.ProvisionEachDevice as unknown as {
      ItemsPath: string;
      MaxConcurrency: number;
      ItemProcessor: {
        StartAt: string;
        States: Record<string, { Next?: string; Resource?: string; Parameters?: { FunctionName?: unknown } }>;
      };
    };
    expect(map).toMatchObject({ Type: 'Map', ItemsPath: '$.fleet.devices', MaxConcurrency: 4, End: true });
    const { States: inner } = map.ItemProcessor;
    expect(map.ItemProcessor.StartAt).toBe('DeviceEnsureAccessProfile');
    for (const name of API_PATH) {
      // Each device step calls the function of the step it repeats.
      expect(inner[`Device${name}`]?.Parameters?.FunctionName).toEqual(
        (definition.States[name] as { Parameters?: { FunctionName?: unknown } }).Parameters?.FunctionName,
      );
    }
    expect(inner.DeviceFinalizeCredential?.Next).toBe('DeviceProvisioned');
    expect(inner.DeviceCompensateProvision?.Next).toBe('DeviceNotProvisioned');
  });

  it('shapes each step input and output for the handlers', () => {
    const { States: s } = definition;
    expect(s.ValidateRequest).toMatchObject({
      OutputPath: '$.Payload',
      Parameters: { Payload: { 'request.$': '$', 'executionName.$': '$$.Execution.Name' } },
    });
    const ensured = { 'createdByThisRequest.$': '$.Payload.createdByThisRequest' };
    expect(s.EnsureAccessProfile).toMatchObject({ ResultSelector: ensured, ResultPath: '$.accessProfile' });
    expect(s.CreateApiUser).toMatchObject({ ResultSelector: ensured, ResultPath: '$.apiUser' });
    expect(s.IssueKeyAndStore).toMatchObject({
      ResultSelector: { 'secretArn.$': '$.Payload.secretArn', 'versionId.$': '$.Payload.versionId' },
      ResultPath: '$.credential',
    });
    expect(s.VerifyCredential).toMatchObject({ ResultPath: null });
    expect(s.CompensateProvision).toMatchObject({ ResultPath: '$.compensation' });
    // The operator's answer ({secretArn, versionId}) becomes the credential; the token goes to the Lambda.
    expect(s.RequestOperatorCredential).toMatchObject({
      Resource: expect.stringMatching(/:states:::lambda:invoke\.waitForTaskToken$/),
      TimeoutSeconds: 3 * 86_400,
      HeartbeatSeconds: 86_400,
      ResultPath: '$.credential',
      Parameters: {
        Payload: {
          'state.$': '$',
          'taskToken.$': '$$.Task.Token',
          timeoutSeconds: 3 * 86_400,
          heartbeatSeconds: 86_400,
        },
      },
    });
    for (const name of [...API_PATH, 'CompensateProvision'])
      expect(s[name]).toMatchObject({
        Resource: expect.stringMatching(/:states:::lambda:invoke$/),
        Parameters: { 'Payload.$': '$' },
      });
  });

  it('retries retryable errors with jitter and compensates any other failure', () => {
    const { States: s } = definition;
    for (const name of [...COMPENSATED, 'CompensateProvision']) {
      const retry = s[name]?.Retry as Json[];
      expect(retry[0]).toMatchObject({ ErrorEquals: LAMBDA_SERVICE_ERRORS });
      expect(retry).toContainEqual(RETRYABLE);
    }
    for (const name of COMPENSATED) {
      expect(s[name]?.Catch).toEqual([
        { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'CompensateProvision' },
      ]);
    }
    // Each attempt presents the key: 31 s apart, so FortiOS's lockout (3 failed logins in 60 s) never trips.
    expect(s.VerifyCredential?.Retry).toContainEqual({
      ErrorEquals: ['CredentialNotYetValid'],
      IntervalSeconds: 31,
      MaxAttempts: 4,
      BackoffRate: 1,
      JitterStrategy: 'NONE',
    });
    // A rejected request fails at once; compensation has nothing to fall back to.
    expect(s.ValidateRequest?.Catch).toBeUndefined();
    expect(s.ValidateRequest?.Retry).toEqual([
      expect.objectContaining({ ErrorEquals: LAMBDA_SERVICE_ERRORS }),
      LAMBDA_THROTTLED,
    ]);
    expect(s.CompensateProvision?.Catch).toBeUndefined();
  });

  it('retries a throttled Lambda invoke in every Task state of every workflow, callback tasks included', () => {
    const machines = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
    const tasksOf = (states: Record<string, Json>): [string, Json][] =>
      Object.entries(states).flatMap(([name, state]) => {
        const body = state.ItemProcessor as { States: Record<string, Json> } | undefined;
        return state.Type === 'Task' ? [[name, state]] : body ? tasksOf(body.States) : [];
      });
    const tasks = machines.flatMap((m) => {
      const { States } = JSON.parse(flatten(m.Properties.DefinitionString)) as Definition;
      return tasksOf(States).map(([name, state]): [string, Json] => [
        `${m.Metadata['provisioner:workflow']}.${name}`,
        state,
      ]);
    });
    expect(new Set(tasks.map(([name]) => name.split('.')[0]))).toEqual(
      new Set(['provision', 'rotate', 'refresh', 'revoke', 'reconcile', 'admin-rotate']),
    );
    expect(tasks.some(([, state]) => String(state.Resource).endsWith('.waitForTaskToken'))).toBe(true);
    for (const [name, state] of tasks) {
      const retry = state.Retry as Json[];
      // Right after CDK's service-exception retrier, ahead of every retrier of the handlers' own errors.
      expect(retry[1], name).toEqual(LAMBDA_THROTTLED);
      const catchAll = retry.findIndex((r) => (r.ErrorEquals as string[]).includes('States.ALL'));
      expect(catchAll === -1 || catchAll === retry.length - 1, name).toBe(true);
    }
  });

  it('builds every function for nodejs22.x on arm64 with active tracing and its handler id', () => {
    const functions = Object.values(template.findResources('AWS::Lambda::Function'));
    expect(functions.map((f) => f.Metadata['provisioner:handler']).sort()).toEqual(
      [
        ...Object.values(HANDLERS),
        ...Object.values(REVOKE_HANDLERS),
        ...ROTATE_HANDLERS,
        ...ADMIN_ROTATE_HANDLERS,
        'accept-operator-answer',
        'list-targets',
        'plan-reconciliation',
        'reconcile-target',
        'refresh-access-token',
        'report-drift',
        'start-revocation',
        'ticket-intake',
      ].sort(),
    );
    for (const fn of functions) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        MemorySize: 256,
        Timeout: 30,
        Handler: 'index.handler',
        LoggingConfig: { LogGroup: { Ref: expect.any(String) } },
        Environment: {
          Variables: {
            POWERTOOLS_SERVICE_NAME: 'credential-provisioner',
            POWERTOOLS_LOG_LEVEL: 'INFO',
            PROVISIONER_KMS_KEY_ID: { 'Fn::GetAtt': [expect.stringMatching(/^SecretsKey/), 'Arn'] },
            PROVISIONER_EVENT_BUS: 'default',
            NODE_OPTIONS: '--enable-source-maps',
          },
        },
      });
    }
  });

  it('gives functions explicit roles without managed policies', () => {
    for (const role of Object.values(template.findResources('AWS::IAM::Role')))
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });

  it('scopes every Secrets Manager statement to the stack secret prefixes', () => {
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement as Statement[],
    );
    // ListSecrets supports no resource scoping; it returns names and tags only.
    const secretStatements = statements.filter(
      (s) =>
        actionsOf(s).some((a) => a.startsWith('secretsmanager:')) &&
        !actionsOf(s).includes('secretsmanager:ListSecrets'),
    );
    const listing = statements.filter((s) => actionsOf(s).includes('secretsmanager:ListSecrets'));
    // Finding an owner's credentials and sweeping for more, listing targets, reconciling one target,
    // counting a user's keys before a first operator credential and before a rotation, comparing a
    // handed-in credential with the target's others (AcceptOperatorAnswer), planning a revocation
    // and a reconciliation (the operator tasks waiting are a Scan of their table now).
    expect(listing).toHaveLength(9);
    for (const statement of listing) {
      expect(resourcesOf(statement)).toEqual(['*']);
      expect(actionsOf(statement).filter((a) => a.startsWith('secretsmanager:'))).toEqual([
        'secretsmanager:ListSecrets',
      ]);
    }
    expect(secretStatements.length).toBeGreaterThan(0);
    for (const s of secretStatements) {
      // The intake reads exactly the webhook secret the stack creates (provisioner.intake/webhook-secret);
      // the refresh deletes the token secrets of an earlier release (`<credential>/access-token`) only.
      for (const resource of resourcesOf(s))
        expect(resource).toMatch(
          /:secret:provisioner(\/\*|\/targets\/\*|\/\*\/\*\/access-token-\?{6})$|^<IntakeWebhookSecret\w+>$/,
        );
    }
  });

  it('grants each function exactly the Secrets Manager actions it needs', () => {
    const byHandler = statementsByHandler();
    expect(
      Object.fromEntries(Object.entries(byHandler).map(([id, s]) => [id, allowedSecretActions(s)])),
    ).toEqual(Object.fromEntries(Object.entries(SECRET_GRANTS).map(([id, g]) => [id, secretGrants(g)])));
    // Writers may not touch target definitions, which hold product admin credentials.
    const denied = byHandler['issue-key-and-store']?.filter((s) => s.Effect === 'Deny') ?? [];
    expect(denied.flatMap(resourcesOf)).toEqual([expect.stringMatching(/:secret:provisioner\/targets\/\*$/)]);
  });

  it('allows KMS only through Secrets Manager for provisioner secrets, and events only on the default bus', () => {
    const byHandler = statementsByHandler();
    const kms = (id: string) =>
      [...new Set(byHandler[id]?.flatMap((s) => actionsOf(s).filter((a) => a.startsWith('kms:'))))].sort();
    expect(kms('issue-key-and-store')).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    expect(kms('verify-credential')).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    expect(kms('compensate-provision')).toEqual(['kms:Decrypt']);
    expect(kms('finalize-credential')).toEqual(['kms:Decrypt']);
    const publishers = Object.entries(byHandler)
      .filter(([, statements]) => statements.some((s) => actionsOf(s).includes('events:PutEvents')))
      .map(([id]) => id);
    expect(publishers.sort()).toEqual([
      'compensate-admin-rotation',
      'compensate-provision',
      'compensate-rotation',
      'finalize-admin-rotation',
      'finalize-credential',
      'finalize-rotation',
      'find-owner-credentials',
      'report-drift',
      'report-revocation',
      'request-operator-credential',
      'request-operator-revocation',
      'request-previous-revocation',
      'request-rotated-credential',
      'retire-credential',
      'schedule-rotation',
      'sweep-owner-credentials',
    ]);
    for (const s of Object.values(byHandler).flat()) {
      const viaService = flatten((s.Condition?.StringEquals as Json | undefined)?.['kms:ViaService'] ?? '');
      // The task table's key use: its own describe block below.
      if (actionsOf(s).some((a) => a.startsWith('kms:')) && !viaService.startsWith('dynamodb.')) {
        const condition = s.Condition as { StringEquals: Json; StringLike: Json };
        expect(flatten(condition.StringEquals['kms:ViaService'])).toBe(
          'secretsmanager.<AWS::Region>.amazonaws.com',
        );
        // Credentials, or the one webhook secret the intake reads.
        expect(flatten(condition.StringLike['kms:EncryptionContext:SecretARN'])).toMatch(
          /:secret:provisioner\/\*$|^<IntakeWebhookSecret\w+>$/,
        );
        expect(resourcesOf(s)).toEqual([expect.stringContaining('SecretsKey')]);
      }
      if (actionsOf(s).includes('events:PutEvents'))
        expect(resourcesOf(s)).toEqual([expect.stringMatching(/:event-bus\/default$/)]);
    }
  });

  it('revokes with a bounded Map: each credential revoked, proven dead and retired, or reported', () => {
    const { States: s } = revokeDefinition;
    expect(revokeDefinition.StartAt).toBe('DryRun');
    expect(s.DryRun).toEqual(dryRunChoice('PlanRevocation', 'FindOwnerCredentials'));
    expect(s.PlanRevocation?.End).toBe(true);
    expect(s.FindOwnerCredentials?.Next).toBe('RevokeByLane');
    // Two lanes side by side, one result list each: the API-revocable credentials 5 at a time, the
    // ones a person revokes up to an inline Map's 40 at once (their tasks hold their slots).
    expect(s.RevokeByLane).toMatchObject({
      Type: 'Parallel',
      ResultSelector: { 'byApi.$': '$[0]', 'byOperator.$': '$[1]' },
      ResultPath: '$.results',
      Next: 'ContinuesInNextExecution',
    });
    const [byApi, byOperator] = (s.RevokeByLane?.Branches ?? []) as { States: Record<string, Json> }[];
    expect(byApi?.States.RevokeEach).toMatchObject({
      Type: 'Map',
      ItemsPath: '$.credentials.byApi',
      MaxConcurrency: 5,
      ItemSelector: { 'credential.$': '$$.Map.Item.Value' },
    });
    expect(byOperator?.States.RevokeEachInOperatorLane).toMatchObject({
      Type: 'Map',
      ItemsPath: '$.credentials.byOperator',
      MaxConcurrency: 40,
      ItemSelector: { 'credential.$': '$$.Map.Item.Value' },
    });
    // Only the last execution of a continued revocation sweeps; the others hand on to the next.
    expect(s.ContinuesInNextExecution).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.continueAfter', IsString: true, Next: 'ReportRevocation' }],
      Default: 'WaitOutListingLag',
    });
    // ListSecrets may miss the last minutes: wait that out, list again, revoke what no pass handled.
    expect(s.WaitOutListingLag).toMatchObject({ Type: 'Wait', Seconds: 360, Next: 'SweepOwnerCredentials' });
    expect(s.SweepOwnerCredentials).toMatchObject({ OutputPath: '$.Payload', Next: 'FoundMoreCredentials' });
    expect(s.FoundMoreCredentials).toMatchObject({
      Type: 'Choice',
      Choices: [
        {
          Or: [
            { Variable: '$.credentials.byApi[0]', IsPresent: true },
            { Variable: '$.credentials.byOperator[0]', IsPresent: true },
          ],
          Next: 'RevokeByLane',
        },
      ],
      Default: 'ReportRevocation',
    });
    const lane = (branch: { States: Record<string, Json> } | undefined, map: string) =>
      (branch?.States[map]?.ItemProcessor as { States: Record<string, Json> } | undefined)?.States ?? {};
    const body = lane(byApi, 'RevokeEach');
    // The operator lane runs the same states, each named apart (names are unique across a definition).
    const operatorBody = lane(byOperator, 'RevokeEachInOperatorLane');
    const stripped = (state: Json) => JSON.parse(JSON.stringify(state).replaceAll('InOperatorLane', ''));
    expect(Object.keys(operatorBody).sort()).toEqual(
      Object.keys(body)
        .map((n) => `${n}InOperatorLane`)
        .sort(),
    );
    for (const [name, state] of Object.entries(body))
      expect(stripped(operatorBody[`${name}InOperatorLane`] as Json), name).toEqual(state);
    expect(Object.keys(body).sort()).toEqual(
      [
        'CredentialNotRevoked',
        'CredentialNotRevokedByStepFunctions',
        'CredentialNotRevokedWithoutCause',
        'LambdaErrorDocument',
        'NeedsOperator',
        'WhyNotRevoked',
        'ProveRevoked',
        'RequestOperatorRevocation',
        'RetireCredential',
        'RevokeAtProduct',
      ].sort(),
    );
    for (const name of ['RevokeAtProduct', 'RequestOperatorRevocation', 'ProveRevoked', 'RetireCredential'])
      expect(body[name]?.Catch).toEqual([
        { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'WhyNotRevoked' },
      ]);
    // A failed credential's result keeps a Lambda error's errorMessage, not its stack trace.
    expect(body.CredentialNotRevoked?.Parameters).toMatchObject({
      'cause.$': '$.failure.document.errorMessage',
    });
    expect(body.ProveRevoked?.Retry).toContainEqual(
      expect.objectContaining({ ErrorEquals: ['CredentialStillValid'] }),
    );
    // An inconclusive answer gets the chances of a still-valid one before it is reported unproven.
    expect(body.ProveRevoked?.Retry).toContainEqual(
      expect.objectContaining({ ErrorEquals: ['RevocationUnproven'], IntervalSeconds: 31, MaxAttempts: 4 }),
    );
    expect(body.RequestOperatorRevocation).toMatchObject({
      Resource: expect.stringMatching(/waitForTaskToken$/),
      TimeoutSeconds: 3 * 86_400,
      HeartbeatSeconds: 86_400,
      Next: 'ProveRevoked',
    });
    expect(s.ReportRevocation).toMatchObject({ End: true, OutputPath: '$.Payload' });
  });

  it('routes deactivation events to a starter that may start revoke executions and nothing else', () => {
    // The alert rules (source credential-provisioner) notify people; the Okta rule needs its partner bus (test/infra/alerts.test.ts).
    const rules = Object.values(template.findResources('AWS::Events::Rule')).filter(
      (r) => r.Properties.EventPattern && r.Properties.EventPattern.source[0] !== 'credential-provisioner',
    );
    expect(rules.map((r) => r.Properties.EventPattern)).toEqual([
      { source: ['provisioner.directory'], 'detail-type': ['User Deactivated', 'Group Deleted'] },
    ]);
    for (const rule of rules) {
      expect(rule.Properties.Targets).toEqual([
        expect.objectContaining({
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 86_400 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [expect.stringMatching(/DeadLetters/), 'Arn'] } },
        }),
      ]);
    }
    const starter = statementsByHandler()['start-revocation'] ?? [];
    const starts = starter.filter((s) => actionsOf(s).includes('states:StartExecution'));
    expect(starts.flatMap(resourcesOf)).toEqual([expect.stringMatching(/^<RevokeWorkflowStateMachine\w+>$/)]);
  });

  it('takes signed tickets on a public function URL that may start the two workflows and read its secret', () => {
    template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'NONE' });
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'provisioner.intake/webhook-secret',
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SecretsKey'), 'Arn'] },
      GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true },
    });
    const intake = statementsByHandler()['ticket-intake'] ?? [];
    const starts = intake.filter((s) => actionsOf(s).includes('states:StartExecution')).flatMap(resourcesOf);
    expect(starts.sort()).toEqual([
      expect.stringMatching(/^<ProvisionWorkflowStateMachine\w+>$/),
      expect.stringMatching(/^<RevokeWorkflowStateMachine\w+>$/),
    ]);
    const urls = Object.values(template.findOutputs('*')).map((o) => JSON.stringify(o.Value));
    expect(urls.some((v) => /IntakeTicketIntakeFunctionFunctionUrl\w+","FunctionUrl"/.test(v))).toBe(true);
  });

  it('rotates by twin users or by an operator: pending, verify, promote, a grace period, then the old credential retired', () => {
    const machines = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
    const rotate = machines.find((m) => m.Metadata['provisioner:workflow'] === 'rotate');
    const { States: s, StartAt } = JSON.parse(flatten(rotate?.Properties.DefinitionString)) as Definition;
    const twinPath = [
      'EnsureTwinUser',
      'IssueTwinKey',
      'VerifyPendingKey',
      'PromotePendingKey',
      'GracePeriod',
      'RetirePreviousKey',
      'PreviousNeedsOperator',
    ];
    expect(StartAt).toBe('DryRun');
    expect(s.DryRun).toEqual(dryRunChoice('PlanRotation', 'ScheduleRotation'));
    expect(s.PlanRotation?.End).toBe(true);
    expect(s.ScheduleRotation?.Next).toBe('AwaitRotationStart');
    expect(s.ValidateRotation?.Next).toBe('IssuedBy');
    expect(s.IssuedBy?.Choices).toEqual([
      { Variable: '$.issuance', StringEquals: 'operator', Next: 'RequestRotatedCredential' },
    ]);
    expect(s.IssuedBy?.Default).toBe('EnsureTwinUser');
    for (const [i, name] of twinPath.slice(0, -1).entries()) expect(s[name]?.Next).toBe(twinPath[i + 1]);
    // AcceptOperatorAnswer verified the credential and made it AWSCURRENT before answering.
    expect(s.RequestRotatedCredential?.Next).toBe('PromotePendingKey');
    expect(s.RequestRotatedCredential?.Resource).toMatch(/waitForTaskToken$/);
    expect(s.RequestRotatedCredential?.ResultSelector).toEqual({ 'versionId.$': '$.versionId' });
    expect(s.PreviousNeedsOperator?.Default).toBe('FinalizeRotation');
    expect(s.PreviousNeedsOperator?.Choices).toEqual([
      { Variable: '$.retired.needsOperator', BooleanEquals: true, Next: 'RequestPreviousRevocation' },
    ]);
    expect(s.RequestPreviousRevocation?.Next).toBe('ProvePreviousRevoked');
    expect(s.ProvePreviousRevoked?.Next).toBe('FinalizeRotation');
    // The credential's own grace period (rotation-timing.ts), and its start after notice and window.
    expect(s.GracePeriod).toEqual({ Type: 'Wait', SecondsPath: '$.graceSeconds', Next: 'RetirePreviousKey' });
    expect(s.AwaitRotationStart).toEqual({
      Type: 'Wait',
      TimestampPath: '$.startAt',
      Next: 'ValidateRotation',
    });
    for (const name of ['RetirePreviousKey', 'ProvePreviousRevoked'])
      for (const error of ['CredentialStillValid', 'RevocationUnproven'])
        expect(s[name]?.Retry, `${name} retries ${error}`).toContainEqual(
          expect.objectContaining({ ErrorEquals: [error], IntervalSeconds: 31, MaxAttempts: 4 }),
        );
    const tasks = Object.entries(s).filter(([, state]) => state.Type === 'Task');
    for (const [name, state] of tasks.filter(
      ([n]) => !['PlanRotation', 'ScheduleRotation', 'ValidateRotation', 'CompensateRotation'].includes(n),
    ))
      expect(state.Catch, name).toEqual([
        { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'CompensateRotation' },
      ]);
    expect(s.CompensateRotation?.Next).toBe('RotationFailed');
  });

  it('keeps one rotation schedule per credential in its own group, and one hold-end schedule per held credential', () => {
    template.hasResourceProperties('AWS::Scheduler::ScheduleGroup', { Name: 'credential-provisioner' });
    const byHandler = statementsByHandler();
    const schedulerActions = (id: string) =>
      (byHandler[id] ?? []).filter((s) => actionsOf(s).some((a) => a.startsWith('scheduler:')));
    expect(schedulerActions('finalize-credential').flatMap(actionsOf)).toEqual(['scheduler:CreateSchedule']);
    expect(schedulerActions('retire-credential').flatMap(actionsOf)).toEqual(['scheduler:DeleteSchedule']);
    for (const s of [...schedulerActions('finalize-credential'), ...schedulerActions('retire-credential')])
      expect(resourcesOf(s)).toEqual([expect.stringMatching(/:schedule\/credential-provisioner\/\*$/)]);
    const passRole = (byHandler['finalize-credential'] ?? []).find((s) =>
      actionsOf(s).includes('iam:PassRole'),
    );
    expect(passRole?.Condition).toEqual({
      StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' },
    });
    const owners = Object.entries(byHandler).filter(([, st]) =>
      st.some((s) => actionsOf(s).some((a) => a.startsWith('scheduler:'))),
    );
    // FinalizeRotation moves the one-time schedule of a credential its product expires (AutoRABIT ARM).
    expect(schedulerActions('finalize-rotation').flatMap(actionsOf).sort()).toEqual([
      'scheduler:CreateSchedule',
      'scheduler:DeleteSchedule',
    ]);
    // FinalizeAdminRotation (and EnsureAdminSchedules) creates a target's admin rotation schedules
    // and replaces them when its policy's adminKeyMaxAgeDays changed, never deletes one.
    expect(schedulerActions('finalize-admin-rotation').flatMap(actionsOf).sort()).toEqual([
      'scheduler:CreateSchedule',
      'scheduler:UpdateSchedule',
    ]);
    // An offboarding that holds a credential creates its hold-end schedule, and only those (hold-*).
    for (const id of ['find-owner-credentials', 'sweep-owner-credentials']) {
      expect(schedulerActions(id).flatMap(actionsOf), id).toEqual(['scheduler:CreateSchedule']);
      expect(schedulerActions(id).flatMap(resourcesOf), id).toEqual([
        expect.stringMatching(/:schedule\/credential-provisioner\/hold-\*$/),
      ]);
    }
    expect(owners.map(([id]) => id).sort()).toEqual([
      'finalize-admin-rotation',
      'finalize-credential',
      'finalize-rotation',
      'find-owner-credentials',
      'retire-credential',
      'sweep-owner-credentials',
    ]);
  });

  it('reconciles every day, two targets at a time, and alarms on drift that needs a person', () => {
    const daily = Object.values(template.findResources('AWS::Events::Rule')).filter(
      (r) => r.Properties.ScheduleExpression,
    );
    expect(daily.map((r) => r.Properties.ScheduleExpression)).toEqual(['rate(1 day)']);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'DriftFound',
      Namespace: 'CredentialProvisioner',
      Threshold: 1,
    });
    const describes = (statementsByHandler()['reconcile-target'] ?? []).filter((s) =>
      actionsOf(s).includes('states:DescribeExecution'),
    );
    const resources = JSON.stringify(describes.map((d) => d.Resource));
    expect(resources).toMatch(/ProvisionWorkflowStateMachine/);
    expect(resources).toMatch(/RotateWorkflowStateMachine/);
    // `repair: fix` starts a rotation of a credential whose current key broke, and nothing else.
    const starts = (statementsByHandler()['reconcile-target'] ?? []).filter((s) =>
      actionsOf(s).includes('states:StartExecution'),
    );
    expect(starts.map((s) => [actionsOf(s), JSON.stringify(s.Resource)])).toEqual([
      [['states:StartExecution'], expect.stringMatching(/^\{"Ref":"RotateWorkflowStateMachine[0-9A-F]+"\}$/)],
    ]);
  });

  it('plans a reconciliation with read-only grants: "dryRun": true ends at PlanReconciliation', () => {
    const { States: s } = reconcileDefinition;
    expect(reconcileDefinition.StartAt).toBe('DryRun');
    expect(s.DryRun).toEqual(dryRunChoice('PlanReconciliation', 'ListTargets'));
    expect(s.PlanReconciliation?.End).toBe(true);
    // Reads only: Describe, Get and List, and the key's Decrypt that GetSecretValue needs (via Secrets Manager).
    const actions = (statementsByHandler()['plan-reconciliation'] ?? [])
      .filter((st) => st.Effect === 'Allow')
      .flatMap(actionsOf)
      .filter((a) => !a.startsWith('xray:') && !a.startsWith('logs:'));
    expect(new Set(actions)).toEqual(
      new Set([
        'secretsmanager:ListSecrets',
        'secretsmanager:DescribeSecret',
        'secretsmanager:GetSecretValue',
        'kms:Decrypt',
        'states:DescribeExecution',
      ]),
    );
    // The daily run reconciles every target: its input is an empty reconcile request, not the scheduled event.
    const daily = Object.values(template.findResources('AWS::Events::Rule')).find(
      (r) => r.Properties.ScheduleExpression,
    );
    expect(daily?.Properties.Targets).toEqual([expect.objectContaining({ Input: '{}' })]);
  });

  it('raises an alarm when a revocation ends failed', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ExecutionsFailed',
      Namespace: 'AWS/States',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    template.hasOutput('RevokeStateMachineArn', {});
  });

  it('encrypts with a retained, rotating customer managed key and exports the ARNs', () => {
    template.hasResource('AWS::KMS::Key', {
      Properties: Match.objectLike({ EnableKeyRotation: true }),
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    template.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/credential-provisioner' });
    template.hasOutput('ProvisionStateMachineArn', {});
    template.hasOutput('KmsKeyArn', {});
  });

  it('gives operators one managed policy: workflows, targets, and task answers through AcceptOperatorAnswer only', () => {
    const policies = Object.values(template.findResources('AWS::IAM::ManagedPolicy'));
    expect(policies).toHaveLength(1);
    const of = (name: string) => ({
      actions: actionsOf(operatorStatement(name)),
      resources: resourcesOf(operatorStatement(name)),
    });
    const secret = (pattern: string) =>
      `arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${pattern}`;
    expect(policies[0]?.Properties.ManagedPolicyName).toBe('credential-provisioner-operator');
    expect(of('StartWorkflows').resources).toHaveLength(5);
    // The CLI finds the workflows by the stack's name: the listing has no resource-level permission.
    expect(of('FindWorkflows')).toEqual({ actions: ['states:ListStateMachines'], resources: ['*'] });
    // `provisioner revoke` lists the running revocations of the revoke workflow, and of no other.
    expect(of('ListRunningRevocations')).toEqual({
      actions: ['states:ListExecutions'],
      resources: [expect.stringMatching(/^<RevokeWorkflowStateMachine\w+>$/)],
    });
    expect(of('ManageTargets').resources).toEqual([secret('provisioner/targets/*')]);
    // Credentials (provisioner/<target>/<user>) are described, never read or written as values.
    expect(of('DescribeCredentials')).toEqual({
      actions: ['secretsmanager:DescribeSecret'],
      resources: [secret('provisioner/*')],
    });
    // `provisioner transfer`: owner tags moved and a hold's tag removed, each move announced.
    expect(of('TransferOwnership')).toEqual({
      actions: ['secretsmanager:TagResource', 'secretsmanager:UntagResource'],
      resources: [secret('provisioner/*')],
    });
    expect(of('AnnounceTransfers')).toEqual({
      actions: ['events:PutEvents'],
      resources: ['arn:<AWS::Partition>:events:<AWS::Region>:<AWS::AccountId>:event-bus/default'],
    });
    // `provisioner rotation pause|resume`: the credentials' schedules only, the Scheduler role only to Scheduler.
    expect(of('PauseRotations')).toEqual({
      actions: ['scheduler:GetSchedule', 'scheduler:UpdateSchedule'],
      resources: [
        'arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/credential-provisioner/*',
      ],
    });
    expect(operatorStatement('PassScheduleRole').Condition).toEqual({
      StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' },
    });
    expect(of('RecordRotationPauses')).toEqual({
      actions: ['secretsmanager:UntagResource'],
      resources: [secret('provisioner/*')],
    });
    // `provisioner target remove`: target secrets and targets' admin schedules only, never a credential's.
    expect(of('RemoveTargets')).toEqual({
      actions: ['secretsmanager:DeleteSecret'],
      resources: [secret('provisioner/targets/*')],
    });
    expect(of('RemoveTargetSchedules')).toEqual({
      actions: ['scheduler:DeleteSchedule'],
      resources: [
        'arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/credential-provisioner/rotate-targets_*',
      ],
    });
    template.hasOutput('OperatorPolicyArn', {});
  });
});

describe('the operator task table', () => {
  const tableArn = /^<OperatorTasksTable\w+\.Arn>$/;
  /** Each function's DynamoDB actions and the resources they are on. */
  function dynamoDbGrants(statements: Statement[]) {
    return statements
      .filter((s) => s.Effect === 'Allow' && actionsOf(s).some((a) => a.startsWith('dynamodb:')))
      .map((s) => ({ actions: actionsOf(s).sort(), resources: resourcesOf(s) }));
  }

  it('is one on-demand table keyed by task id, under the stack key, recoverable, retained and protected', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResource('AWS::DynamoDB::Table', {
      // A failed create removes it, so its fixed name never blocks the next create.
      DeletionPolicy: 'RetainExceptOnCreate',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        TableName: 'credential-provisioner-tasks',
        KeySchema: [{ AttributeName: 'taskId', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'taskId', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
        SSESpecification: {
          SSEEnabled: true,
          SSEType: 'KMS',
          KMSMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SecretsKey'), 'Arn'] },
        },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        // Days after a task's deadline (lambdas/core/operator-task-store.ts), a forgotten record goes.
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        DeletionProtectionEnabled: true,
      },
    });
  });

  it('is written by the steps that open tasks, read and closed by AcceptOperatorAnswer, deleted by the compensations, listed by the daily report; nothing else', () => {
    const granted = Object.fromEntries(
      Object.entries(statementsByHandler()).flatMap(([id, statements]) => {
        const grants = dynamoDbGrants(statements);
        for (const grant of grants) expect(grant.resources).toEqual([expect.stringMatching(tableArn)]);
        return grants.length > 0 ? [[id, grants.flatMap((g) => g.actions)]] : [];
      }),
    );
    expect(granted).toEqual({
      'request-operator-credential': ['dynamodb:PutItem'],
      'request-rotated-credential': ['dynamodb:PutItem'],
      'request-previous-revocation': ['dynamodb:PutItem'],
      'request-operator-revocation': ['dynamodb:PutItem'],
      'compensate-provision': ['dynamodb:DeleteItem'],
      'compensate-rotation': ['dynamodb:DeleteItem'],
      'report-drift': ['dynamodb:Scan'],
      // It answers a task under the token it reads, then closes it.
      'accept-operator-answer': ['dynamodb:DeleteItem', 'dynamodb:GetItem'],
    });
    // No function keeps a grant on the task records' old home in Secrets Manager.
    expect(JSON.stringify(statementsByHandler())).not.toMatch(/\.tasks\//);
  });

  it('lets each of those use the key through DynamoDB only', () => {
    for (const [id, statements] of Object.entries(statementsByHandler())) {
      if (dynamoDbGrants(statements).length === 0) continue;
      const throughDynamoDb = statements.filter(
        (s) =>
          JSON.stringify(s.Condition ?? {}).includes('dynamodb.') && actionsOf(s).includes('kms:Decrypt'),
      );
      expect(throughDynamoDb, id).toHaveLength(1);
      expect(throughDynamoDb[0]?.Condition).toEqual({
        StringEquals: {
          'kms:ViaService': { 'Fn::Join': ['', ['dynamodb.', { Ref: 'AWS::Region' }, '.amazonaws.com']] },
        },
      });
    }
  });

  it('gives operators listing tasks (no reading one, no closing: AcceptOperatorAnswer does), and the key through DynamoDB for it', () => {
    expect(actionsOf(operatorStatement('ListTasks'))).toEqual(['dynamodb:Scan']);
    expect(resourcesOf(operatorStatement('ListTasks'))).toEqual([expect.stringMatching(tableArn)]);
    expect(operatorStatement('KeyThroughDynamoDB')).toMatchObject({
      Action: 'kms:Decrypt',
      Condition: {
        StringEquals: {
          'kms:ViaService': { 'Fn::Join': ['', ['dynamodb.', { Ref: 'AWS::Region' }, '.amazonaws.com']] },
        },
      },
    });
    expect(JSON.stringify(operatorStatements())).not.toMatch(/\.tasks\//);
  });

  it('hands every function the table name through its configuration', () => {
    for (const fn of Object.values(template.findResources('AWS::Lambda::Function')))
      expect(fn.Properties.Environment.Variables.PROVISIONER_TASK_TABLE).toBe('credential-provisioner-tasks');
  });
});

describe('AcceptOperatorAnswer (provisioner submit hands it the credential)', () => {
  const functions = () => template.findResources('AWS::Lambda::Function');
  const answerFunction = () =>
    Object.entries(functions()).find(
      ([, f]) => f.Metadata['provisioner:handler'] === 'accept-operator-answer',
    );

  it('is named for the CLI, has no function URL, runs in the products’ network like the steps that call them', () => {
    const [logicalId, fn] = answerFunction() ?? [];
    expect(fn?.Properties.FunctionName).toBe('credential-provisioner-accept-operator-answer');
    const urls = Object.values(template.findResources('AWS::Lambda::Url'));
    expect(
      urls.map((u) => (u.Properties.TargetFunctionArn as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]),
    ).not.toContain(logicalId);
    const verify = Object.values(functions()).find(
      (f) => f.Metadata['provisioner:handler'] === 'verify-credential',
    );
    expect(fn?.Properties.VpcConfig).toEqual(verify?.Properties.VpcConfig);
  });

  it('answers tasks (SendTask*), and only it and the workflow steps touch task records', () => {
    const statements = statementsByHandler()['accept-operator-answer'] ?? [];
    // One statement on `*` (task tokens have no ARN), merged with X-Ray's.
    const sends = statements.flatMap((s) =>
      actionsOf(s)
        .filter((a) => a.startsWith('states:'))
        .map((a) => `${a} on ${resourcesOf(s).join(',')}`),
    );
    expect(sends.sort()).toEqual([
      'states:SendTaskFailure on *',
      'states:SendTaskHeartbeat on *',
      'states:SendTaskSuccess on *',
    ]);
    const answerers = Object.entries(statementsByHandler())
      .filter(([, list]) => list.some((s) => actionsOf(s).includes('states:SendTaskSuccess')))
      .map(([id]) => id);
    expect(answerers).toEqual(['accept-operator-answer']);
  });

  it('is the one function the operator policy may invoke; the operator reads no credential or task token and answers no task itself', () => {
    const statements = operatorStatements();
    const [logicalId] = answerFunction() ?? [];
    const invoke = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('lambda:')));
    expect(invoke).toEqual([
      expect.objectContaining({
        Sid: 'AnswerOperatorTasks',
        Action: 'lambda:InvokeFunction',
        Resource: { 'Fn::GetAtt': [logicalId, 'Arn'] },
      }),
    ]);
    // Resources as JSON text (some name a state machine through Fn::Select).
    const actions = statements.flatMap((s) =>
      actionsOf(s).map((a) => ({ a, r: JSON.stringify(s.Resource) })),
    );
    expect(actions.filter(({ a }) => a.startsWith('states:Send'))).toEqual([]);
    const onCredentials = actions.filter(({ r }) => r.includes(':secret:provisioner/*'));
    expect(onCredentials.map(({ a }) => a)).not.toContain('secretsmanager:GetSecretValue');
    expect(onCredentials.map(({ a }) => a)).not.toContain('secretsmanager:PutSecretValue');
    expect(actions.filter(({ r }) => r.includes('provisioner.tasks/'))).toEqual([]);
  });
});
