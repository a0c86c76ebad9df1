/**
 * Who can read stored keys, as the template decides it (issue 14, item 17): the functions' roles
 * live under the stack's role path, which the credentials' resource policies let read; every
 * function knows those readers; and the stack's key decrypts only through Secrets Manager.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ENV } from '#core/config.ts';
import { HANDLER_METADATA } from '#lib/provisioner-function.ts';
import { ProvisionerStack, STACK_NAME } from '#lib/provisioner-stack.ts';

type Resources = Record<
  string,
  { Type: string; Properties: Record<string, unknown>; Metadata?: Record<string, unknown> }
>;

function synth(context: Record<string, unknown> = {}): Resources {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], ...context } });
  return Template.fromStack(new ProvisionerStack(app, STACK_NAME)).toJSON().Resources as Resources;
}

const BREAK_GLASS = 'arn:aws:iam::123456789012:role/break-glass';

describe('consumer read access in the template', () => {
  const resources = synth({ credentialReaders: [BREAK_GLASS] });
  const functions = Object.values(resources).filter(
    (r) => r.Type === 'AWS::Lambda::Function' && r.Metadata?.[HANDLER_METADATA],
  );

  it("puts every function's role under the stack's role path and tells every function its readers", () => {
    // Assess
    expect(functions.length).toBeGreaterThan(20);
    for (const fn of functions) {
      const roleId = (fn.Properties.Role as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
      expect(resources[roleId]?.Properties.Path).toBe('/credential-provisioner/');
      const readers = JSON.stringify(
        (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables[
          ENV.credentialReaders
        ],
      );
      expect(readers).toContain(':role/credential-provisioner/*');
      expect(readers).toContain(BREAK_GLASS);
    }
  });

  it('refuses a credential reader that is not a role ARN, naming the key', () => {
    // Act, Assess
    expect(() => synth({ credentialReaders: ['arn:aws:iam::123456789012:role/*'] })).toThrow(
      /credentialReaders/,
    );
  });

  it('lets the stack key decrypt only through Secrets Manager or DynamoDB, for everyone but the account root', () => {
    // Prepare
    const key = Object.entries(resources).find(
      ([id, r]) => r.Type === 'AWS::KMS::Key' && id.startsWith('SecretsKey'),
    )?.[1];
    if (!key) throw new Error('the template has no SecretsKey');
    const statements = (key.Properties.KeyPolicy as { Statement: Record<string, unknown>[] }).Statement;
    // Assess
    expect(statements).toContainEqual({
      Sid: 'DecryptOnlyThroughSecretsManagerOrDynamoDB',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: ['kms:Decrypt', 'kms:ReEncrypt*'],
      Resource: '*',
      Condition: {
        StringNotEquals: {
          'kms:ViaService': [
            { 'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']] },
            { 'Fn::Join': ['', ['dynamodb.', { Ref: 'AWS::Region' }, '.amazonaws.com']] },
          ],
        },
        ArnNotEquals: {
          'aws:PrincipalArn': {
            'Fn::Join': [
              '',
              ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':root'],
            ],
          },
        },
      },
    });
  });

  it("takes directory deactivations from the stack's own bus, which only the configured putters may put on; `default` keeps the default bus", () => {
    // Prepare
    const putters = ['111122223333', 'arn:aws:iam::123456789012:role/hr-directory'];
    const own = synth({ directoryEventPutters: putters });
    const onDefault = synth({ directoryEventBus: 'default' });
    const directoryRule = (r: Resources) =>
      Object.values(r).find(
        (x) => x.Type === 'AWS::Events::Rule' && JSON.stringify(x).includes('provisioner.directory'),
      );
    // Assess
    const bus = Object.entries(own).find(([, r]) => r.Type === 'AWS::Events::EventBus');
    expect(bus?.[1].Properties.Name).toBe('credential-provisioner-directory');
    expect(directoryRule(own)?.Properties.EventBusName).toEqual({ Ref: bus?.[0] });
    const statements = Object.values(own)
      .filter((r) => r.Type === 'AWS::Events::EventBusPolicy')
      .map((r) => r.Properties.Statement as Record<string, unknown>);
    expect(statements.find((st) => st.Effect === 'Deny')).toMatchObject({
      Principal: { AWS: '*' },
      Action: 'events:PutEvents',
      Condition: {
        ArnNotEquals: { 'aws:PrincipalArn': [putters[1]] },
        StringNotEquals: { 'aws:PrincipalAccount': [putters[0]] },
      },
    });
    expect(directoryRule(onDefault)?.Properties.EventBusName).toBeUndefined();
    expect(Object.values(onDefault).some((r) => r.Type === 'AWS::Events::EventBus')).toBe(false);
    expect(() => synth({ directoryEventPutters: ['everyone'] })).toThrow(/directoryEventPutters/);
  });
});
