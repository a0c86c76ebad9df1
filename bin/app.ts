import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { stackNameOf } from '../lib/deployment-settings.ts';
import { ProvisionerStack } from '../lib/provisioner-stack.ts';

const app = new App();
// Environment-agnostic (no env): account and region stay pseudo parameters, never literals in the template.
new ProvisionerStack(app, stackNameOf(app.node));
// cdk-nag 3 is a policy validation plugin (no longer an Aspect): any unacknowledged finding fails synth.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
