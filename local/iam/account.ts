/**
 * The account's IAM as the synthesized template defines it: each role with its identity policies
 * (inline `AWS::IAM::Policy`, `Policies`, attached `AWS::IAM::ManagedPolicy`), which role each
 * function and state machine runs as, the functions' resource policies (`AWS::Lambda::Permission`)
 * and the KMS key policies. Every local endpoint authorizes its calls here (docs/embedded-default.md, IAM).
 */
import { randomBytes } from 'node:crypto';
import { AwsServiceError } from '../aws-json-server.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../endpoints.ts';
import { resolveTemplateValue, type TemplateResources } from '../synth.ts';
import {
  type AuthorizationRequest,
  accessDeniedMessage,
  evaluate,
  type PolicyDocument,
  type PolicyStatement,
  type RequestPrincipal,
} from './policy.ts';

interface Role {
  readonly arn: string;
  readonly name: string;
  readonly policies: PolicyDocument[];
  /** Who may assume it (`AssumeRolePolicyDocument`). */
  readonly trust: PolicyDocument;
}

export interface Session extends RequestPrincipal {
  readonly roleArn: string;
  /** The session token its SDK clients send (`x-amz-security-token`), as Lambda's temporary credentials carry one. */
  readonly token: string;
}

/** The header a caller's session token travels in (SigV4: temporary credentials). */
export const SESSION_TOKEN_HEADER = 'x-amz-security-token';

/** The access key id of the operator (the CLI, the scenario's operator, any SDK pointed at `npm run local`). */
export const OPERATOR_ACCESS_KEY_ID = 'local';
/**
 * The access key id of the embedded default's own setup and checks (tests arranging and reading
 * state, the scenario's consumer and directory): an account administrator, outside the stack.
 */
export const ADMINISTRATOR_ACCESS_KEY_ID = 'local-administrator';

export class LocalIam {
  private readonly roles = new Map<string, Role>();
  private readonly functionRoles = new Map<string, string>();
  private readonly machineRoles = new Map<string, string>();
  private readonly functionPolicies = new Map<string, PolicyStatement[]>();
  private readonly keyPolicies = new Map<string, PolicyDocument>();
  /** Event bus ARN -> its resource policy's statements (`AWS::Events::EventBusPolicy`, one statement each). */
  private readonly busPolicies = new Map<string, PolicyStatement[]>();
  private readonly keyAliases = new Map<string, string>();
  private readonly sessions = new Map<string, Session>();
  private readonly accessKeys = new Map<string, Session>();
  private readonly managedPolicies = new Map<string, PolicyDocument>();

