/**
 * The embedded default's IAM: the policy evaluation (IAM User Guide, "Policy evaluation logic":
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html), AWS's
 * access denied messages ("Troubleshoot access denied error messages":
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html) and the roles,
 * key policy and function permissions read from the synthesized template; DynamoDB's KMS use
 * (AWS KMS Developer Guide, "How Amazon DynamoDB uses AWS KMS").
 */
import { describe, expect, it } from 'vitest';
import { WEBHOOK_SECRET_NAME } from '#core/names.ts';
import { AwsServiceError } from '#local/aws-json-server.ts';
import { LocalDynamoDb, tablesOf } from '#local/dynamodb.ts';
import { localFunctionArn } from '#local/endpoints.ts';
import { LocalIam, SESSION_TOKEN_HEADER, secretPhysicalIds } from '#local/iam/account.ts';
import {
  type AuthorizationRequest,
  accessDeniedMessage,
  evaluate,
  type PolicyDocument,
} from '#local/iam/policy.ts';
import { dynamoDbAuthorizer } from '#local/iam/service-authorizers.ts';
import { synthesizeRules, synthesizeTemplate } from '#local/synth.ts';

const ACCOUNT = '000000000000';
const role = {
  arn: `arn:aws:sts::${ACCOUNT}:assumed-role/worker/fn`,
  policyArn: `arn:aws:iam::${ACCOUNT}:role/worker`,
  account: ACCOUNT,
};
// A secret ARN in AWS's form: the name, `-` and six random characters.
const SECRET = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:provisioner/fgt/api-Ab12Cd`;
const TARGET = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:provisioner/targets/fgt-Zz99Yy`;
const ask = (action: string, resource = SECRET, context = {}): AuthorizationRequest => ({
  principal: role,
  action,
  resource,
  context,
});
const allowed = (request: AuthorizationRequest, ...identity: PolicyDocument[]) =>
  evaluate(request, { identity }).effect;
const statement = (s: PolicyDocument['Statement'][number]): PolicyDocument => ({ Statement: [s] });

