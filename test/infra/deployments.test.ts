/**
 * A stack that deploys twice (issue 16, item 5; issue 14, items 10 and 11): every fixed physical
 * name derives from the stack name, the webhook secret and the task records sit outside the
 * credential prefix, the intake is capped, and the template holds no region literal.
 */
import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { stackNameOf } from '#lib/deployment-settings.ts';
import { ProvisionerStack } from '#lib/provisioner-stack.ts';
import { REGIONS_WITHOUT_FUNCTION_URLS } from '#lib/triggers/intake-endpoint.ts';

type Json = Record<string, unknown>;
interface Statement {
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: unknown;
}

function synth(context: Json = {}, stackName = String(context.stackName ?? 'CredentialProvisioner')) {
  const { context: cdkContext } = JSON.parse(readFileSync('cdk.json', 'utf8')) as { context: Json };
  const app = new App({ context: { ...cdkContext, ...context, 'aws:cdk:bundling-stacks': [] } });
  return Template.fromStack(new ProvisionerStack(app, stackName));
}

/** A template value as text, pseudo parameters and references rendered `<Name>`. */
function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  const intrinsic = value as Json;
  const join = intrinsic['Fn::Join'] as [string, unknown[]] | undefined;
  if (join) return join[1].map(flatten).join(join[0]);
  if (typeof intrinsic.Ref === 'string') return `<${intrinsic.Ref}>`;
  const getAtt = intrinsic['Fn::GetAtt'] as [string, string] | undefined;
  if (getAtt) return `<${getAtt.join('.')}>`;
  return JSON.stringify(value);
}

const asList = <T>(value: T | T[]) => (Array.isArray(value) ? value : [value]);

/** Whether an IAM resource pattern (`*` and `?` wildcards) matches a secret of this name (ARN suffix added). */
function grantsSecret(resource: string, secretName: string): boolean {
  const [, pattern] = resource.split(':secret:');
  if (pattern === undefined) return false;
  const regex = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  return regex.test(`${secretName}-AbCdEf`);
}

/** The Secrets Manager actions each function's role allows on a secret of this name, by handler id. */
function secretGrantsOn(template: Template, secretName: string, secretLogicalId?: string) {
  const policies = Object.values(template.findResources('AWS::IAM::Policy'));
  const granted: Record<string, string[]> = {};
  for (const fn of Object.values(template.findResources('AWS::Lambda::Function'))) {
    const roleId = (fn.Properties.Role as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
    const statements = policies
      .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleId))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[])
      .filter((s) => s.Effect === 'Allow');
    const actions = statements.flatMap((s) =>
      asList(s.Resource)
        .map(flatten)
        .some((r) => grantsSecret(r, secretName) || (secretLogicalId && r === `<${secretLogicalId}>`))
        ? asList(s.Action).filter(
            (a) => a.startsWith('secretsmanager:') && a !== 'secretsmanager:ListSecrets',
          )
        : [],
    );
    if (actions.length > 0)
      granted[fn.Metadata['provisioner:handler'] as string] = [...new Set(actions)].sort();
  }
  return granted;
}

/** Every fixed physical name a template sets: resource names, aliases, log groups, the secret root. */
function physicalNames(template: Template): string[] {
  const nameKeys = [
    'Name',
    'AliasName',
    'StateMachineName',
    'LogGroupName',
    'FunctionName',
    'RoleName',
    'TopicName',
    'QueueName',
    'DashboardName',
    'AlarmName',
    'EventBusName',
  ];
  const names: string[] = [];
  for (const resource of Object.values(
    template.toJSON().Resources as Record<string, { Properties?: Json }>,
  )) {
    for (const key of nameKeys) {
      const value = resource.Properties?.[key];
      // A reference (a permission's FunctionName) names another resource, not a fixed name.
      if (value !== undefined && !flatten(value).startsWith('<')) names.push(flatten(value));
    }
    const variables = (resource.Properties?.Environment as { Variables?: Json } | undefined)?.Variables;
    if (variables?.PROVISIONER_SECRET_ROOT) names.push(String(variables.PROVISIONER_SECRET_ROOT));
  }
  return [...new Set(names)];
}

describe('two stacks in one account and region', () => {
  it('share no fixed physical name', () => {
    const production = physicalNames(synth());
    const staging = physicalNames(synth({ stackName: 'Staging' }));
    expect(production).toEqual(
      expect.arrayContaining([
        'credential-provisioner',
        'alias/credential-provisioner',
        'provisioner.intake/webhook-secret',
      ]),
    );
    expect(staging).toEqual(
      expect.arrayContaining([
        'credential-provisioner-Staging',
        'alias/credential-provisioner-Staging',
        'provisioner-Staging.intake/webhook-secret',
        'provisioner-Staging',
        'Staging-provision',
      ]),
    );
    expect(
      production.filter((name) => staging.includes(name)),
      JSON.stringify(production),
    ).toEqual([]);
  });

  it('grant no function of one stack anything on the other stack secrets', () => {
    const staging = synth({ stackName: 'Staging' });
    for (const name of ['provisioner/fgt/bot', 'provisioner/targets/fgt', 'provisioner.tasks/t1'])
      expect(secretGrantsOn(staging, name)).toEqual({});
    expect(Object.keys(secretGrantsOn(staging, 'provisioner-Staging/fgt/bot')).length).toBeGreaterThan(10);
  });

  it('refuses a stack name that would make an invalid schedule group, naming the key', () => {
    expect(() => synth({}, 'x'.repeat(42))).toThrow(/^stack name="x+" is not valid: expected a letter/);
    expect(() => stackNameOf(new App({ context: { stackName: 'has_underscore' } }).node)).toThrow(
      'context stackName="has_underscore" is not valid: expected a letter, then up to 40 letters, digits or hyphens',
    );
    expect(stackNameOf(new App().node)).toBe('CredentialProvisioner');
  });
});

