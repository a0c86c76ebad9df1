/**
 * The state machine definitions of the CDK app, synthesized in-process with asset bundling skipped
 * (docs/embedded-default.md): the same definitions that deploy are the ones that run locally. Function ARNs
 * become local ARNs named after each function's handler module (`provisioner:handler` Metadata).
 */
import { rmSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { HANDLER_METADATA } from '#lib/provisioner-function.ts';
import { ProvisionerStack, STACK_NAME } from '#lib/provisioner-stack.ts';
import { WORKFLOW_METADATA } from '#lib/workflows/workflow-base.ts';
import { LOCAL_ACCOUNT_ID as LOCAL_ACCOUNT, LOCAL_REGION } from './endpoints.ts';

type StateMachineDefinitionObject = StateMachineDefinition;

export type WorkflowKey = 'provision' | 'revoke' | 'rotate' | 'reconcile' | 'refresh';
const WORKFLOW_KEYS: readonly WorkflowKey[] = ['provision', 'revoke', 'rotate', 'reconcile', 'refresh'];

export interface SynthesizedWorkflow {
  readonly stateMachineName: string;
  readonly definition: StateMachineDefinitionObject;
}

const PSEUDO_PARAMETERS: Record<string, string> = {
  'AWS::Partition': 'aws',
  'AWS::Region': LOCAL_REGION,
  'AWS::AccountId': LOCAL_ACCOUNT,
  'AWS::URLSuffix': 'amazonaws.com',
};
/** A function ARN, optionally qualified with a version or alias. */
const FUNCTION_ARN = /^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:([A-Za-z0-9_-]{1,64})(?::[A-Za-z0-9$_-]+)?$/;

interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
}

/** An EventBridge rule of the stack: its pattern and the handler ids of its Lambda targets. */
export interface SynthesizedRule {
  readonly name: string;
  readonly eventPattern: Record<string, unknown>;
  readonly handlerIds: readonly string[];
}

let cached: { workflows: Record<WorkflowKey, SynthesizedWorkflow>; rules: SynthesizedRule[] } | undefined;

/** Every workflow of the stack, keyed by its `provisioner:workflow` Metadata; synthesized once per process. */
export function synthesizeWorkflows(): Record<WorkflowKey, SynthesizedWorkflow> {
  cached ??= synthesize();
  return cached.workflows;
}

/** Every EventBridge rule of the stack, from the same synthesis. */
export function synthesizeRules(): SynthesizedRule[] {
  cached ??= synthesize();
  return cached.rules;
}

/** The handler id of a local function ARN: its function name. */
export function handlerIdFromFunctionArn(arn: string): string {
  const match = FUNCTION_ARN.exec(arn);
  if (!match?.[1]) throw new Error(`not a Lambda function ARN: ${arn}`);
  return match[1];
}

function synthesize() {
  // One local bus stands for every bus, the partner bus among them: its rule is synthesized with a
  // placeholder name so that local Okta events reach it (docs/embedded-default.md).
  const app = new App({
    context: { 'aws:cdk:bundling-stacks': [], partnerEventBus: 'aws.partner/okta.com/local/events' },
  });
  const stack = new ProvisionerStack(app, STACK_NAME);
  const assembly = app.synth();
  const resources = assembly.getStackArtifact(stack.artifactId).template.Resources as Record<
    string,
    CfnResource
  >;
  // The template is all we need; do not leave a cloud assembly in the temp directory per process.
  rmSync(assembly.directory, { recursive: true, force: true });

  const found: Partial<Record<WorkflowKey, SynthesizedWorkflow>> = {};
  const rules: SynthesizedRule[] = [];
  for (const [logicalId, resource] of Object.entries(resources)) {
    // Clock-driven rules (a daily reconciliation) have no pattern to route events by.
    if (resource.Type === 'AWS::Events::Rule' && resource.Properties?.EventPattern) {
      // Only Lambda targets run here; the alert rules' SNS targets have no local stand-in.
      const targets = ((resource.Properties?.Targets ?? []) as { Arn: unknown }[]).filter((t) =>
        isFunction((t.Arn as { 'Fn::GetAtt'?: unknown[] })['Fn::GetAtt']?.[0], resources),
      );
      if (targets.length === 0) continue;
      rules.push({
        name: logicalId,
        eventPattern: resource.Properties?.EventPattern as Record<string, unknown>,
        handlerIds: targets.map((t) => handlerIdFromFunctionArn(resolve(t.Arn, resources, logicalId))),
      });
    }
    if (resource.Type !== 'AWS::StepFunctions::StateMachine') continue;
    const key = resource.Metadata?.[WORKFLOW_METADATA];
    if (!WORKFLOW_KEYS.includes(key as WorkflowKey))
      throw new Error(
        `state machine ${logicalId} has no known ${WORKFLOW_METADATA} Metadata: ${String(key)}`,
      );
    const name = resource.Properties?.StateMachineName;
    if (typeof name !== 'string')
      throw new Error(`state machine ${logicalId} has no literal StateMachineName`);
    const text = resolve(resource.Properties?.DefinitionString, resources, logicalId);
    found[key as WorkflowKey] = { stateMachineName: name, definition: JSON.parse(text) };
  }
  for (const key of WORKFLOW_KEYS) {
    if (!found[key]) throw new Error(`the stack defines no ${key} workflow`);
  }
  return { workflows: found as Record<WorkflowKey, SynthesizedWorkflow>, rules };
}

function isFunction(logicalId: unknown, resources: Record<string, CfnResource>): boolean {
  return typeof logicalId === 'string' && resources[logicalId]?.Type === 'AWS::Lambda::Function';
}

/** A string or an `Fn::Join` of strings, function ARNs (`Fn::GetAtt`) and pseudo parameters; anything else is refused. */
function resolve(value: unknown, resources: Record<string, CfnResource>, where: string): string {
  if (typeof value === 'string') return value;
  const intrinsic = value as Record<string, unknown> | null;
  const join = intrinsic?.['Fn::Join'];
  if (Array.isArray(join) && join[0] === '' && Array.isArray(join[1]))
    return join[1].map((part: unknown) => resolve(part, resources, where)).join('');

  const ref = intrinsic?.Ref;
  if (typeof ref === 'string' && ref in PSEUDO_PARAMETERS) return PSEUDO_PARAMETERS[ref] as string;
  const [logicalId, attribute] = (intrinsic?.['Fn::GetAtt'] as unknown[] | undefined) ?? [];
  const target = typeof logicalId === 'string' && attribute === 'Arn' ? resources[logicalId] : undefined;
  if (target?.Type === 'AWS::Lambda::Function') {
    const handlerId = target.Metadata?.[HANDLER_METADATA];
    if (typeof handlerId !== 'string')
      throw new Error(`function ${logicalId} has no ${HANDLER_METADATA} Metadata`);
    return `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${handlerId}`;
  }
  throw new Error(`cannot resolve ${JSON.stringify(value)} in the definition of ${where} for local use`);
}
