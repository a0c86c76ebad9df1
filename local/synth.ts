/**
 * The state machine definitions of the CDK app, synthesized in-process with asset bundling skipped
 * (docs/embedded-default.md): the same definitions that deploy are the ones that run locally. Function ARNs
 * become local ARNs named after each function's handler module (`provisioner:handler` Metadata).
 */
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { HANDLER_METADATA } from '#lib/provisioner-function.ts';
import { ProvisionerStack, STACK_NAME } from '#lib/provisioner-stack.ts';
import { WORKFLOW_METADATA } from '#lib/workflows/workflow-base.ts';
import { LOCAL_ACCOUNT_ID as LOCAL_ACCOUNT, LOCAL_REGION } from './endpoints.ts';
import type { LocalRule } from './event-bus.ts';
import type { InputTransformer } from './input-transformer.ts';

type StateMachineDefinitionObject = StateMachineDefinition;

export type WorkflowKey = 'provision' | 'revoke' | 'rotate' | 'reconcile' | 'refresh' | 'admin-rotate';
const WORKFLOW_KEYS: readonly WorkflowKey[] = [
  'provision',
  'revoke',
  'rotate',
  'reconcile',
  'refresh',
  'admin-rotate',
];

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

/** The synthesized template's resources by logical id. */
export type TemplateResources = Readonly<Record<string, CfnResource>>;

/** An EventBridge rule of the stack: its pattern, the handler ids of its Lambda targets, its topic targets. */
export interface SynthesizedRule extends LocalRule {
  /** The rule's ARN, which its targets' permissions name as `aws:SourceArn`. */
  readonly arn: string;
}

let cached:
  | {
      resources: TemplateResources;
      workflows: Record<WorkflowKey, SynthesizedWorkflow>;
      rules: SynthesizedRule[];
    }
  | undefined;

function synthesized() {
  if (!cached) {
    const resources = synthesizeResources();
    cached = { resources, ...readWorkflowsAndRules(resources) };
  }
  return cached;
}

/** The stack's template resources (IAM roles, policies, keys, permissions): synthesized once per process. */
export function synthesizeTemplate(): TemplateResources {
  return synthesized().resources;
}

/** Every workflow of the stack, keyed by its `provisioner:workflow` Metadata. */
export function synthesizeWorkflows(): Record<WorkflowKey, SynthesizedWorkflow> {
  return synthesized().workflows;
}

/** Every EventBridge rule of the stack, from the same synthesis. */
export function synthesizeRules(): SynthesizedRule[] {
  return synthesized().rules;
}

/** The handler id of a local function ARN: its function name. */
export function handlerIdFromFunctionArn(arn: string): string {
  const match = FUNCTION_ARN.exec(arn);
  if (!match?.[1]) throw new Error(`not a Lambda function ARN: ${arn}`);
  return match[1];
}

/** Each function of the stack by its local ARN: the handler module it runs (`provisioner:handler` Metadata). */
export function functionHandlers(resources: TemplateResources): ReadonlyMap<string, string> {
  const handlers = new Map<string, string>();
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const arn = physicalId(logicalId, 'Arn', resources, {});
    handlers.set(arn, String(resource.Metadata?.[HANDLER_METADATA]));
  }
  return handlers;
}

/** The placeholder name of the Okta partner bus in the embedded default (its events are put on it). */
export const LOCAL_PARTNER_BUS = 'aws.partner/okta.com/local/events';

/** The embedded default's own role (local/environment.ts) that reads every credential: the tests check what was stored. */
const LOCAL_CREDENTIAL_READERS = ['local-administrator'] as const;

function synthesizeResources(): TemplateResources {
  // One local bus stands for every bus, the partner bus among them: its rule is synthesized with a
  // placeholder name so that local Okta events reach it (docs/embedded-default.md). The embedded
  // default's administrator reads credentials as a break-glass reader (the tests check what was
  // stored); its operator does not (AcceptOperatorAnswer compares handed-in credentials).
  const app = new App({
    context: {
      'aws:cdk:bundling-stacks': [],
      partnerEventBus: LOCAL_PARTNER_BUS,
      credentialReaders: LOCAL_CREDENTIAL_READERS.map((role) => `arn:aws:iam::${LOCAL_ACCOUNT}:role/${role}`),
      // The simulated directory publishes as the administrator (local/scenario.ts, the revoke tests).
      directoryEventPutters: [`arn:aws:iam::${LOCAL_ACCOUNT}:role/local-administrator`],
    },
  });
  const stack = new ProvisionerStack(app, STACK_NAME);
  const assembly = app.synth();
  const resources = assembly.getStackArtifact(stack.artifactId).template.Resources as TemplateResources;
  // The template is all we need; do not leave a cloud assembly in the temp directory per process.
  rmSync(assembly.directory, { recursive: true, force: true });
  return resources;
}

