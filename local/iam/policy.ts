/**
 * IAM policy evaluation for one account, as the IAM User Guide's "Policy evaluation logic" has it
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html): an
 * explicit Deny in any applicable policy wins; otherwise an Allow in an identity-based policy or in
 * the resource-based policy allows (same account); otherwise the request is implicitly denied.
 * Statements match on Action / NotAction, Resource / NotResource, Principal (resource policies) and
 * the condition operators below; an operator the template does not use is refused loudly, so a
 * policy can never be evaluated more permissively than AWS would.
 */

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly NotResource?: string | readonly string[];
  /** Resource-based policies only. */
  readonly Principal?: '*' | Readonly<Record<string, string | readonly string[]>>;
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: readonly PolicyStatement[];
}

/** Who asks: an assumed-role session, a service principal, or the account itself. */
export interface RequestPrincipal {
  /** As the error names it: `arn:aws:sts::<account>:assumed-role/<role>/<session>`, or a service. */
  readonly arn: string;
  /** The ARN a resource policy's `AWS` principal names: the role's ARN for a session. */
  readonly policyArn?: string;
  readonly service?: string;
  readonly account: string;
}

export interface AuthorizationRequest {
  readonly principal: RequestPrincipal;
  readonly action: string;
  readonly resource: string;
  /** Condition keys of the request (`aws:SourceArn`, `kms:ViaService`, …). */
  readonly context?: Readonly<Record<string, string>>;
}

export type Decision =
  | { readonly effect: 'Allow' }
  | { readonly effect: 'Deny'; readonly why: 'explicit'; readonly in: 'identity' | 'resource' }
  | { readonly effect: 'Deny'; readonly why: 'implicit' };

const list = (value: string | readonly string[] | undefined): readonly string[] =>
  value === undefined ? [] : typeof value === 'string' ? [value] : value;

/** IAM's wildcards: `*` any run of characters, `?` any one; case-sensitive unless told otherwise. */
function wildcardMatches(pattern: string, value: string, ignoreCase = false): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, ignoreCase ? 'is' : 's').test(value);
}

/** Action names are case-insensitive (IAM JSON policy elements reference: Action). */
const actionMatches = (patterns: readonly string[], action: string) =>
  patterns.some((p) => wildcardMatches(p, action, true));
const resourceMatches = (patterns: readonly string[], resource: string) =>
  patterns.some((p) => wildcardMatches(p, resource));

type Operator = (expected: readonly string[], actual: string) => boolean;
const stringLike: Operator = (expected, actual) => expected.some((e) => wildcardMatches(e, actual));
const OPERATORS: Readonly<Record<string, Operator>> = {
  StringEquals: (expected, actual) => expected.includes(actual),
  StringLike: stringLike,
  // ArnLike / ArnEquals compare the six colon-separated parts, each with wildcards: the whole-string match is equivalent for well-formed ARNs.
  ArnLike: stringLike,
  ArnEquals: stringLike,
  Bool: (expected, actual) => expected.some((e) => e.toLowerCase() === actual.toLowerCase()),
};
const NEGATED: Readonly<Record<string, string>> = {
  StringNotEquals: 'StringEquals',
  StringNotLike: 'StringLike',
  ArnNotLike: 'ArnLike',
  ArnNotEquals: 'ArnEquals',
};

/**
 * Every condition of a statement holds (AND across operators and keys, OR across a key's values). A
 * key the request lacks fails a positive operator and satisfies a negated one; `…IfExists` holds
 * when the key is absent (IAM JSON policy elements reference: Condition operators).
 */
function conditionsHold(condition: PolicyStatement['Condition'], context: Readonly<Record<string, string>>) {
  for (const [rawOperator, keys] of Object.entries(condition ?? {})) {
    const ifExists = rawOperator.endsWith('IfExists');
    const operatorName = ifExists ? rawOperator.slice(0, -'IfExists'.length) : rawOperator;
    const positiveName = NEGATED[operatorName] ?? operatorName;
    const operator = OPERATORS[positiveName];
    if (!operator) throw new Error(`condition operator ${rawOperator} is not evaluated locally`);
    const negated = positiveName !== operatorName;
    for (const [key, expected] of Object.entries(keys)) {
      // Condition key names are case-insensitive.
      const found = Object.entries(context).find(([k]) => k.toLowerCase() === key.toLowerCase());
      if (found === undefined) {
        if (ifExists || negated) continue;
        return false;
      }
      const matched = operator(list(expected), found[1]);
      if (negated ? matched : !matched) return false;
    }
  }
  return true;
}

