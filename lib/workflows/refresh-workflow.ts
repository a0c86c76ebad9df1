import { Duration } from 'aws-cdk-lib';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { ACCESS_TOKEN_WRITES } from '../provisioner-function.ts';
import { RETRYABLE, Workflow, type WorkflowProps } from './workflow-base.ts';

/**
 * Refresh (token-broker products): on its schedule, a new bearer token from the stored credential,
 * kept under its staging label in the credential's secret before the last one expires.
 */
export class RefreshWorkflow extends Workflow {
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: WorkflowProps) {
    super(scope, id, props, 'refresh');
    const refresh = this.entryStep('RefreshAccessToken', 'refresh-access-token');
    refresh.fn.grantReadTargets();
    refresh.fn.grantCredentialSecrets('GetSecretValue', ...ACCESS_TOKEN_WRITES);
    refresh.fn.grantRetireLegacyAccessTokens();
    refresh.fn.grantKey('kms:Decrypt', 'kms:GenerateDataKey');
    refresh.task.addRetry(RETRYABLE);
    this.stateMachine = this.createStateMachine(refresh.task, Duration.minutes(15));
  }
}