function readWorkflowsAndRules(resources: TemplateResources) {
  const found: Partial<Record<WorkflowKey, SynthesizedWorkflow>> = {};
  const rules: SynthesizedRule[] = [];
  for (const [logicalId, resource] of Object.entries(resources)) {
    // Clock-driven rules (a daily reconciliation) have no pattern to route events by.
    if (resource.Type === 'AWS::Events::Rule' && resource.Properties?.EventPattern) {
      // Lambda targets run here; SNS topic targets (the alerts) hand their message to the local sink.
      const all = (resource.Properties?.Targets ?? []) as {
        Arn: unknown;
        InputTransformer?: InputTransformer;
      }[];
      const targets = all.filter((t) =>
        isFunction((t.Arn as { 'Fn::GetAtt'?: unknown[] })['Fn::GetAtt']?.[0], resources),
      );
      const topics = all.filter((t) => isTopic((t.Arn as { Ref?: unknown }).Ref, resources));
      if (targets.length === 0 && topics.length === 0) continue;
      rules.push({
        name: logicalId,
        arn: resolveString({ 'Fn::GetAtt': [logicalId, 'Arn'] }, resources, logicalId),
        eventPattern: resource.Properties?.EventPattern as Record<string, unknown>,
        handlerIds: targets.map((t) => handlerIdFromFunctionArn(resolveString(t.Arn, resources, logicalId))),
        topics: topics.map((t) => ({
          topicArn: resolveString(t.Arn, resources, logicalId),
          inputTransformer: t.InputTransformer,
        })),
        eventBusName:
          resource.Properties?.EventBusName === undefined
            ? 'default'
            : resolveString(resource.Properties.EventBusName, resources, logicalId),
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
    const text = resolveString(resource.Properties?.DefinitionString, resources, logicalId);
    found[key as WorkflowKey] = { stateMachineName: name, definition: JSON.parse(text) };
  }
  for (const key of WORKFLOW_KEYS) {
    if (!found[key]) throw new Error(`the stack defines no ${key} workflow`);
  }
  return { workflows: found as Record<WorkflowKey, SynthesizedWorkflow>, rules };
}

/** The name CloudFormation would generate for a resource without one (`<stack>-<logical id>`, without its random tail). */
const generatedName = (logicalId: string) => `${STACK_NAME}-${logicalId}`.slice(0, 64);

/**
 * What `Ref` and `Fn::GetAtt …Arn` give for a resource of the stack, locally: function ARNs named
 * after the handler module (`provisioner:handler` Metadata), ARNs in each service's form
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html).
 * `physicalIds` holds what only the running services know (a secret's ARN with its random suffix).
 */
function physicalId(
  logicalId: string,
  attribute: 'Ref' | 'Arn' | 'Name',
  resources: TemplateResources,
  physicalIds: Readonly<Record<string, string>>,
): string {
  const known = physicalIds[logicalId];
  if (known !== undefined) return known;
  const resource = resources[logicalId];
  const props = resource?.Properties ?? {};
  const prefix = `arn:aws`;
  const where = `${LOCAL_REGION}:${LOCAL_ACCOUNT}`;
  const named = (key: string) =>
    typeof props[key] === 'string' ? (props[key] as string) : generatedName(logicalId);
  switch (resource?.Type) {
    case 'AWS::Lambda::Function': {
      const handlerId = resource.Metadata?.[HANDLER_METADATA];
      if (typeof handlerId !== 'string')
        throw new Error(`function ${logicalId} has no ${HANDLER_METADATA} Metadata`);
      // A function the stack names (one its callers invoke by name) keeps it; the others go by their handler module.
      const name = typeof props.FunctionName === 'string' ? props.FunctionName : handlerId;
      return attribute === 'Arn' ? `${prefix}:lambda:${where}:function:${name}` : name;
    }
    case 'AWS::IAM::Role':
      return attribute === 'Arn'
        ? `${prefix}:iam::${LOCAL_ACCOUNT}:role${typeof props.Path === 'string' ? props.Path : '/'}${named('RoleName')}`
        : named('RoleName');
    case 'AWS::IAM::ManagedPolicy':
      return `${prefix}:iam::${LOCAL_ACCOUNT}:policy/${named('ManagedPolicyName')}`;
    case 'AWS::StepFunctions::StateMachine':
      return attribute === 'Name'
        ? named('StateMachineName')
        : `${prefix}:states:${where}:stateMachine:${named('StateMachineName')}`;
    case 'AWS::KMS::Key': {
      const keyId = localKeyId(logicalId);
      return attribute === 'Arn' ? `${prefix}:kms:${where}:key/${keyId}` : keyId;
    }
    case 'AWS::Logs::LogGroup':
      return attribute === 'Arn'
        ? `${prefix}:logs:${where}:log-group:${named('LogGroupName')}:*`
        : named('LogGroupName');
    case 'AWS::Events::Rule':
      return attribute === 'Arn' ? `${prefix}:events:${where}:rule/${named('Name')}` : named('Name');
    case 'AWS::Events::EventBus':
      return attribute === 'Arn' ? `${prefix}:events:${where}:event-bus/${named('Name')}` : named('Name');
    case 'AWS::Scheduler::ScheduleGroup':
      return attribute === 'Arn'
        ? `${prefix}:scheduler:${where}:schedule-group/${named('Name')}`
        : named('Name');
    case 'AWS::SQS::Queue':
      // Ref is the queue URL; the local stack has no queue endpoint, so ARN and name are what matter.
      return attribute === 'Arn'
        ? `${prefix}:sqs:${where}:${named('QueueName')}`
        : attribute === 'Ref'
          ? `https://sqs.${LOCAL_REGION}.amazonaws.com/${LOCAL_ACCOUNT}/${named('QueueName')}`
          : named('QueueName');
    case 'AWS::DynamoDB::Table':
      return attribute === 'Arn'
        ? `${prefix}:dynamodb:${where}:table/${named('TableName')}`
        : named('TableName');
    case 'AWS::SNS::Topic':
      return attribute === 'Name' ? named('TopicName') : `${prefix}:sns:${where}:${named('TopicName')}`;
    default:
      throw new Error(
        `cannot resolve ${attribute} of ${logicalId} (${resource?.Type ?? 'not in the template'}) for local use`,
      );
  }
}

/** A KMS key id in the key's UUID form, stable per logical id. */
function localKeyId(logicalId: string): string {
  const hex = createHash('sha256').update(logicalId).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/**
 * A template value with its intrinsics resolved: `Ref` (pseudo parameters and resources),
 * `Fn::GetAtt` (`Arn`, `Name`), `Fn::Join`, `Fn::Select` and `Fn::Split`; anything else is refused.
 */
export function resolveTemplateValue(
  value: unknown,
  resources: TemplateResources,
  where: string,
  physicalIds: Readonly<Record<string, string>> = {},
): unknown {
  const again = (v: unknown) => resolveTemplateValue(v, resources, where, physicalIds);
  if (Array.isArray(value)) return value.map(again);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  const [name, argument] = entries[0] ?? [];
  if (entries.length === 1 && name !== undefined && (name === 'Ref' || name.startsWith('Fn::'))) {
    const args = argument as unknown[];
    if (name === 'Ref' && typeof argument === 'string')
      return PSEUDO_PARAMETERS[argument] ?? physicalId(argument, 'Ref', resources, physicalIds);
    if (name === 'Fn::GetAtt' && (args[1] === 'Arn' || args[1] === 'Name'))
      return physicalId(String(args[0]), args[1], resources, physicalIds);
    if (name === 'Fn::Join') return (again(args[1]) as unknown[]).join(String(args[0]));
    if (name === 'Fn::Split') return String(again(args[1])).split(String(args[0]));
    if (name === 'Fn::Select') return (again(args[1]) as unknown[])[Number(args[0])];
    throw new Error(`cannot resolve ${JSON.stringify(value)} in ${where} for local use`);
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, again(v)]));
}

function resolveString(value: unknown, resources: TemplateResources, where: string): string {
  const resolved = resolveTemplateValue(value, resources, where);
  if (typeof resolved !== 'string')
    throw new Error(`${where}: expected a string, got ${JSON.stringify(resolved)}`);
  return resolved;
}

function isFunction(logicalId: unknown, resources: Record<string, { Type?: string }>): boolean {
  return typeof logicalId === 'string' && resources[logicalId]?.Type === 'AWS::Lambda::Function';
}

function isTopic(logicalId: unknown, resources: Record<string, { Type?: string }>): boolean {
  return typeof logicalId === 'string' && resources[logicalId]?.Type === 'AWS::SNS::Topic';
}
