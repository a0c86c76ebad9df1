/** Issue 16, items 3 and 4: events on the right bus, dead letters kept and alarmed, alerts that reach a person. */
import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ProvisionerStack } from '#lib/provisioner-stack.ts';

type Json = Record<string, unknown>;
const PARTNER_BUS = 'aws.partner/okta.com/example-org/0123456789';

function synth(context: Json = {}): Template {
  const { context: cdkContext } = JSON.parse(readFileSync('cdk.json', 'utf8')) as { context: Json };
  const app = new App({ context: { ...cdkContext, ...context, 'aws:cdk:bundling-stacks': [] } });
  return Template.fromStack(new ProvisionerStack(app, 'CredentialProvisioner'));
}

const template = synth({
  partnerEventBus: PARTNER_BUS,
  directoryEventBus: 'directory',
  alertEmail: 'oncall@example.com',
});
const rules = Object.values(template.findResources('AWS::Events::Rule'));
const ruleFor = (source: string) =>
  rules.find((r) => JSON.stringify(r.Properties.EventPattern?.source ?? []).includes(source));

describe('deactivation events', () => {
  it('are taken from the configured directory bus and from the partner event bus, not the default bus', () => {
    expect(ruleFor('provisioner.directory')?.Properties.EventBusName).toBe('directory');
    expect(ruleFor('aws.partner/okta.com')?.Properties.EventBusName).toBe(PARTNER_BUS);
    // Without a partner bus there is no Okta rule: on the default bus it would never receive an event.
    expect(JSON.stringify(synth().toJSON())).not.toContain('aws.partner/okta.com');
    expect(() => synth({ partnerEventBus: 'default' })).toThrow(
      /context partnerEventBus="default" is not valid/,
    );
  });

  it('of one partner event source reach two stacks of one account: each adds its own rule to the one bus', () => {
    // The partner bus is named after its event source and created once, outside the stacks
    // (CreateEventBus, EventSourceName): each stack only names it.
    const app = new App({ context: { partnerEventBus: PARTNER_BUS, 'aws:cdk:bundling-stacks': [] } });
    const built = ['CredentialProvisioner', 'Staging'].map((name) => new ProvisionerStack(app, name));
    const stacks = built.map((stack) => Template.fromStack(stack));
    for (const stack of stacks) {
      // Each stack creates its own directory bus only, never the partner bus.
      const buses = Object.values(stack.findResources('AWS::Events::EventBus'));
      expect(buses.map((b) => b.Properties.Name)).not.toContain(PARTNER_BUS);
      expect(buses.map((b) => b.Properties.EventSourceName)).toEqual(buses.map(() => undefined));
      const okta = Object.values(stack.findResources('AWS::Events::Rule')).filter((r) =>
        JSON.stringify(r.Properties.EventPattern?.source ?? []).includes('aws.partner/okta.com'),
      );
      expect(okta.map((r) => [r.Properties.EventBusName, r.Properties.Name])).toEqual([
        [PARTNER_BUS, undefined],
      ]);
    }
  });

  it('that cannot be delivered land in an encrypted dead-letter queue, as do failed starter invocations', () => {
    for (const source of ['provisioner.directory', 'aws.partner/okta.com']) {
      const [target] = (ruleFor(source)?.Properties.Targets ?? []) as Json[];
      expect(target?.DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': [expect.any(String), 'Arn'] } });
    }
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 2,
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('StarterFailures'), 'Arn'] } },
      },
    });
    for (const queue of Object.values(template.findResources('AWS::SQS::Queue')))
      expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
  });
});

describe('schedules', () => {
  it('give the schedule creators a dead-letter queue Scheduler may send to', () => {
    const finalize = Object.values(template.findResources('AWS::Lambda::Function')).find(
      (fn) => fn.Metadata['provisioner:handler'] === 'finalize-credential',
    );
    const variables = finalize?.Properties.Environment.Variables as Json;
    expect(variables.ROTATION_DEAD_LETTER_QUEUE_ARN).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^RotationSchedulesDeadLetters/), 'Arn'],
    });
    const schedulerPolicies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p.Properties.Roles).includes('RotationSchedulesSchedulerRole'),
    );
    expect(JSON.stringify(schedulerPolicies)).toContain('sqs:SendMessage');
  });
});