describe('policy evaluation', () => {
  it('allows what an Allow matches, with wildcards in actions (case-insensitive) and resources', () => {
    const policy = statement({
      Effect: 'Allow',
      Action: 'secretsmanager:Get*',
      Resource: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:provisioner/*',
    });
    expect(allowed(ask('secretsmanager:GetSecretValue'), policy)).toBe('Allow');
    expect(allowed(ask('SecretsManager:getsecretvalue'), policy)).toBe('Allow');
    expect(allowed(ask('secretsmanager:PutSecretValue'), policy)).toBe('Deny');
    expect(
      allowed(
        ask(
          'secretsmanager:GetSecretValue',
          'arn:aws:secretsmanager:us-east-1:000000000000:secret:other-Ab12Cd',
        ),
        policy,
      ),
    ).toBe('Deny');
  });

  it('an explicit Deny wins over any Allow; NotAction and NotResource match everything else', () => {
    const allowAll = statement({ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' });
    const denyTargets = statement({
      Effect: 'Deny',
      Action: 'secretsmanager:PutSecretValue',
      Resource: 'arn:aws:secretsmanager:*:*:secret:provisioner/targets/*',
    });
    expect(allowed(ask('secretsmanager:PutSecretValue'), allowAll, denyTargets)).toBe('Allow');
    expect(
      evaluate(ask('secretsmanager:PutSecretValue', TARGET), { identity: [allowAll, denyTargets] }),
    ).toEqual({
      effect: 'Deny',
      why: 'explicit',
      in: 'identity',
    });
    expect(allowed(ask('iam:PassRole'), allowAll)).toBe('Deny');
    const notTargets = statement({
      Effect: 'Allow',
      Action: 'secretsmanager:*',
      NotResource: 'arn:aws:secretsmanager:*:*:secret:provisioner/targets/*',
    });
    expect(allowed(ask('secretsmanager:GetSecretValue'), notTargets)).toBe('Allow');
    expect(allowed(ask('secretsmanager:GetSecretValue', TARGET), notTargets)).toBe('Deny');
  });

  it('conditions: every operator and key must hold, a missing key fails a positive operator, IfExists and negations hold without it', () => {
    const viaSecretsManager = statement({
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Resource: '*',
      Condition: {
        StringEquals: { 'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com' },
        StringLike: { 'kms:EncryptionContext:SecretARN': 'arn:aws:secretsmanager:*:*:secret:provisioner/*' },
      },
    });
    const context = {
      'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com',
      'kms:EncryptionContext:SecretARN': SECRET,
    };
    expect(allowed(ask('kms:Decrypt', '*', context), viaSecretsManager)).toBe('Allow');
    expect(
      allowed(
        ask('kms:Decrypt', '*', { ...context, 'kms:ViaService': 'ec2.us-east-1.amazonaws.com' }),
        viaSecretsManager,
      ),
    ).toBe('Deny');
    expect(
      allowed(ask('kms:Decrypt', '*', { 'kms:EncryptionContext:SecretARN': SECRET }), viaSecretsManager),
    ).toBe('Deny');
    const unlessTagged = statement({
      Effect: 'Allow',
      Action: '*',
      Resource: '*',
      Condition: {
        StringNotEquals: { 'aws:ResourceTag/locked': 'yes' },
        StringEqualsIfExists: { 'aws:SourceAccount': ACCOUNT },
      },
    });
    expect(allowed(ask('secretsmanager:GetSecretValue'), unlessTagged)).toBe('Allow');
    expect(
      allowed(
        ask('secretsmanager:GetSecretValue', SECRET, { 'aws:ResourceTag/locked': 'yes' }),
        unlessTagged,
      ),
    ).toBe('Deny');
    expect(
      allowed(
        ask('secretsmanager:GetSecretValue', SECRET, { 'aws:SourceAccount': '111111111111' }),
        unlessTagged,
      ),
    ).toBe('Deny');
  });

  it('refuses a condition operator it does not evaluate instead of guessing', () => {
    const policy = statement({
      Effect: 'Allow',
      Action: '*',
      Resource: '*',
      Condition: { DateLessThan: { 'aws:CurrentTime': '2030-01-01' } },
    });
    expect(() => allowed(ask('secretsmanager:GetSecretValue'), policy)).toThrow(
      /DateLessThan is not evaluated locally/,
    );
  });

  it('a resource policy naming the caller allows on its own; one naming the account delegates to identity policies', () => {
    const namesRole = statement({
      Effect: 'Allow',
      Principal: { AWS: role.policyArn },
      Action: 'secretsmanager:GetSecretValue',
      Resource: '*',
    });
    const namesAccount = statement({
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
      Action: 'secretsmanager:GetSecretValue',
      Resource: '*',
    });
    expect(evaluate(ask('secretsmanager:GetSecretValue'), { identity: [], resource: namesRole }).effect).toBe(
      'Allow',
    );
    expect(
      evaluate(ask('secretsmanager:GetSecretValue'), { identity: [], resource: namesAccount }).effect,
    ).toBe('Deny');
    const denies = statement({ Effect: 'Deny', Principal: '*', Action: 'secretsmanager:*', Resource: '*' });
    const identity = statement({ Effect: 'Allow', Action: 'secretsmanager:*', Resource: '*' });
    expect(
      evaluate(ask('secretsmanager:GetSecretValue'), { identity: [identity], resource: denies }),
    ).toEqual({ effect: 'Deny', why: 'explicit', in: 'resource' });
  });

  it('a KMS key: identity policies count only where the key policy delegates to the account (AWS KMS Developer Guide, "Key policies")', () => {
    const identity = statement({ Effect: 'Allow', Action: 'kms:Decrypt', Resource: '*' });
    const delegates = statement({
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
      Action: 'kms:*',
      Resource: '*',
    });
    const other = statement({
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/admin` },
      Action: 'kms:*',
      Resource: '*',
    });
    expect(
      evaluate(ask('kms:Decrypt', '*'), { identity: [identity], resource: delegates, kmsKey: true }).effect,
    ).toBe('Allow');
    expect(
      evaluate(ask('kms:Decrypt', '*'), { identity: [identity], resource: other, kmsKey: true }).effect,
    ).toBe('Deny');
  });

  it('words a refusal as AWS does: no resource for an action without one, the policy type of an explicit deny', () => {
    expect(
      accessDeniedMessage(ask('secretsmanager:ListSecrets', '*'), { effect: 'Deny', why: 'implicit' }),
    ).toBe(
      'User: arn:aws:sts::000000000000:assumed-role/worker/fn is not authorized to perform: secretsmanager:ListSecrets because no identity-based policy allows the secretsmanager:ListSecrets action',
    );
    expect(
      accessDeniedMessage(ask('secretsmanager:PutSecretValue', TARGET), {
        effect: 'Deny',
        why: 'explicit',
        in: 'identity',
      }),
    ).toBe(
      `User: arn:aws:sts::000000000000:assumed-role/worker/fn is not authorized to perform: secretsmanager:PutSecretValue on resource: ${TARGET} with an explicit deny in an identity-based policy`,
    );
  });
});

describe('the account from the synthesized template', () => {
  const template = synthesizeTemplate();
  const iam = new LocalIam(
    template,
    secretPhysicalIds(template, {
      [WEBHOOK_SECRET_NAME]: `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:${WEBHOOK_SECRET_NAME}-Qw3rTy`,
    }),
  );
  const session = (handlerId: string) => iam.functionSession(localFunctionArn(handlerId));
  const refusal = (work: () => void) => {
    try {
      work();
    } catch (error) {
      return error as AwsServiceError;
    }
    return undefined;
  };

  it('each function calls as its own role, named as Lambda names the session', () => {
    expect(session('request-operator-credential').arn).toMatch(
      /^arn:aws:sts::000000000000:assumed-role\/CredentialProvisioner-ProvisionWorkflowRequestOperatorCredent[^/]*\/request-operator-credential$/,
    );
    expect(session('validate-request').roleArn).not.toBe(session('request-operator-credential').roleArn);
  });

  it('grants a function what its role allows and refuses the rest with AccessDeniedException, HTTP 400', () => {
    const list = (handlerId: string) =>
      refusal(() =>
        iam.authorize({ principal: session(handlerId), action: 'secretsmanager:ListSecrets', resource: '*' }),
      );
    expect(list('request-operator-credential')).toBeUndefined();
    const refused = list('validate-request');
    expect(refused).toBeInstanceOf(AwsServiceError);
    expect({ code: refused?.code, status: refused?.status, message: refused?.message }).toEqual({
      code: 'AccessDeniedException',
      status: 400,
      message: `User: ${session('validate-request').arn} is not authorized to perform: secretsmanager:ListSecrets because no identity-based policy allows the secretsmanager:ListSecrets action`,
    });
    // Writers are denied writes on target definitions, whatever else they may write.
    expect(
      refusal(() =>
        iam.authorize({
          principal: session('issue-key-and-store'),
          action: 'secretsmanager:PutSecretValue',
          resource: SECRET,
        }),
      ),
    ).toBeUndefined();
    expect(
      refusal(() =>
        iam.authorize({
          principal: session('issue-key-and-store'),
          action: 'secretsmanager:PutSecretValue',
          resource: TARGET,
        }),
      )?.message,
    ).toMatch(/with an explicit deny in an identity-based policy$/);
  });

  it('the key: Decrypt and GenerateDataKey through Secrets Manager as each role has them, by alias', () => {
    const keyArn = iam.keyArnOf('alias/credential-provisioner');
    expect(keyArn).toMatch(/^arn:aws:kms:us-east-1:000000000000:key\/[0-9a-f-]{36}$/);
    const kms = (handlerId: string, action: 'kms:Decrypt' | 'kms:GenerateDataKey') =>
      refusal(() => iam.authorizeKmsViaSecretsManager(session(handlerId), action, keyArn as string, SECRET))
        ?.message;
    expect(kms('issue-key-and-store', 'kms:GenerateDataKey')).toBeUndefined();
    expect(kms('ensure-access-profile', 'kms:Decrypt')).toBeUndefined();
    // Secrets Manager's own answer when the KMS call it makes as the caller is refused.
    expect(kms('ensure-access-profile', 'kms:GenerateDataKey')).toBe('Access to KMS is not allowed');
  });

  it('DynamoDB: the task table as each role has it, the key decrypted through DynamoDB; others refused in AWS’s words', () => {
    const tables = new LocalDynamoDb(tablesOf(template));
    const call = (handlerId: string, operation: string) =>
      refusal(() =>
        dynamoDbAuthorizer(
          iam,
          tables,
        )({
          operation,
          input: { TableName: 'credential-provisioner-tasks' },
          headers: { [SESSION_TOKEN_HEADER]: session(handlerId).token },
        }),
      );
    expect(call('request-operator-credential', 'PutItem')).toBeUndefined();
    expect(call('compensate-provision', 'DeleteItem')).toBeUndefined();
    expect(call('report-drift', 'Scan')).toBeUndefined();
    // Opening a task is no licence to read one back, and no other function reaches the table.
    const refused = call('request-operator-credential', 'GetItem');
    expect({ code: refused?.code, status: refused?.status, message: refused?.message }).toEqual({
      code: 'AccessDeniedException',
      status: 400,
      message: `User: ${session('request-operator-credential').arn} is not authorized to perform: dynamodb:GetItem on resource: arn:aws:dynamodb:us-east-1:000000000000:table/credential-provisioner-tasks because no identity-based policy allows the dynamodb:GetItem action`,
    });
    expect(call('verify-credential', 'Scan')?.code).toBe('AccessDeniedException');
    // The key decrypts for DynamoDB only where the role has kms:Decrypt through it.
    const keyArn = tables.kmsKeyOf('credential-provisioner-tasks') as string;
    expect(keyArn).toBe(iam.keyArnOf('alias/credential-provisioner'));
    expect(iam.kmsPermits('dynamodb', session('report-drift'), 'kms:Decrypt', keyArn, {})).toBe(true);
    expect(iam.kmsPermits('dynamodb', session('verify-credential'), 'kms:Decrypt', keyArn, {})).toBe(false);
    // A role with kms:Decrypt through Secrets Manager only is refused it through DynamoDB.
    expect(iam.kmsPermits('dynamodb', session('ensure-access-profile'), 'kms:Decrypt', keyArn, {})).toBe(
      false,
    );
  });

  it('EventBridge may invoke a rule target for its own rule only (the function permission’s aws:SourceArn)', () => {
    const rule = synthesizeRules().find((r) => r.handlerIds.includes('start-revocation'));
    const fn = localFunctionArn('start-revocation');
    const context = (sourceArn: string) => ({ 'aws:SourceArn': sourceArn, 'aws:SourceAccount': ACCOUNT });
    expect(
      iam.servicePermitted('events.amazonaws.com', 'lambda:InvokeFunction', fn, context(rule?.arn ?? '')),
    ).toBe(true);
    expect(
      iam.servicePermitted(
        'events.amazonaws.com',
        'lambda:InvokeFunction',
        fn,
        context(`arn:aws:events:us-east-1:${ACCOUNT}:rule/other`),
      ),
    ).toBe(false);
    expect(
      iam.servicePermitted(
        'events.amazonaws.com',
        'lambda:InvokeFunction',
        localFunctionArn('verify-credential'),
        context(rule?.arn ?? ''),
      ),
    ).toBe(false);
  });
});
