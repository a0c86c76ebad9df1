import { CfnOutput, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, type IConstruct } from 'constructs';
import type { NetworkSettings } from './deployment-settings.ts';

const HTTPS = 443;
/** FortiManager's key generation runs over SSH (`execute api-user generate-key`). */
const SSH = 22;

/** The AWS APIs the functions call, as interface endpoints where the subnets have no NAT. */
const ENDPOINT_SERVICES = {
  SecretsManager: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
  StepFunctions: ec2.InterfaceVpcEndpointAwsService.STEP_FUNCTIONS,
  EventBridge: ec2.InterfaceVpcEndpointAwsService.EVENTBRIDGE,
  // com.amazonaws.<region>.scheduler: https://docs.aws.amazon.com/scheduler/latest/UserGuide/vpc-interface-endpoints.html
  Scheduler: new ec2.InterfaceVpcEndpointAwsService('scheduler'),
  Kms: ec2.InterfaceVpcEndpointAwsService.KMS,
  XRay: ec2.InterfaceVpcEndpointAwsService.XRAY,
};

/**
 * Where the functions that call products run (context `network`): a new VPC with a NAT gateway and
 * an Elastic IP per AZ, or an existing VPC's subnets. Their security group lets out only 443 and 22
 * to the management CIDRs, and 443 to AWS: to the interface endpoints' security group when there
 * are endpoints, otherwise to any address (AWS's public API addresses cannot be enumerated in a
 * security group), which the NAT's fixed addresses then carry.
 */
export class ProvisionerNetwork extends Construct {
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly securityGroup: ec2.SecurityGroup;
  /** The public addresses products see the functions call from (CIDRs; empty where unknown). */
  readonly egressAddresses: readonly string[];

  /** The network of the stack `scope` belongs to, if the stack has one. */
  static of(scope: IConstruct): ProvisionerNetwork | undefined {
    return Stack.of(scope).node.tryFindChild('Network') as ProvisionerNetwork | undefined;
  }

  constructor(scope: Stack, settings: Exclude<NetworkSettings, { kind: 'none' }>) {
    super(scope, 'Network');
    let egressAddresses: string[];
    if (settings.kind === 'new') {
      const vpc = new ec2.Vpc(this, 'Vpc', {
        maxAzs: 2,
        natGateways: 2,
        subnetConfiguration: [
          { name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
          { name: 'Functions', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
        ],
        restrictDefaultSecurityGroup: false,
      });
      vpc.addFlowLog('FlowLog', {
        destination: ec2.FlowLogDestination.toCloudWatchLogs(
          new logs.LogGroup(this, 'FlowLogs', {
            retention: logs.RetentionDays.THREE_MONTHS,
            removalPolicy: RemovalPolicy.DESTROY,
          }),
        ),
      });
      this.vpc = vpc;
      this.subnets = { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
      egressAddresses = vpc.publicSubnets.map((subnet) => {
        const eip = subnet.node.findChild('EIP') as ec2.CfnEIP;
        return Fn.join('', [eip.attrPublicIp, '/32']);
      });
    } else {
      this.vpc = ec2.Vpc.fromVpcAttributes(this, 'Vpc', {
        vpcId: settings.vpcId,
        availabilityZones: [...settings.availabilityZones],
        privateSubnetIds: [...settings.subnetIds],
      });
      this.subnets = {
        subnets: settings.subnetIds.map((id, i) =>
          ec2.Subnet.fromSubnetAttributes(this, `Subnet${i}`, {
            subnetId: id,
            availabilityZone: settings.availabilityZones[i],
          }),
        ),
      };
      egressAddresses = [...settings.egressCidrs];
    }

    this.securityGroup = new ec2.SecurityGroup(this, 'ProductCallers', {
      vpc: this.vpc,
      description: 'Functions that call products: 443 and 22 to the management CIDRs, 443 to AWS',
      allowAllOutbound: false,
    });
    for (const cidr of settings.managementCidrs) {
      this.securityGroup.addEgressRule(ec2.Peer.ipv4(cidr), ec2.Port.tcp(HTTPS), 'products (HTTPS)');
      this.securityGroup.addEgressRule(
        ec2.Peer.ipv4(cidr),
        ec2.Port.tcp(SSH),
        'FortiManager key generation (SSH)',
      );
    }
    if (settings.interfaceEndpoints) {
      const endpoints = new ec2.SecurityGroup(this, 'Endpoints', {
        vpc: this.vpc,
        description: 'Interface endpoints of the AWS APIs the functions call',
        allowAllOutbound: false,
      });
      endpoints.addIngressRule(this.securityGroup, ec2.Port.tcp(HTTPS), 'the provisioner functions');
      this.securityGroup.addEgressRule(endpoints, ec2.Port.tcp(HTTPS), 'AWS APIs (interface endpoints)');
      for (const [id, service] of Object.entries(ENDPOINT_SERVICES)) {
        this.vpc.addInterfaceEndpoint(id, {
          service,
          subnets: this.subnets,
          securityGroups: [endpoints],
          open: false,
          privateDnsEnabled: true,
        });
      }
    } else {
      this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(HTTPS), 'AWS APIs through the NAT');
    }

    this.egressAddresses = egressAddresses;
    egressAddresses.forEach((address, i) => {
      // On the stack, so the output keeps its plain name for the CLI and the guide.
      new CfnOutput(scope, `EgressAddress${i + 1}`, {
        value: address,
        description: 'A public address products see the provisioner call from: add it to their trusted hosts',
      });
    });
  }
}
