/** Issue 16, item 1: the functions that call products run in a VPC whose egress is only what they need. */
import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ProvisionerStack } from '#lib/provisioner-stack.ts';

type Json = Record<string, unknown>;
const MANAGEMENT = ['10.20.0.0/16', '192.168.10.0/24'];
const EXISTING = {
  network: 'existing',
  vpcId: 'vpc-0123456789abcdef0',
  subnetIds: 'subnet-0123456789abcdef0,subnet-0fedcba9876543210',
  availabilityZones: 'eu-west-1a,eu-west-1b',
  managementCidrs: MANAGEMENT,
};

function synth(context: Json): Template {
  const { context: cdkContext } = JSON.parse(readFileSync('cdk.json', 'utf8')) as { context: Json };
  const app = new App({ context: { ...cdkContext, ...context, 'aws:cdk:bundling-stacks': [] } });
  return Template.fromStack(new ProvisionerStack(app, 'CredentialProvisioner'));
}

/** Handler ids of the functions in the VPC, and of those outside it. */
function placement(template: Template) {
  const functions = Object.values(template.findResources('AWS::Lambda::Function'));
  const id = (fn: Json) => (fn.Metadata as Json)['provisioner:handler'] as string;
  return {
    inside: functions
      .filter((fn) => fn.Properties.VpcConfig)
      .map(id)
      .sort(),
    outside: functions
      .filter((fn) => !fn.Properties.VpcConfig)
      .map(id)
      .sort(),
  };
}

/** Egress rules of the product callers' security group, as `protocol port destination`. */
function egressOf(template: Template): string[] {
  const groups = template.findResources('AWS::EC2::SecurityGroup', {
    Properties: { GroupDescription: Match.stringLikeRegexp('^Functions that call products') },
  });
  const [group] = Object.values(groups);
  const rules = (group?.Properties.SecurityGroupEgress ?? []) as Json[];
  const separate = Object.values(template.findResources('AWS::EC2::SecurityGroupEgress')).map(
    (r) => r.Properties as Json,
  );
  return [...rules, ...separate]
    .map(
      (r) => `${r.IpProtocol} ${r.ToPort} ${r.CidrIp ?? (r.DestinationSecurityGroupId ? 'endpoints' : '?')}`,
    )
    .sort();
}

describe('network=none (the default)', () => {
  it('puts no function in a VPC and creates no network', () => {
    const template = synth({});
    template.resourceCountIs('AWS::EC2::VPC', 0);
    expect(placement(template).inside).toEqual([]);
  });
});