describe('the webhook secret and the operator task records', () => {
  const template = synth();
  const webhookId = Object.keys(template.findResources('AWS::SecretsManager::Secret'))[0];

  it('can be read by the intake only, and changed by no function', () => {
    expect(secretGrantsOn(template, 'provisioner.intake/webhook-secret', webhookId)).toEqual({
      'ticket-intake': ['secretsmanager:GetSecretValue'],
    });
  });

  it('are written by the steps that open operator tasks, deleted by those that close them, read by AcceptOperatorAnswer alone', () => {
    const open = [
      'secretsmanager:CreateSecret',
      'secretsmanager:PutSecretValue',
      'secretsmanager:TagResource',
    ];
    expect(secretGrantsOn(template, 'provisioner.tasks/prov-1')).toEqual({
      'request-operator-credential': open,
      'request-rotated-credential': open,
      'request-previous-revocation': open,
      'request-operator-revocation': open,
      'compensate-provision': ['secretsmanager:DeleteSecret'],
      'compensate-rotation': ['secretsmanager:DeleteSecret'],
      // It answers the task under its token, then closes it.
      'accept-operator-answer': ['secretsmanager:DeleteSecret', 'secretsmanager:GetSecretValue'],
    });
  });
});

describe('the intake', () => {
  it('has reserved concurrency, 10 unless the intakeReservedConcurrency context says otherwise', () => {
    const handlerIs = { Metadata: { 'provisioner:handler': 'ticket-intake' } };
    synth().hasResource('AWS::Lambda::Function', {
      ...handlerIs,
      Properties: Match.objectLike({ ReservedConcurrentExecutions: 10 }),
    });
    synth({ intakeReservedConcurrency: '3' }).hasResource('AWS::Lambda::Function', {
      ...handlerIs,
      Properties: Match.objectLike({ ReservedConcurrentExecutions: 3 }),
    });
    expect(() => synth({ intakeReservedConcurrency: 0 })).toThrow(
      'context intakeReservedConcurrency=0 is not valid: expected an integer from 1 to 1000',
    );
  });

  it('is a function URL whose template refuses, in words, the regions without function URLs', () => {
    const template = synth();
    template.resourceCountIs('AWS::Lambda::Url', 1);
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 0);
    const rules = template.toJSON().Rules as Record<
      string,
      { Assertions: { Assert: Json; AssertDescription: string }[] }
    >;
    const [assertion] = Object.values(rules).flatMap((r) => r.Assertions);
    expect(assertion?.Assert).toEqual({
      'Fn::Not': [{ 'Fn::Contains': [REGIONS_WITHOUT_FUNCTION_URLS, { Ref: 'AWS::Region' }] }],
    });
    expect(assertion?.AssertDescription).toMatch(/-c intake=http-api/);
  });

  it('is an HTTP API, throttled and logged, with intake=http-api', () => {
    const template = synth({ intake: 'http-api' });
    template.resourceCountIs('AWS::Lambda::Url', 0);
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', { PayloadFormatVersion: '2.0' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: '$default' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 },
      AccessLogSettings: Match.objectLike({ DestinationArn: Match.anyValue() }),
    });
    expect(Object.keys(template.toJSON().Rules ?? {})).not.toContain(
      expect.stringMatching(/FunctionUrlRegion/),
    );
    expect(() => synth({ intake: 'api-gateway' })).toThrow(
      'context intake="api-gateway" is not valid: expected function-url or http-api',
    );
  });
});

describe('a redeploy after a failed create or a destroy', () => {
  const template = synth();

  it('finds no explicitly named log group left behind: named ones are removed with the stack', () => {
    for (const group of Object.values(template.findResources('AWS::Logs::LogGroup'))) {
      if (group.Properties.LogGroupName !== undefined) expect(group.DeletionPolicy).toBe('Delete');
    }
    // Function log groups are named by CloudFormation (unique per create) and kept for their retention.
    expect(
      Object.values(template.findResources('AWS::Logs::LogGroup')).filter((g) => g.Properties.LogGroupName),
    ).toHaveLength(6);
  });

  it('keeps only the KMS key: retained resources are exactly the key', () => {
    const retained = Object.entries(
      template.toJSON().Resources as Record<
        string,
        { Type: string; DeletionPolicy?: string; Properties?: Json }
      >,
    )
      .filter(
        ([, r]) =>
          r.DeletionPolicy === 'Retain' && !(r.Type === 'AWS::Logs::LogGroup' && !r.Properties?.LogGroupName),
      )
      .map(([, r]) => r.Type);
    expect(retained).toEqual(['AWS::KMS::Key']);
  });
});

describe('the template', () => {
  it('holds no region literal outside the list of regions without function URLs', () => {
    const { Rules: _rules, ...rest } = template().toJSON() as Json;
    expect(JSON.stringify(rest)).not.toMatch(/\b(us|eu|ap|ca|me|sa|af|il|mx)(-gov)?-[a-z]+-\d\b/);
  });
});

function template() {
  return synth();
}