  constructor(resources: TemplateResources, physicalIds: Readonly<Record<string, string>> = {}) {
    const value = (v: unknown, where: string) => resolveTemplateValue(v, resources, where, physicalIds);
    const managed = this.managedPolicies;
    for (const [logicalId, resource] of Object.entries(resources)) {
      const props = resource.Properties ?? {};
      if (resource.Type === 'AWS::IAM::Role') {
        const arn = value({ 'Fn::GetAtt': [logicalId, 'Arn'] }, logicalId) as string;
        const inline = ((props.Policies ?? []) as { PolicyDocument: unknown }[]).map(
          (p) => value(p.PolicyDocument, logicalId) as PolicyDocument,
        );
        const trust = value(props.AssumeRolePolicyDocument, logicalId) as PolicyDocument;
        this.roles.set(arn, { arn, name: arn.slice(arn.lastIndexOf('/') + 1), policies: inline, trust });
      }
      if (resource.Type === 'AWS::IAM::ManagedPolicy')
        managed.set(
          value({ Ref: logicalId }, logicalId) as string,
          value(props.PolicyDocument, logicalId) as PolicyDocument,
        );
      if (resource.Type === 'AWS::Lambda::Function')
        this.functionRoles.set(
          value({ 'Fn::GetAtt': [logicalId, 'Arn'] }, logicalId) as string,
          value(props.Role, logicalId) as string,
        );
      if (resource.Type === 'AWS::StepFunctions::StateMachine')
        this.machineRoles.set(
          value({ Ref: logicalId }, logicalId) as string,
          value(props.RoleArn, logicalId) as string,
        );
      if (resource.Type === 'AWS::KMS::Key')
        this.keyPolicies.set(
          value({ 'Fn::GetAtt': [logicalId, 'Arn'] }, logicalId) as string,
          value(props.KeyPolicy, logicalId) as PolicyDocument,
        );
      if (resource.Type === 'AWS::Lambda::Permission')
        this.addFunctionPermission(value(props, logicalId) as Record<string, string>);
      if (resource.Type === 'AWS::Events::EventBusPolicy') {
        const bus = `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:event-bus/${value(props.EventBusName ?? 'default', logicalId) as string}`;
        const statement = value(props.Statement, logicalId) as PolicyStatement;
        this.busPolicies.set(bus, [...(this.busPolicies.get(bus) ?? []), statement]);
      }
    }
    for (const [logicalId, resource] of Object.entries(resources)) {
      const props = resource.Properties ?? {};
      const attach = (roleNames: unknown, document: PolicyDocument) => {
        for (const name of value(roleNames ?? [], logicalId) as string[])
          this.roleNamed(name).policies.push(document);
      };
      if (resource.Type === 'AWS::IAM::Policy')
        attach(props.Roles, value(props.PolicyDocument, logicalId) as PolicyDocument);
      if (resource.Type === 'AWS::IAM::ManagedPolicy')
        attach(props.Roles, managed.get(value({ Ref: logicalId }, logicalId) as string) as PolicyDocument);
      if (resource.Type === 'AWS::IAM::Role')
        for (const arn of value(props.ManagedPolicyArns ?? [], logicalId) as string[]) {
          const document = managed.get(arn);
          if (!document)
            throw new Error(`role ${logicalId} attaches ${arn}, which the template does not define`);
          this.roleNamed(value({ Ref: logicalId }, logicalId) as string).policies.push(document);
        }
      if (resource.Type === 'AWS::KMS::Alias')
        this.keyAliases.set(String(props.AliasName), value(props.TargetKeyId, logicalId) as string);
    }
  }

  /**
   * `lambda:AddPermission` renders each permission as a statement of the function's policy
   * (Lambda Developer Guide, "Viewing resource-based IAM policies in Lambda"): a principal, the
   * action, the function, and `aws:SourceArn` / `aws:SourceAccount` conditions.
   */
  private addFunctionPermission(props: Record<string, string>) {
    const principal = props.Principal as string;
    const statement: PolicyStatement = {
      Effect: 'Allow',
      Principal: principal.endsWith('.amazonaws.com')
        ? { Service: principal }
        : principal === '*'
          ? '*'
          : { AWS: principal },
      Action: props.Action as string,
      Resource: props.FunctionName as string,
      Condition: {
        ...(props.SourceArn ? { ArnLike: { 'aws:SourceArn': props.SourceArn } } : {}),
        ...(props.SourceAccount ? { StringEquals: { 'aws:SourceAccount': props.SourceAccount } } : {}),
      },
    };
    const fn = props.FunctionName as string;
    this.functionPolicies.set(fn, [...(this.functionPolicies.get(fn) ?? []), statement]);
  }

  private roleNamed(name: string): Role {
    const role = [...this.roles.values()].find((r) => r.name === name);
    if (!role) throw new Error(`the template defines no role ${name}`);
    return role;
  }

  /** A session of `roleArn` (STS AssumeRole), its principal as errors name it. */
  assumeRole(roleArn: string, sessionName: string): Session {
    const role = this.roles.get(roleArn);
    if (!role) throw new Error(`the template defines no role ${roleArn}`);
    const token = randomBytes(24).toString('base64url');
    const session: Session = {
      arn: `arn:aws:sts::${LOCAL_ACCOUNT_ID}:assumed-role/${role.name}/${sessionName}`,
      policyArn: role.arn,
      account: LOCAL_ACCOUNT_ID,
      roleArn,
      token,
    };
    this.sessions.set(token, session);
    return session;
  }