/** How a resource policy's Principal names the caller: itself (or anyone), its account, or not at all. */
function principalNamed(
  principal: PolicyStatement['Principal'],
  who: RequestPrincipal,
): 'caller' | 'account' | undefined {
  if (principal === undefined) return undefined;
  if (principal === '*') return 'caller';
  if (who.service !== undefined) return list(principal.Service).includes(who.service) ? 'caller' : undefined;
  const aws = list(principal.AWS);
  if (aws.some((p) => p === '*' || p === who.policyArn)) return 'caller';
  // An account principal (`…:root` or the bare id) delegates to the account's identity policies.
  if (aws.some((p) => p === `arn:aws:iam::${who.account}:root` || p === who.account)) return 'account';
  return undefined;
}

function statementApplies(statement: PolicyStatement, request: AuthorizationRequest): boolean {
  const actionHit =
    statement.Action !== undefined
      ? actionMatches(list(statement.Action), request.action)
      : !actionMatches(list(statement.NotAction), request.action);
  if (!actionHit) return false;
  const resourceHit =
    statement.Resource !== undefined
      ? resourceMatches(list(statement.Resource), request.resource)
      : !resourceMatches(list(statement.NotResource), request.resource);
  return resourceHit && conditionsHold(statement.Condition, request.context ?? {});
}

/**
 * Same-account evaluation of the caller's identity policies and the resource's policy, if it has
 * one. A resource policy that names the caller (or `*`, or a service principal) allows on its own;
 * one that names the account delegates to the identity policies. A KMS key is stricter (AWS KMS
 * Developer Guide, "Key policies in AWS KMS": "Unless the key policy explicitly allows it, you
 * cannot use IAM policies to allow access to a KMS key"): there an identity Allow counts only where
 * the key policy delegates to the account.
 */
export function evaluate(
  request: AuthorizationRequest,
  policies: { identity: readonly PolicyDocument[]; resource?: PolicyDocument; kmsKey?: boolean },
): Decision {
  const identity = policies.identity.flatMap((p) => p.Statement).filter((s) => statementApplies(s, request));
  const resource = (policies.resource?.Statement ?? [])
    .map((s) => ({ s, named: principalNamed(s.Principal, request.principal) }))
    .filter(({ s, named }) => named !== undefined && statementApplies(s, request));
  if (identity.some((s) => s.Effect === 'Deny')) return { effect: 'Deny', why: 'explicit', in: 'identity' };
  if (resource.some(({ s }) => s.Effect === 'Deny'))
    return { effect: 'Deny', why: 'explicit', in: 'resource' };
  const identityAllows = identity.length > 0;
  const resourceAllowsCaller = resource.some(({ named }) => named === 'caller');
  const keyDelegates = resource.some(({ named }) => named === 'account');
  const allowed = resourceAllowsCaller || (identityAllows && (!policies.kmsKey || keyDelegates));
  return allowed ? { effect: 'Allow' } : { effect: 'Deny', why: 'implicit' };
}

/**
 * AWS's access denied message (IAM User Guide, "Troubleshoot access denied error messages":
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html).
 */
export function accessDeniedMessage(
  request: AuthorizationRequest,
  decision: Exclude<Decision, { effect: 'Allow' }>,
) {
  // A request on no resource type (`*`, e.g. ListSecrets) names none.
  const on = request.resource === '*' ? '' : ` on resource: ${request.resource}`;
  const asked = `User: ${request.principal.arn} is not authorized to perform: ${request.action}${on}`;
  if (decision.why === 'explicit')
    return `${asked} with an explicit deny in ${decision.in === 'identity' ? 'an identity-based' : 'a resource-based'} policy`;
  return `${asked} because no identity-based policy allows the ${request.action} action`;
}
