/**
 * cdk-nag 3 is a CDK policy validation plugin (it replaced the v2 Aspect and NagSuppressions):
 * findings come back in a validation report, not as annotations, and are acknowledged per finding
 * with `Validations.of(construct).acknowledge()`.
 */
import { readFileSync } from 'node:fs';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { ProvisionerStack } from '#lib/provisioner-stack.ts';

function freshApp(extra: Record<string, unknown> = {}): App {
  const { context } = JSON.parse(readFileSync('cdk.json', 'utf8')) as { context: Record<string, unknown> };
  return new App({ context: { ...context, ...extra, 'aws:cdk:bundling-stacks': [] } });
}

function acknowledgments(root: IConstruct) {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          construct,
          id,
          reason,
        })),
      ),
  );
}

describe('cdk-nag AwsSolutions', () => {
  // `cdk synth` passes the CLI's account and region as CDK_DEFAULT_*, so acknowledgments must hold either way.
  it.each([
    ['without an environment', undefined, {}],
    ['with a concrete account and region', { account: '123456789012', region: 'us-east-1' }, {}],
    ['with the HTTP API intake', undefined, { intake: 'http-api' }],
    ['with a new VPC', undefined, { network: 'new', managementCidrs: '10.20.0.0/16' }],
    [
      'with an existing VPC without NAT (interface endpoints)',
      undefined,
      {
        network: 'existing',
        vpcId: 'vpc-0123456789abcdef0',
        subnetIds: 'subnet-0123456789abcdef0,subnet-0fedcba9876543210',
        availabilityZones: 'eu-west-1a,eu-west-1b',
        managementCidrs: '10.20.0.0/16',
      },
    ],
  ])('reports no unacknowledged error or warning %s', (_label, env, context) => {
    // Prepare
    const stack = new ProvisionerStack(freshApp(context), 'Nag', { env });
    // Act
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(stack);
    // Assess
    expect(report.violations.map((v) => `${v.severity} ${v.ruleName}: ${v.description}`)).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('lets the app synthesize with the pack registered, as `cdk synth` does', () => {
    // Prepare
    const app = freshApp();
    new ProvisionerStack(app, 'NagApp');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    // Act + Assess: a finding fails synthesis
    expect(() => app.synth()).not.toThrow();
  });

  it('explains every acknowledgment on the resource it concerns, never on the whole stack', () => {
    // Prepare
    const app = freshApp();
    const stack = new ProvisionerStack(app, 'NagAcks');
    // Act
    const acks = acknowledgments(app);
    // Assess
    expect(acks.length).toBeGreaterThan(0);
    for (const { construct, id, reason } of acks) {
      expect(id).toMatch(/AwsSolutions-/);
      expect(reason.length, id).toBeGreaterThanOrEqual(20);
      expect(construct === stack || construct === app || Stack.isStack(construct), id).toBe(false);
    }
    // Wildcard findings are acknowledged one resource pattern at a time.
    expect(
      acks.filter((a) => a.id.includes('AwsSolutions-IAM5')).every((a) => /IAM5\[Resource::.+\]$/.test(a.id)),
    ).toBe(true);
  });
});
