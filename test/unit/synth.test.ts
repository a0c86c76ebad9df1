import '#local/polyfills.ts';
import { existsSync } from 'node:fs';
import { StateMachine } from 'aws-local-stepfunctions';
import { describe, expect, it } from 'vitest';
import { handlerIdFromFunctionArn, synthesizeWorkflows } from '#local/synth.ts';

const HANDLER_IDS = [
  'validate-request',
  'ensure-access-profile',
  'create-api-user',
  'issue-key-and-store',
  'request-operator-credential',
  'verify-credential',
  'finalize-credential',
  'compensate-provision',
];

describe('synthesizeWorkflows', () => {
  it('resolves the provision definition from the CDK app', () => {
    // Act
    const { provision } = synthesizeWorkflows();
    // Assess
    expect(provision.stateMachineName).toBe('CredentialProvisioner-provision');
    expect(provision.definition.StartAt).toBe('ValidateRequest');
    expect(JSON.stringify(provision.definition)).not.toMatch(/Fn::|"Ref"|AWS::/);
  });

  it('maps every Task to a local function named after its handler module', () => {
    // Prepare
    const { definition } = synthesizeWorkflows().provision;
    // Act
    const tasks = Object.values(definition.States).filter((s) => s.Type === 'Task');
    const handlerIds = tasks.map((t) => {
      const { FunctionName } = t.Parameters as { FunctionName: string };
      expect(FunctionName).toMatch(/^arn:aws:lambda:us-east-1:000000000000:function:[a-z-]+$/);
      return handlerIdFromFunctionArn(FunctionName);
    });
    // Assess
    expect(handlerIds.sort()).toEqual([...HANDLER_IDS].sort());
    for (const id of handlerIds) expect(existsSync(`lambdas/handlers/${id}.ts`), id).toBe(true);
  });

  it('passes the aws-local-stepfunctions definition validation', () => {
    const { definition } = synthesizeWorkflows().provision;
    expect(() => new StateMachine(definition)).not.toThrow();
  });

  it('synthesizes once per process', () => {
    expect(synthesizeWorkflows()).toBe(synthesizeWorkflows());
  });
});

describe('handlerIdFromFunctionArn', () => {
  it('reads the function name of an ARN or a qualified ARN', () => {
    expect(handlerIdFromFunctionArn('arn:aws:lambda:us-east-1:000000000000:function:verify-credential')).toBe(
      'verify-credential',
    );
    expect(
      handlerIdFromFunctionArn('arn:aws:lambda:eu-west-1:123456789012:function:create-api-user:$LATEST'),
    ).toBe('create-api-user');
  });

  it('refuses anything else', () => {
    for (const bad of [
      'arn:aws:states:::lambda:invoke',
      'arn:aws:sqs:us-east-1:000000000000:q',
      'validate-request',
      '',
    ])
      expect(() => handlerIdFromFunctionArn(bad), bad).toThrow(/not a Lambda function ARN/);
  });
});
