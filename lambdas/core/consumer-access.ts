/**
 * Who may read a credential's secret: its resource policy denies secretsmanager:GetSecretValue to
 * every principal but the credential's consumers and the stack's own readers (its functions' roles,
 * and the roles the deployment names in `credentialReaders`). The Deny with `aws:PrincipalArn`
 * conditions is the form the Secrets Manager User Guide gives for "only these roles", not
 * NotPrincipal ("Resource-based policies";
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_resource-policies.html,
 * and the IAM User Guide's aws:PrincipalArn:
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn).
 * An explicit Deny wins over any Allow, so an administrator's `*` on `*` does not read it either.
 *
 * Readers are ARN patterns (`ArnNotLike`), consumers exact role ARNs (`ArnNotEquals`): the two
 * conditions of one Deny must both hold, so the Deny applies to a caller that is neither. The
 * consumer list in the policy is the record of who the consumers are.
 */
import { FatalError } from './errors.ts';
import { ConsumerRoleList, parseInput } from './schemas.ts';

/** The statement's Sid: how the CLI finds the statement it changes. */
const CONSUMERS_ONLY = 'OnlyConsumersAndProvisionerRead';

const PRINCIPAL_ARN = 'aws:PrincipalArn';

interface ReadPolicyStatement {
  readonly Sid: string;
  readonly Effect: 'Deny';
  readonly Principal: '*';
  readonly Action: 'secretsmanager:GetSecretValue';
  readonly Resource: '*';
  readonly Condition: {
    readonly ArnNotLike: { readonly [PRINCIPAL_ARN]: readonly string[] };
    readonly ArnNotEquals?: { readonly [PRINCIPAL_ARN]: readonly string[] };
  };
}

/** The resource policy of a credential read by `consumers` and the stack's `readers` only. */
export function consumerReadPolicy(readers: readonly string[], consumers: readonly string[]): string {
  if (readers.length === 0)
    throw new FatalError(
      'the stack names none of its own readers (PROVISIONER_CREDENTIAL_READERS): a consumer policy would lock its functions out',
    );
  const statement: ReadPolicyStatement = {
    Sid: CONSUMERS_ONLY,
    Effect: 'Deny',
    Principal: '*',
    Action: 'secretsmanager:GetSecretValue',
    Resource: '*',
    Condition: {
      ArnNotLike: { [PRINCIPAL_ARN]: [...readers] },
      ...(consumers.length > 0 ? { ArnNotEquals: { [PRINCIPAL_ARN]: [...consumers].sort() } } : {}),
    },
  };
  return JSON.stringify({ Version: '2012-10-17', Statement: [statement] });
}

/** The readers and consumers of a policy this module wrote, or undefined for any other policy (or none). */
export function readAccessOf(
  policy: string | undefined,
): { readers: string[]; consumers: string[] } | undefined {
  if (policy === undefined) return undefined;
  let document: { Statement?: unknown };
  try {
    document = JSON.parse(policy) as { Statement?: unknown };
  } catch {
    return undefined;
  }
  const statements = Array.isArray(document.Statement) ? (document.Statement as ReadPolicyStatement[]) : [];
  const ours = statements.find((s) => s?.Sid === CONSUMERS_ONLY);
  const readers = ours?.Condition?.ArnNotLike?.[PRINCIPAL_ARN];
  if (!ours || statements.length !== 1 || !Array.isArray(readers)) return undefined;
  const consumers = ours.Condition.ArnNotEquals?.[PRINCIPAL_ARN] ?? [];
  return {
    readers: [...readers],
    consumers: parseInput(ConsumerRoleList, [...consumers], 'consumer roles of the secret policy'),
  };
}