describe('network=new', () => {
  const template = synth({ network: 'new', managementCidrs: MANAGEMENT.join(',') });

  it('builds private subnets in two AZs, a NAT gateway with an Elastic IP each, and flow logs', () => {
    template.resourceCountIs('AWS::EC2::VPC', 1);
    template.resourceCountIs('AWS::EC2::NatGateway', 2);
    template.resourceCountIs('AWS::EC2::EIP', 2);
    template.resourceCountIs('AWS::EC2::Subnet', 4);
    template.hasResourceProperties('AWS::EC2::FlowLog', { ResourceType: 'VPC', TrafficType: 'ALL' });
    // The NAT carries AWS traffic: no interface endpoints unless asked.
    template.resourceCountIs('AWS::EC2::VPCEndpoint', 0);
  });

  it('runs exactly the functions that read targets (and so call products) in the VPC, with ENI permissions', () => {
    const { inside, outside } = placement(template);
    expect(outside).toEqual([
      'find-owner-credentials',
      'promote-admin-key',
      'promote-pending-key',
      'report-drift',
      'report-revocation',
      'retire-credential',
      'start-revocation',
      'sweep-owner-credentials',
      'ticket-intake',
    ]);
    expect(inside).toContain('issue-key-and-store');
    expect(inside).toContain('prove-revoked');
    const policies = Object.values(template.findResources('AWS::IAM::Policy'));
    const eniPolicies = policies.filter((p) =>
      JSON.stringify(p.Properties.PolicyDocument).includes('ec2:CreateNetworkInterface'),
    );
    expect(eniPolicies).toHaveLength(inside.length);
    for (const policy of eniPolicies) {
      const statement = (policy.Properties.PolicyDocument.Statement as Json[]).find((s) =>
        (s.Action as string[]).includes('ec2:CreateNetworkInterface'),
      );
      // Merged with the X-Ray actions on `*` (@aws-cdk/aws-iam:minimizePolicies).
      expect(((statement?.Action ?? []) as string[]).filter((a) => a.startsWith('ec2:')).sort()).toEqual([
        'ec2:AssignPrivateIpAddresses',
        'ec2:CreateNetworkInterface',
        'ec2:DeleteNetworkInterface',
        'ec2:DescribeNetworkInterfaces',
        'ec2:DescribeSubnets',
        'ec2:UnassignPrivateIpAddresses',
      ]);
      expect(statement?.Resource).toBe('*');
    }
  });

  it('lets out 443 and 22 to the management CIDRs and 443 to AWS through the NAT, nothing else', () => {
    expect(egressOf(template)).toEqual(
      [
        'tcp 22 10.20.0.0/16',
        'tcp 22 192.168.10.0/24',
        'tcp 443 0.0.0.0/0',
        'tcp 443 10.20.0.0/16',
        'tcp 443 192.168.10.0/24',
      ].sort(),
    );
  });

  it('gives every function that calls products the NAT addresses, to add to the trusted hosts it sets', () => {
    const functions = Object.values(template.findResources('AWS::Lambda::Function'));
    for (const fn of functions) {
      const egress = (fn.Properties.Environment.Variables as Json).PROVISIONER_EGRESS_ADDRESSES;
      expect(egress !== undefined, String((fn.Metadata as Json)['provisioner:handler'])).toBe(
        fn.Properties.VpcConfig !== undefined,
      );
      if (egress)
        expect(JSON.stringify(egress)).toMatch(
          /^\{"Fn::Join":\[",",\[\{"Fn::Join":\["",\[\{"Fn::GetAtt":\["NetworkVpcPublicSubnet1EIP\w+","PublicIp"\]\},"\/32"\]\]\},\{"Fn::Join".*PublicSubnet2EIP/,
        );
    }
  });

  it('outputs the two NAT addresses products will see', () => {
    const outputs = template.findOutputs('*');
    const egress = Object.entries(outputs).filter(([name]) => /EgressAddress\d$/.test(name));
    expect(egress).toHaveLength(2);
    for (const [, output] of egress)
      expect(JSON.stringify(output.Value)).toMatch(
        /"Fn::GetAtt":\["NetworkVpcPublicSubnet\dEIP\w+","PublicIp"\]/,
      );
  });
});

describe('network=existing', () => {
  it('without NAT addresses: interface endpoints for every AWS API the functions call, 443 to them only', () => {
    const template = synth(EXISTING);
    template.resourceCountIs('AWS::EC2::VPC', 0);
    const services = Object.values(template.findResources('AWS::EC2::VPCEndpoint')).map((e) =>
      JSON.stringify(e.Properties.ServiceName).replace(/.*\.(\w+)"\]\]}$/, '$1'),
    );
    expect(services.sort()).toEqual(['events', 'kms', 'scheduler', 'secretsmanager', 'states', 'xray']);
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      PrivateDnsEnabled: true,
      SubnetIds: ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'],
      VpcId: 'vpc-0123456789abcdef0',
    });
    expect(egressOf(template)).toEqual(
      [
        'tcp 22 10.20.0.0/16',
        'tcp 22 192.168.10.0/24',
        'tcp 443 10.20.0.0/16',
        'tcp 443 192.168.10.0/24',
        'tcp 443 endpoints',
      ].sort(),
    );
    template.hasResourceProperties('AWS::Lambda::Function', {
      VpcConfig: { SubnetIds: ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'] },
    });
    expect(Object.keys(template.findOutputs('*')).filter((n) => n.includes('EgressAddress'))).toEqual([]);
  });

  it('with NAT addresses: no endpoints, the addresses as outputs', () => {
    const template = synth({ ...EXISTING, egressCidrs: ['203.0.113.10/32'] });
    template.resourceCountIs('AWS::EC2::VPCEndpoint', 0);
    const outputs = Object.entries(template.findOutputs('*')).filter(([n]) => n.includes('EgressAddress'));
    expect(outputs.map(([, o]) => o.Value)).toEqual(['203.0.113.10/32']);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ PROVISIONER_EGRESS_ADDRESSES: '203.0.113.10/32' }) },
    });
  });

  it('refuses settings it cannot use, naming the key, before building anything', () => {
    expect(() => synth({ network: 'new' })).toThrow(
      'context managementCidrs=[] is not valid: expected at least one IPv4 CIDRs',
    );
    expect(() => synth({ network: 'new', managementCidrs: '0.0.0.0/0' })).toThrow(
      /managementCidrs.*not 0\.0\.0\.0\/0/,
    );
    expect(() => synth({ ...EXISTING, vpcId: 'my-vpc' })).toThrow(
      'context vpcId="my-vpc" is not valid: expected vpc-<hex>',
    );
    expect(() => synth({ ...EXISTING, availabilityZones: 'eu-west-1a' })).toThrow(
      /one zone per subnet \(2\)/,
    );
    expect(() => synth({ network: 'private' })).toThrow(
      'context network="private" is not valid: expected none or new or existing',
    );
  });
});