describe('alerts', () => {
  it('go to one KMS-encrypted topic with the e-mail subscription from context', () => {
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
    });
    synth().resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('fire on every failed, timed-out or aborted workflow execution, drift, a failed revocation and every dead letter', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms.every((a) => JSON.stringify(a.Properties.AlarmActions).includes('AlertsTopic'))).toBe(true);
    const states = alarms
      .filter((a) => a.Properties.Namespace === 'AWS/States')
      .map((a) => a.Properties.MetricName);
    // provision, rotate, refresh, revoke, reconcile and the targets' admin rotation
    expect(states.filter((m) => m === 'ExecutionsFailed')).toHaveLength(6);
    expect(states.filter((m) => m === 'ExecutionsTimedOut')).toHaveLength(6);
    expect(states.filter((m) => m === 'ExecutionsAborted')).toHaveLength(6);
    expect(alarms.some((a) => a.Properties.MetricName === 'DriftFound')).toBe(true);
    const queues = Object.keys(template.findResources('AWS::SQS::Queue'));
    const depth = alarms.filter((a) => a.Properties.MetricName === 'ApproximateNumberOfMessagesVisible');
    expect(depth).toHaveLength(queues.length);
  });

  it('fire when the daily reconciliation finds an operator task within a day of its deadline', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'CredentialProvisioner',
      MetricName: 'OperatorTasksNearDeadline',
      Dimensions: [{ Name: 'service', Value: 'credential-provisioner' }],
      Statistic: 'Maximum',
      Period: 86400,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('AlertsTopic') }],
    });
    // What publishes the metric scans the task table (projecting no token), never reads a credential.
    const report = Object.values(template.findResources('AWS::Lambda::Function')).find(
      (fn) => fn.Metadata['provisioner:handler'] === 'report-drift',
    );
    const role = report?.Properties.Role['Fn::GetAtt'][0];
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p.Properties.Roles).includes(role),
    );
    const actions = JSON.stringify(policies.map((p) => p.Properties.PolicyDocument));
    expect(actions).toContain('dynamodb:Scan');
    expect(actions).not.toContain('dynamodb:GetItem');
    expect(actions).not.toContain('secretsmanager:GetSecretValue');
  });

  it('turn action-required and rotation-failed events into readable messages', () => {
    const relay = (detailType: string) => {
      const rule = rules.find((r) => JSON.stringify(r.Properties.EventPattern).includes(detailType));
      return ((rule?.Properties.Targets ?? []) as Json[])[0]?.InputTransformer as {
        InputPathsMap: Json;
        InputTemplate: string;
      };
    };
    const action = relay('credential.action-required');
    expect(action.InputPathsMap).toMatchObject({
      'detail-taskId': '$.detail.taskId',
      'detail-deadline': '$.detail.deadline',
    });
    expect(action.InputTemplate).toContain('provisioner ack --task <detail-taskId>');
    expect(action.InputTemplate).toContain('When done: <detail-submit>');
    const rotation = relay('credential.rotation-failed');
    expect(rotation.InputTemplate).toContain(
      'provisioner rotate --target <detail-target> --api-user <detail-apiUser>',
    );
  });

  it('turn the notice before each rotation into a message saying when it starts and the grace period', () => {
    const rule = rules.find((r) =>
      JSON.stringify(r.Properties.EventPattern).includes('credential.rotation-scheduled'),
    );
    const relay = ((rule?.Properties.Targets ?? []) as Json[])[0]?.InputTransformer as {
      InputTemplate: string;
    };
    expect(relay.InputTemplate).toContain('starts at <detail-startAt>');
    expect(relay.InputTemplate).toContain('valid for <detail-gracePeriodMinutes> minutes');
  });
});

describe('ownership notices (issue 17, item 3)', () => {
  const relay = (detailType: string) => {
    const rule = rules.find((r) => JSON.stringify(r.Properties.EventPattern).includes(detailType));
    return ((rule?.Properties.Targets ?? []) as Json[])[0]?.InputTransformer as {
      InputPathsMap: Json;
      InputTemplate: string;
    };
  };

  it('tell a team which credentials a leaver requested that it keeps', () => {
    const team = relay('credential.team-member-left');
    expect(team.InputPathsMap).toMatchObject({
      'detail-team': '$.detail.team',
      'detail-member': '$.detail.member',
      'detail-credentials': '$.detail.credentials',
    });
    expect(team.InputTemplate).toContain(
      'Team <detail-team> keeps the credentials <detail-member> requested for it: <detail-credentials>',
    );
  });

  it('tell people a shared credential is held, until when, and how to release it', () => {
    const held = relay('credential.offboarding-held');
    expect(held.InputTemplate).toContain('held until <detail-heldUntil>');
    expect(held.InputTemplate).toContain('Its schedule revokes it at <detail-revokesAt>');
    expect(held.InputTemplate).toContain('provisioner transfer --from <detail-owner> --to');
  });
});

describe('the dashboard', () => {
  it('shows each workflow executions per day: succeeded, failed, timed out', () => {
    const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard?.Properties.DashboardBody);
    for (const name of ['Provision', 'Rotate', 'Refresh', 'Revoke', 'Reconcile'])
      expect(body).toContain(`${name} executions per day`);
    expect(body).toContain('ExecutionsSucceeded');
    expect(body).toContain('\\"period\\":86400');
  });

  it('shows credentials by product and status, and the operator tasks waiting and the oldest one’s age', () => {
    const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard?.Properties.DashboardBody);
    expect(body).toContain('Credentials by product and status');
    expect(body).toContain("SEARCH('{CredentialProvisioner,product,service,status} MetricName=");
    expect(body).toMatch(/MetricName=\\+"Credentials\\+"', 'Maximum', 86400\)/);
    expect(body).toContain('Operator tasks waiting');
    for (const metric of ['OperatorTasksWaiting', 'OperatorTaskOldestAge', 'OperatorTasksNearDeadline'])
      expect(body).toContain(metric);
    expect(body).toContain('Deactivation to the last credential proven refused');
    expect(body).toContain('DeactivationToLastRefusal');
  });
});

describe('every notification rule', () => {
  // EventBridge refuses a target whose InputTemplate names a placeholder InputPathsMap lacks
  // (PutTargets; LocalStack's AWS-validated `missing-key-exception-error` snapshot): any `<word>`
  // in a message is a placeholder, so a literal one ("--to <owner>") would fail the deploy.
  it('names in its InputTemplate only placeholders its InputPathsMap defines', () => {
    const transformers = rules.flatMap((rule) =>
      (
        (rule.Properties.Targets ?? []) as {
          InputTransformer?: { InputPathsMap?: Json; InputTemplate: string };
        }[]
      ).flatMap((target) => (target.InputTransformer ? [target.InputTransformer] : [])),
    );
    expect(transformers.length).toBeGreaterThan(3);
    for (const { InputPathsMap = {}, InputTemplate } of transformers) {
      const placeholders = [...InputTemplate.matchAll(/<([^<>]+)>/g)].map(([, name]) => name);
      expect(placeholders.filter((name) => name === undefined || !(name in InputPathsMap))).toEqual([]);
    }
  });
});