  /** The session a function's invocations run as: its execution role, the function name as session name (as Lambda does). */
  functionSession(functionArn: string): Session {
    const roleArn = this.functionRoles.get(functionArn);
    if (!roleArn) throw new Error(`the template defines no function ${functionArn}`);
    const existing = [...this.sessions.values()].find((s) => s.roleArn === roleArn);
    return existing ?? this.assumeRole(roleArn, functionArn.slice(functionArn.lastIndexOf(':') + 1));
  }

  /** The role a state machine runs as. */
  stateMachineSession(stateMachineArn: string): Session {
    const roleArn = this.machineRoles.get(stateMachineArn);
    if (!roleArn) throw new Error(`the template defines no state machine ${stateMachineArn}`);
    return (
      [...this.sessions.values()].find((s) => s.roleArn === roleArn) ?? this.assumeRole(roleArn, 'states')
    );
  }

  /** A role the template does not define (the embedded default's own principals), with its identity policies. */
  defineRole(name: string, ...policies: PolicyDocument[]): string {
    const arn = `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/${name}`;
    this.roles.set(arn, { arn, name, policies, trust: { Statement: [] } });
    return arn;
  }

  /** A managed policy of the template, by name. */
  managedPolicy(name: string): PolicyDocument {
    const document = this.managedPolicies.get(`arn:aws:iam::${LOCAL_ACCOUNT_ID}:policy/${name}`);
    if (!document) throw new Error(`the template defines no managed policy ${name}`);
    return document;
  }

