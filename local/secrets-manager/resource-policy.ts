/**
 * A secret's resource-based policy as PutResourcePolicy / ValidateResourcePolicy check it: JSON with
 * a `Statement` list, each statement an Effect of Allow or Deny; with BlockPublicPolicy, an Allow
 * that reaches any principal (`*`) without a condition is refused. Refusals follow the API
 * reference's error lists (PutResourcePolicy:
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_PutResourcePolicy.html,
 * ValidateResourcePolicy:
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_ValidateResourcePolicy.html).
 */
import { AwsServiceError } from '../aws-json-server.ts';
import type { PolicyDocument, PolicyStatement } from '../iam/policy.ts';

/** PutResourcePolicy API reference: "The resource policy has syntax errors." */
const malformed = (why: string) =>
  new AwsServiceError('MalformedPolicyDocumentException', `The resource policy has syntax errors: ${why}`);

/** PutResourcePolicy API reference, PublicPolicyException. */
const publicPolicy = () =>
  new AwsServiceError(
    'PublicPolicyException',
    'The BlockPublicPolicy parameter is set to true, and the resource policy did not prevent broad access to the secret.',
  );

/** The policy document, or the syntax error AWS reports; a policy is at most 20,480 characters. */
export function parseResourcePolicy(text: unknown): PolicyDocument {
  if (typeof text !== 'string' || text.length === 0 || text.length > 20_480)
    throw malformed('ResourcePolicy must be a JSON document of 1 to 20480 characters');
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw malformed('not a JSON document');
  }
  const statements = (document as { Statement?: unknown } | null)?.Statement;
  const list = Array.isArray(statements) ? statements : statements === undefined ? undefined : [statements];
  if (!list || list.length === 0) throw malformed('the policy has no Statement');
  for (const statement of list as PolicyStatement[]) {
    if (statement?.Effect !== 'Allow' && statement?.Effect !== 'Deny')
      throw malformed('every statement needs an Effect of Allow or Deny');
    if (statement.Action === undefined && statement.NotAction === undefined)
      throw malformed('every statement needs an Action or NotAction');
  }
  return { ...(document as PolicyDocument), Statement: list as PolicyStatement[] };
}

/**
 * Whether an Allow statement grants any principal without a condition: what BlockPublicPolicy
 * refuses (Secrets Manager User Guide, "Block public access": a policy is public when it grants
 * access to `*` without restricting it to specific accounts or principals).
 */
function grantsEveryone(statement: PolicyStatement): boolean {
  if (statement.Effect !== 'Allow' || statement.Condition !== undefined) return false;
  const principal = statement.Principal;
  if (principal === '*') return true;
  const aws = principal?.AWS;
  return aws === '*' || (Array.isArray(aws) && aws.includes('*'));
}

export function refusePublic(policy: PolicyDocument): void {
  if (policy.Statement.some(grantsEveryone)) throw publicPolicy();
}

/** ValidateResourcePolicy's answer: the syntax and public-access checks as findings, never a refusal. */
export function validationOf(text: unknown): {
  PolicyValidationPassed: boolean;
  ValidationErrors: { CheckName: string; ErrorMessage: string }[];
} {
  try {
    refusePublic(parseResourcePolicy(text));
    return { PolicyValidationPassed: true, ValidationErrors: [] };
  } catch (error) {
    const found = error as AwsServiceError;
    return {
      PolicyValidationPassed: false,
      ValidationErrors: [{ CheckName: found.name, ErrorMessage: found.message }],
    };
  }
}
