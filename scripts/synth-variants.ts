/**
 * Writes the template of each deployment variant (network none, new, existing; the HTTP API intake)
 * to a directory, synthesized in-process with asset bundling skipped (templates only), for CI to
 * run cfn-lint on: `tsx scripts/synth-variants.ts <dir>`. Each variant passes cdk-nag here too.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ProvisionerStack } from '#lib/provisioner-stack.ts';

const MANAGEMENT = '10.20.0.0/16';
const EXISTING = {
  network: 'existing',
  vpcId: 'vpc-0123456789abcdef0',
  subnetIds: 'subnet-0123456789abcdef0,subnet-0fedcba9876543210',
  availabilityZones: 'us-east-1a,us-east-1b',
  managementCidrs: MANAGEMENT,
};

/** Each variant's context, and the regions cfn-lint checks it for (printed for .ci/run). */
const VARIANTS: Record<string, { context: Record<string, string>; regions: string[] }> = {
  'network-none': { context: {}, regions: ['us-east-1'] },
  'network-new': { context: { network: 'new', managementCidrs: MANAGEMENT }, regions: ['us-east-1'] },
  'network-existing': { context: EXISTING, regions: ['us-east-1'] },
  'network-existing-nat': {
    context: { ...EXISTING, egressCidrs: '203.0.113.10/32' },
    regions: ['us-east-1'],
  },
  // A region without function URLs (docs/deploy-to-production.md).
  'intake-http-api': { context: { intake: 'http-api' }, regions: ['us-east-1', 'eu-central-2'] },
};

const [directory = 'cdk.variants'] = process.argv.slice(2);
mkdirSync(directory, { recursive: true });
const { context: cdkContext } = JSON.parse(readFileSync('cdk.json', 'utf8')) as {
  context: Record<string, unknown>;
};
for (const [name, { context, regions }] of Object.entries(VARIANTS)) {
  const app = new App({ context: { ...cdkContext, ...context, 'aws:cdk:bundling-stacks': [] } });
  const stack = new ProvisionerStack(app, 'CredentialProvisioner');
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const template = app.synth().getStackArtifact(stack.artifactId).template;
  const file = join(directory, `${name}.template.json`);
  writeFileSync(file, JSON.stringify(template, null, 1));
  process.stdout.write(`${file} ${regions.join(' ')}\n`);
}