  /**
   * A service assuming a role to act for the account (Scheduler running a schedule): the role's
   * trust policy must allow the service `sts:AssumeRole` with the request's context.
   */
  assumeRoleAs(service: string, roleArn: string, context: Readonly<Record<string, string>>): Session {
    const role = this.roles.get(roleArn);
    const principal: RequestPrincipal = { arn: service, service, account: LOCAL_ACCOUNT_ID };
    const request = { principal, action: 'sts:AssumeRole', resource: roleArn, context };
    const decision = role
      ? evaluate(request, { identity: [], resource: role.trust })
      : { effect: 'Deny' as const, why: 'implicit' as const };
    if (decision.effect === 'Deny')
      throw new AwsServiceError(
        'AccessDenied',
        `${service} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
        403,
      );
    return this.assumeRole(roleArn, service.split('.')[0] as string);
  }

  /** Long-term credentials: this access key id now acts as a session of `roleArn`. */
  issueAccessKey(accessKeyId: string, roleArn: string, sessionName: string): void {
    this.accessKeys.set(accessKeyId, this.assumeRole(roleArn, sessionName));
  }

  /**
   * The caller of a request: its session token, else its SigV4 access key id. An unknown one is
   * refused as AWS refuses it (Secrets Manager API Reference, "Common Errors": UnrecognizedClientException).
   */
  callerOf(headers: Readonly<Record<string, string | string[] | undefined>>): Session {
    const token = headers[SESSION_TOKEN_HEADER];
    const accessKeyId = /Credential=([^/,\s]+)/.exec(String(headers.authorization ?? ''))?.[1];
    const session =
      (typeof token === 'string' ? this.sessions.get(token) : undefined) ??
      (accessKeyId !== undefined ? this.accessKeys.get(accessKeyId) : undefined);
    if (!session)
      throw new AwsServiceError(
        'UnrecognizedClientException',
        'The security token included in the request is invalid.',
      );
    return session;
  }

  /** The caller's identity policies and, where given, the resource's policy; throws AWS's AccessDeniedException. */
  authorize(request: AuthorizationRequest & { principal: Session }, resourcePolicy?: PolicyDocument): void {
    const decision = evaluate(withGlobalKeys(request), {
      identity: this.roles.get(request.principal.roleArn)?.policies ?? [],
      resource: resourcePolicy,
    });
    if (decision.effect === 'Deny') {
      throw new AwsServiceError('AccessDeniedException', accessDeniedMessage(request, decision));
    }
  }

  /** Whether a service principal may invoke a function (its resource policy only: a service has no identity policies). */
  servicePermitted(
    service: string,
    action: string,
    functionArn: string,
    context: Readonly<Record<string, string>>,
  ): boolean {
    const statements = this.functionPolicies.get(functionArn) ?? [];
    const principal: RequestPrincipal = { arn: service, service, account: LOCAL_ACCOUNT_ID };
    return (
      evaluate(
        { principal, action, resource: functionArn, context },
        { identity: [], resource: { Statement: statements } },
      ).effect === 'Allow'
    );
  }

  /** An event bus's resource policy, if the template gives it one. */
  busPolicy(busArn: string): PolicyDocument | undefined {
    const statements = this.busPolicies.get(busArn);
    return statements ? { Statement: statements } : undefined;
  }

  /** The key a KmsKeyId names (its ARN, id or alias), if the template defines it. */
  keyArnOf(keyId: string): string | undefined {
    const alias = /^(?:arn:aws:kms:[^:]+:\d{12}:)?(alias\/.+)$/.exec(keyId)?.[1];
    const target = alias !== undefined ? this.keyAliases.get(alias) : keyId;
    if (target === undefined) return undefined;
    return [...this.keyPolicies.keys()].find((arn) => arn === target || arn.endsWith(`:key/${target}`));
  }

  /**
   * Whether a KMS call a service makes as the caller on the stack's key is allowed: the key policy
   * and the caller's policies, with `kms:ViaService` and the service's encryption context. Secrets
   * Manager encrypts or decrypts a secret so (Secrets Manager User Guide, "Secret encryption and
   * decryption"); DynamoDB decrypts a table's key so (AWS KMS Developer Guide, "How Amazon
   * DynamoDB uses AWS KMS").
   */
  kmsPermits(
    service: 'secretsmanager' | 'dynamodb',
    principal: Session,
    action: 'kms:Decrypt' | 'kms:GenerateDataKey',
    keyArn: string,
    encryptionContext: Readonly<Record<string, string>>,
  ): boolean {
    const request = withGlobalKeys({
      principal,
      action,
      resource: keyArn,
      context: {
        'kms:ViaService': `${service}.${LOCAL_REGION}.amazonaws.com`,
        'kms:CallerAccount': LOCAL_ACCOUNT_ID,
        ...Object.fromEntries(
          Object.entries(encryptionContext).map(([key, value]) => [`kms:EncryptionContext:${key}`, value]),
        ),
      },
    });
    return (
      evaluate(request, {
        identity: this.roles.get(principal.roleArn)?.policies ?? [],
        resource: this.keyPolicies.get(keyArn),
        kmsKey: true,
      }).effect === 'Allow'
    );
  }

  /** Secrets Manager's KMS call for a secret; refused, it answers AccessDeniedException "Access to KMS is not allowed". */
  authorizeKmsViaSecretsManager(
    principal: Session,
    action: 'kms:Decrypt' | 'kms:GenerateDataKey',
    keyArn: string,
    secretArn: string,
  ): void {
    if (!this.kmsPermits('secretsmanager', principal, action, keyArn, { SecretARN: secretArn }))
      throw new AwsServiceError('AccessDeniedException', 'Access to KMS is not allowed');
  }
}

/** The template's secrets by logical id, with the ARNs the local store gave them (`byName`). */
export function secretPhysicalIds(
  template: TemplateResources,
  byName: Readonly<Record<string, string>>,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(template).flatMap(([logicalId, resource]) => {
      const arn = byName[String(resource.Properties?.Name)];
      return resource.Type === 'AWS::SecretsManager::Secret' && arn ? [[logicalId, arn]] : [];
    }),
  );
}

/** The global condition keys every request carries (IAM User Guide, "AWS global condition context keys"). */
function withGlobalKeys<T extends AuthorizationRequest>(request: T): T {
  return {
    ...request,
    context: {
      'aws:PrincipalAccount': request.principal.account,
      ...(request.principal.policyArn ? { 'aws:PrincipalArn': request.principal.policyArn } : {}),
      'aws:RequestedRegion': LOCAL_REGION,
      ...request.context,
    },
  };
}
