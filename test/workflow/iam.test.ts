/**
 * The embedded default enforces IAM from the synthesized template: remove one grant from a copy of
 * the template and the workflow that needs it fails with AWS's error, as it would in an account.
 * Messages as the IAM User Guide gives them ("Troubleshoot access denied error messages",
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html); a refused call
 * is AccessDeniedException with HTTP 400 (Secrets Manager API Reference, "Common Errors").
 */
import { GetSecretValueCommand, ListSecretsCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secretsManagerClient } from '#core/aws-clients.ts';
import { executionNameFor } from '#core/execution-names.ts';
import { WEBHOOK_SECRET_NAME } from '#core/names.ts';
import { causeMessage } from '#core/step-error.ts';
import { HANDLER_METADATA } from '#lib/provisioner-function.ts';
import { WORKFLOW_METADATA } from '#lib/workflows/workflow-base.ts';
import { localFunctionArn } from '#local/endpoints.ts';
import { type LocalEnvironment, startLocalEnvironment } from '#local/environment.ts';
import { runAsSession } from '#local/iam/caller.ts';
import type { PolicyStatement } from '#local/iam/policy.ts';
import { synthesizeTemplate, type TemplateResources } from '#local/synth.ts';
import { runExecution } from '#test/support/executions.ts';

type Resources = Record<
  string,
  { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> }
>;

/** The logical id of the role a resource names in `property` (`Fn::GetAtt [role, Arn]`). */
function roleIdOf(template: Resources, matches: (r: Resources[string]) => boolean, property: string): string {
  const resource = Object.values(template).find(matches);
  if (!resource) throw new Error('the template has no such resource');
  const role = resource.Properties?.[property] as { 'Fn::GetAtt': string[] } | undefined;
  const roleId = role?.['Fn::GetAtt'][0];
  if (!roleId) throw new Error(`the resource names no role in ${property}`);
  return roleId;
}

/** Removes from `template` (in place) every statement of `roleId`'s policies that grants `action`. */
function removeGrant(template: Resources, roleId: string, action: string): void {
  let removed = 0;
  for (const resource of Object.values(template)) {
    const roles = resource.Properties?.Roles as { Ref: string }[] | undefined;
    if (resource.Type !== 'AWS::IAM::Policy' || !roles?.some((r) => r.Ref === roleId)) continue;
    const document = resource.Properties?.PolicyDocument as { Statement: PolicyStatement[] };
    const kept = document.Statement.filter((s) => ![s.Action].flat().includes(action));
    removed += document.Statement.length - kept.length;
    document.Statement = kept;
  }
  if (removed === 0) throw new Error(`${roleId} has no grant of ${action} to remove`);
}

/**
 * A copy of the template without RequestOperatorCredential's ListSecrets and without the reconcile
 * state machine's lambda:InvokeFunction.
 */
function templateWithoutTwoGrants(): TemplateResources {
  const template = structuredClone(synthesizeTemplate()) as Resources;
  const operatorCredential = roleIdOf(
    template,
    (r) =>
      r.Type === 'AWS::Lambda::Function' && r.Metadata?.[HANDLER_METADATA] === 'request-operator-credential',
    'Role',
  );
  removeGrant(template, operatorCredential, 'secretsmanager:ListSecrets');
  const reconcile = roleIdOf(
    template,
    (r) => r.Type === 'AWS::StepFunctions::StateMachine' && r.Metadata?.[WORKFLOW_METADATA] === 'reconcile',
    'RoleArn',
  );
  removeGrant(template, reconcile, 'lambda:InvokeFunction');
  return template;
}

describe('IAM from the template (local runtime)', () => {
  let env: LocalEnvironment;
  beforeAll(async () => {
    env = await startLocalEnvironment({
      waitOverrideMs: 0,
      retryOverrideMs: 0,
      iamTemplate: templateWithoutTwoGrants(),
    });
    await env.registerTarget('forticnapp', 'cnapp');
  });
  afterAll(async () => env.close());

  it('without its ListSecrets grant, RequestOperatorCredential’s key-limit check is refused and the FortiCNAPP provision fails', async () => {
    // Prepare
    const input = {
      target: 'cnapp',
      apiUser: 'cnapp-iam',
      owner: 'bob@example.com',
      ticket: 'REQ-iam',
      serviceUser: 'svc-iam',
    };
    // Act
    const execution = await runExecution(
      env,
      env.provisionStateMachineArn,
      input,
      executionNameFor('provision', input.ticket, input),
    );
    // Assess
    expect(execution.status).toBe('FAILED');
    expect(causeMessage(execution.cause)).toMatch(/ListSecrets.*AccessDeniedException/);
  });

  it('the function’s own call is answered as AWS answers it: AccessDeniedException, HTTP 400, naming its session and the action', async () => {
    // Prepare
    const session = env.iam.functionSession(localFunctionArn('request-operator-credential'));
    const client = secretsManagerClient({
      region: env.endpoints.region,
      endpoint: env.endpoints.secretsManager,
      credentials: { accessKeyId: 'ASIA-local', secretAccessKey: 'local' },
    });
    // Act
    const refused = await runAsSession(session, () => client.send(new ListSecretsCommand({}))).catch(
      (error: unknown) => error as { name: string; message: string; $metadata: { httpStatusCode?: number } },
    );
    // Assess
    expect(refused).toMatchObject({
      name: 'AccessDeniedException',
      message: `User: ${session.arn} is not authorized to perform: secretsmanager:ListSecrets because no identity-based policy allows the secretsmanager:ListSecrets action`,
      $metadata: { httpStatusCode: 400 },
    });
    client.destroy();
  });

  it('the operator (the CLI) may not read the intake’s webhook secret: its GetSecretValue is refused', async () => {
    // Act
    const refused = await env.operator.secretsClient
      .send(new GetSecretValueCommand({ SecretId: WEBHOOK_SECRET_NAME }))
      .catch((error: unknown) => error as { name: string; message: string });
    // Assess
    const { arn } = (await env.store.describe(WEBHOOK_SECRET_NAME)) ?? {};
    expect(arn).toMatch(/:secret:provisioner\.intake\/webhook-secret-\w{6}$/);
    expect(refused).toMatchObject({
      name: 'AccessDeniedException',
      message: `User: arn:aws:sts::000000000000:assumed-role/local-operator/operator is not authorized to perform: secretsmanager:GetSecretValue on resource: ${arn} because no identity-based policy allows the secretsmanager:GetSecretValue action`,
    });
  });

  it('without lambda:InvokeFunction on its role, the reconcile state machine’s first task fails with Lambda.AWSLambdaException', async () => {
    // Act
    const execution = await runExecution(env, env.reconcileStateMachineArn, {});
    // Assess
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('Lambda.AWSLambdaException');
    expect(causeMessage(execution.cause)).toMatch(
      /assumed-role\/CredentialProvisioner-ReconcileWorkflowStateMachineRole[^/]*\/states is not authorized to perform: lambda:InvokeFunction on resource: arn:aws:lambda:us-east-1:000000000000:function:list-targets because no identity-based policy allows the lambda:InvokeFunction action/,
    );
  });
});
