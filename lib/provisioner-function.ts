import { fileURLToPath } from 'node:url';
import { AssetHashType, Aws, DockerImage, Duration, Fn, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import {
  Architecture,
  type CfnFunction,
  Code,
  Function as LambdaFunction,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { buildSync } from 'esbuild';
import { DEFAULT_EVENT_BUS, ENV, SERVICE_NAME } from '#core/config.ts';
import { HANDLER_RUNTIME, handlerBuildOptions } from './bundling.ts';
import { deploymentSettings } from './deployment-settings.ts';
import { ProvisionerNetwork } from './network.ts';
import { OperatorTaskTable, type TaskRecordAction } from './operator-task-table.ts';
import { type StackNames, stackNames } from './stack-names.ts';

/** The bundling option naming a function's entry, relative to the project. */
const HANDLER_ENTRY = 'HANDLER_ENTRY';

/** CloudFormation Metadata key naming a function's handler module (read by local/synth.ts). */
export const HANDLER_METADATA = 'provisioner:handler';

/** Secrets Manager actions a handler may be granted on credential secrets. */
export type SecretAction =
  | 'CreateSecret'
  | 'DeleteSecret'
  | 'DescribeSecret'
  | 'GetResourcePolicy'
  | 'GetSecretValue'
  | 'PutResourcePolicy'
  | 'PutSecretValue'
  | 'TagResource'
  | 'UntagResource'
  | 'UpdateSecretVersionStage';

type KmsAction = 'kms:Decrypt' | 'kms:GenerateDataKey';

/**
 * What keeping a token broker's access token takes: it is a version of the credential's own secret
 * under its staging label (lambdas/core/names.ts ACCESS_TOKEN_STAGE), written in one PutSecretValue
 * once DescribeSecret shows the credential's current version; the credential's policy covers it.
 */
export const ACCESS_TOKEN_WRITES = [
  'DescribeSecret',
  'PutSecretValue',
] as const satisfies readonly SecretAction[];

const READ_ONLY: ReadonlySet<SecretAction> = new Set([
  'DescribeSecret',
  'GetResourcePolicy',
  'GetSecretValue',
]);

export interface ProvisionerFunctionProps {
  /** `lambdas/handlers/<handlerId>.ts` */
  readonly handlerId: string;
  /** The customer managed key of every secret of the stack. */
  readonly key: kms.IKey;
  /** Concurrency reserved for this function and capping it (the public intake). */
  readonly reservedConcurrency?: number;
  /** A fixed name, for a function its callers invoke by name (the CLI's AcceptOperatorAnswer). */
  readonly functionName?: string;
}

/** One Lambda function per handler module, with its own log group and an explicit least-privilege role. */
export class ProvisionerFunction extends Construct {
  readonly function: LambdaFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  private readonly key: kms.IKey;
  private readonly names: StackNames;
  /** Why this role has actions on `*`: one acknowledgment per finding, so each reason is added to it. */
  private readonly anyResourceReasons: string[] = [];
  private inNetwork = false;

  constructor(scope: Construct, id: string, props: ProvisionerFunctionProps) {
    super(scope, id);
    this.key = props.key;
    this.names = stackNames(this);
    this.logGroup = new logs.LogGroup(this, 'LogGroup', { retention: logs.RetentionDays.ONE_MONTH });
    // No AWSLambdaBasicExecutionRole: the role may write to this function's log group only.
    // Under the stack's role path: the credentials' resource policies let the roles under it read.
    this.role = new iam.Role(this, 'Role', {
      path: this.names.rolePath,
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${SERVICE_NAME} ${props.handlerId}`,
    });
    this.logGroup.grant(this.role, 'logs:CreateLogStream', 'logs:PutLogEvents');

    this.function = new LambdaFunction(this, 'Function', {
      // esbuild runs here rather than through NodejsFunction, which writes one file (--outfile) and
      // so cannot split the bundle into the chunks lib/bundling.ts explains.
      code: Code.fromAsset(fileURLToPath(new URL('..', import.meta.url)), {
        assetHashType: AssetHashType.OUTPUT,
        bundling: {
          // Never pulled: local bundling succeeds or throws.
          image: DockerImage.fromRegistry('esbuild-runs-locally'),
          // The entry travels in the options because the CDK caches a bundled asset by its options
          // as JSON, where tryBundle (a function) does not show: a closure over it would give
          // every function the first one's bundle.
          environment: { [HANDLER_ENTRY]: `lambdas/handlers/${props.handlerId}.ts` },
          local: {
            tryBundle: (outputDir, { environment }) => {
              const entry = fileURLToPath(new URL(`../${environment?.[HANDLER_ENTRY]}`, import.meta.url));
              buildSync(handlerBuildOptions(entry, outputDir, { sourcemap: true }));
              return true;
            },
          },
        },
      }),
      handler: 'index.handler',
      description: `${SERVICE_NAME} ${props.handlerId}`,
      runtime: HANDLER_RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.seconds(30),
      tracing: Tracing.ACTIVE,
      role: this.role,
      logGroup: this.logGroup,
      reservedConcurrentExecutions: props.reservedConcurrency,
      functionName: props.functionName,
      environment: {
        [ENV.serviceName]: SERVICE_NAME,
        POWERTOOLS_LOG_LEVEL: 'INFO',
        [ENV.kmsKeyId]: props.key.keyArn,
        [ENV.eventBus]: DEFAULT_EVENT_BUS,
        [ENV.secretRoot]: this.names.secretRoot,
        [ENV.taskTable]: this.names.taskTable,
        [ENV.credentialReaders]: [
          `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role${this.names.rolePath}*`,
          ...deploymentSettings(this.node).credentialReaders,
        ].join(','),
        NODE_OPTIONS: '--enable-source-maps',
      },
    });
    (this.function.node.defaultChild as CfnFunction).addMetadata(HANDLER_METADATA, props.handlerId);
    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'nodejs22.x is the runtime this project targets; nodejs24.x is adopted deliberately, not by a linter',
    });

    // Tracing.ACTIVE adds xray:PutTraceSegments / PutTelemetryRecords, which support no resource scoping.
    this.acknowledgeAnyResource('X-Ray PutTraceSegments and PutTelemetryRecords');
  }

  /** GetSecretValue on target definitions (`<root>/targets/*`), which the key also encrypts. */
  grantReadTargets(): void {
    // Reading a target means calling its product: in the stack's network, if it has one.
    const network = ProvisionerNetwork.of(this);
    if (network) this.joinNetwork(network);
    this.grantReadTargetDefinitions();
  }

  /** Reads target definitions for their policies only, calling no product: outside the network. */
  grantReadTargetDefinitions(): void {
    const targets = `${this.names.secrets.targets}*`;
    this.allow(['secretsmanager:GetSecretValue'], [this.secretArn(targets)]);
    this.grantKey('kms:Decrypt');
    this.suppressWildcard(targets, 'target definitions are added at run time by the CLI');
  }

  /**
   * Exactly `actions` on credential secrets (`<root>/*`). Writers are denied the same writes on
   * target definitions, which hold product admin credentials and are changed only by operators.
   */
  grantCredentialSecrets(...actions: SecretAction[]): void {
    const credentials = `${this.names.secrets.credentials}*`;
    this.allow(
      actions.map((a) => `secretsmanager:${a}`),
      [this.secretArn(credentials)],
    );
    const writes = actions.filter((a) => !READ_ONLY.has(a));
    if (writes.length > 0) {
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          effect: iam.Effect.DENY,
          actions: writes.map((a) => `secretsmanager:${a}`),
          resources: [this.secretArn(`${this.names.secrets.targets}*`)],
        }),
      );
    }
    this.suppressWildcard(credentials, 'one secret per credential is created at run time');
  }

  /**
   * DeleteSecret on the token secrets earlier releases kept beside credentials
   * (`<root>/<target>/<api-user>/access-token`, with Secrets Manager's six-character suffix) and on no
   * credential: the refresh retires them once the token lives under its staging label. Credential
   * names have one `/` after the root, so the pattern's two cannot match one.
   */
  grantRetireLegacyAccessTokens(): void {
    const legacy = `${this.names.secrets.credentials}*/*/access-token-??????`;
    this.allow(['secretsmanager:DeleteSecret'], [this.secretArn(legacy)]);
    this.suppressWildcard(legacy, 'one legacy token secret per credential, named at run time');
  }

  /**
   * Exactly `actions` on target definitions (`<root>/targets/*`): only the admin rotation's steps
   * get writes there, to stage and promote a target's next admin credential. A role with these never
   * gets credential writes, whose grant denies writes on targets.
   */
  grantTargetSecrets(...actions: ('DescribeSecret' | 'PutSecretValue' | 'UpdateSecretVersionStage')[]): void {
    const targets = `${this.names.secrets.targets}*`;
    this.allow(
      actions.map((a) => `secretsmanager:${a}`),
      [this.secretArn(targets)],
    );
    this.suppressWildcard(targets, 'target definitions are added at run time by the CLI');
  }

  /**
   * Exactly `actions` on the operator task records (lib/operator-task-table.ts), which hold task
   * tokens: only the steps that open or close operator tasks, and the report counting them, get this.
   */
  grantTaskRecords(...actions: TaskRecordAction[]): void {
    OperatorTaskTable.of(this).grant(this.role, actions);
  }

  /** SendTaskSuccess / Failure / Heartbeat: a task token is the only key to a task; these support no resource scoping. */
  grantAnswerTasks(): void {
    this.allow(['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'], ['*']);
    this.acknowledgeAnyResource('SendTaskSuccess / Failure / Heartbeat (they act on a task token)');
  }

  /** GetSecretValue on one secret the stack owns (the intake's webhook secret), decrypted for it alone. */
  grantReadSecret(secret: { secretArn: string }): void {
    this.allow(['secretsmanager:GetSecretValue'], [secret.secretArn]);
    this.allow(['kms:Decrypt'], [this.key.keyArn], {
      StringEquals: { 'kms:ViaService': `secretsmanager.${Aws.REGION}.amazonaws.com` },
      StringLike: { 'kms:EncryptionContext:SecretARN': secret.secretArn },
    });
  }

  /**
   * secretsmanager:ListSecrets, which supports no resource scoping: it returns names and tags (never
   * values) so a revocation can find an owner's credentials by tag (docs/architecture.md, data model).
   */
  grantListSecrets(): void {
    this.allow(['secretsmanager:ListSecrets'], ['*']);
    this.acknowledgeAnyResource(
      'ListSecrets (it returns names and tags only, values stay scoped to the stack secret prefixes)',
    );
  }

  /**
   * Runs the function in the stack's VPC behind its security group, with the network interface
   * permissions Lambda needs: CDK adds AWSLambdaVPCAccessExecutionRole only to roles it creates, and
   * this role is explicit (https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html).
   */
  private joinNetwork(network: ProvisionerNetwork): void {
    if (this.inNetwork) return;
    this.inNetwork = true;
    (this.function.node.defaultChild as CfnFunction).vpcConfig = {
      subnetIds: network.vpc.selectSubnets(network.subnets).subnetIds,
      securityGroupIds: [network.securityGroup.securityGroupId],
    };
    // Every API user it creates must trust the addresses it calls from (lambdas/core/config.ts).
    if (network.egressAddresses.length > 0)
      this.function.addEnvironment(ENV.egressAddresses, Fn.join(',', [...network.egressAddresses]));
    this.allow(
      [
        'ec2:CreateNetworkInterface',
        'ec2:DescribeNetworkInterfaces',
        'ec2:DescribeSubnets',
        'ec2:DeleteNetworkInterface',
        'ec2:AssignPrivateIpAddresses',
        'ec2:UnassignPrivateIpAddresses',
      ],
      ['*'],
    );
    this.acknowledgeAnyResource(
      "Lambda's VPC network interface actions (as in AWSLambdaVPCAccessExecutionRole)",
    );
  }

  private acknowledgeAnyResource(actions: string): void {
    this.anyResourceReasons.push(actions);
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: `${this.anyResourceReasons.join('; ')}: these support no resource-level permissions`,
    });
  }

  /** KMS on the provisioner key, only through Secrets Manager and only for credential (`<root>/*`) secrets. */
  grantKey(...actions: KmsAction[]): void {
    this.allowKey(actions, `${this.names.secrets.credentials}*`);
  }

  private allowKey(actions: KmsAction[], secretPattern: string): void {
    this.allow(actions, [this.key.keyArn], {
      StringEquals: { 'kms:ViaService': `secretsmanager.${Aws.REGION}.amazonaws.com` },
      StringLike: { 'kms:EncryptionContext:SecretARN': this.secretArn(secretPattern) },
    });
  }

  /** events:PutEvents on the account's default event bus. */
  grantPutEvents(): void {
    this.allow(
      ['events:PutEvents'],
      [`arn:${Aws.PARTITION}:events:${Aws.REGION}:${Aws.ACCOUNT_ID}:event-bus/default`],
    );
  }

  /** states:DescribeExecution on the executions of one state machine, whose names are known only at run time. */
  grantDescribeExecutions(machine: sfn.IStateMachine, why: string): void {
    const name = Fn.select(6, Fn.split(':', machine.stateMachineArn));
    this.allow(
      ['states:DescribeExecution'],
      [`arn:${Aws.PARTITION}:states:${Aws.REGION}:${Aws.ACCOUNT_ID}:execution:${name}:*`],
    );
    const logicalId = Stack.of(this).resolve((machine.node.defaultChild as sfn.CfnStateMachine).logicalId);
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${logicalId}"}]}]}:*]`,
      reason: `DescribeExecution on the executions of this one state machine only (${why})`,
    });
  }

  private allow(actions: string[], resources: string[], conditions?: Record<string, unknown>): void {
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources, conditions }));
  }

  // Pseudo parameters even when the stack has an env, so the template and the nag suppressions stay env-agnostic.
  private secretArn(pattern: string): string {
    return `arn:${Aws.PARTITION}:secretsmanager:${Aws.REGION}:${Aws.ACCOUNT_ID}:secret:${pattern}`;
  }

  private suppressWildcard(pattern: string, why: string): void {
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${pattern}]`,
      reason: `Secret names are not known at deploy time (${why}); access is confined to the ${pattern} prefix`,
    });
  }
}
