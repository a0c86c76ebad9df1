import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ProvisionerStack, STACK_NAME } from '../lib/provisioner-stack.ts';

const app = new App();
const { CDK_DEFAULT_ACCOUNT: account, CDK_DEFAULT_REGION: region } = process.env;
new ProvisionerStack(app, STACK_NAME, { env: account || region ? { account, region } : undefined });
// cdk-nag 3 is a policy validation plugin (no longer an Aspect): any unacknowledged finding fails synth.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
