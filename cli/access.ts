/**
 * `provisioner access grant|revoke <secret> --role <arn>`: who, besides the stack, may read one
 * credential; `provisioner access adopt`: the consumer policy for credentials provisioned before
 * there was one. The consumer list lives in the secret's resource policy (lambdas/core/consumer-access.ts),
 * changed here with the stack's readers kept as the policy names them, and announced as a
 * `credential.access-changed` event (the audit trail beside CloudTrail's PutResourcePolicy).
 */
import * as z from 'zod';
import { readAccessOf } from '#core/consumer-access.ts';
import { ConflictError, NotFoundError, ValidationError } from '#core/errors.ts';
import type { EventPublisher } from '#core/events.ts';
import { legacyAccessTokenSecretName, SECRET_PREFIX, TAG, TARGET_PREFIX } from '#core/names.ts';
import { consumerIssues } from '#core/products/policy.ts';
import { ConsumerRoleArn, ConsumerRoleList, parseInput, TargetName } from '#core/schemas.ts';
import type { CredentialStore } from '#core/secrets.ts';
import type { Output } from './commands.ts';

export interface AccessDeps {
  readonly store: CredentialStore;
  readonly events: EventPublisher;
}

export type AccessChange = 'grant' | 'revoke';

/** Changes a credential's consumers: exit 0 when the role reads (grant) or no longer reads (revoke) it. */
export async function changeAccess(
  deps: AccessDeps,
  change: AccessChange,
  secretId: string,
  role: string,
  io: Output,
): Promise<number> {
  const consumer = parseInput(ConsumerRoleArn, role, '--role');
  // A name, or an ARN whose resource part is `secret:<name>-<suffix>`: refused before any call outside the prefix.
  const name = secretId.startsWith('arn:') ? secretId.slice(secretId.indexOf(':secret:') + 8) : secretId;
  const notCredential = () =>
    new ValidationError(`${secretId} is not a credential of this provisioner (under ${SECRET_PREFIX})`);
  if (!name.startsWith(SECRET_PREFIX) || name.startsWith(TARGET_PREFIX)) throw notCredential();
  const secret = await deps.store.describe(secretId);
  if (!secret || secret.deletedDate) throw new NotFoundError(`no credential secret ${secretId}`);
  // Beside credentials under the prefix: their brokered access tokens (a kind tag), never consumers' to change here.
  if (secret.tags[TAG.target] === undefined || secret.tags[TAG.kind] !== undefined) throw notCredential();
  const access = await deps.store.readAccess(secret.arn);
  if (!access)
    throw new ConflictError(
      `${secret.name} has no consumer policy of this provisioner (provisioned before consumer access, or changed by hand); \`provisioner access adopt\` sets one`,
    );
  const listed = access.consumers.includes(consumer);
  if (listed === (change === 'grant')) {
    io.out(
      `${consumer} ${change === 'grant' ? 'already reads' : 'does not read'} ${secret.name}: nothing changed`,
    );
    return 0;
  }
  if (change === 'grant') {
    const target = await deps.store.loadTarget(secret.tags[TAG.target] ?? '');
    const issues = consumerIssues(target.policy, [consumer]);
    if (issues.length > 0) throw new ValidationError(`${consumer} may not read ${secret.name}`, issues);
  }
  const consumers = parseInput(
    ConsumerRoleList,
    change === 'grant' ? [...access.consumers, consumer] : access.consumers.filter((c) => c !== consumer),
    'consumer roles',
  );
  await deps.store.restrictReads(secret.arn, consumers, access.readers);
  // The broker's token is a version of this secret; a legacy token secret beside it follows at once.
  const token = await deps.store.describe(legacyAccessTokenSecretName(secret.name));
  if (token && !token.deletedDate) await deps.store.copyReadPolicy(secret.arn, token.arn);
  await deps.events.publish('credential.access-changed', {
    secretName: secret.name,
    target: secret.tags[TAG.target] ?? '',
    owner: secret.tags[TAG.owner] ?? '',
    change,
    role: consumer,
    consumers,
  });
  io.out(
    `${change === 'grant' ? 'granted' : 'revoked'}: ${consumer} on ${secret.name} (consumers: ${consumers.length})`,
  );
  return 0;
}

/** An extra reader of every credential: a role ARN or a pattern of them, as the deployment's `credentialReaders` names them. */
const ReaderPattern = z
  .string()
  .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/*-]{1,512}$/, 'must be an IAM role ARN or pattern');

/**
 * `provisioner access adopt [--target <t>] [--reader <arn>]...`: a credential provisioned before
 * consumer access has no resource policy, so `access` refuses it; this puts the stack's policy on
 * it (the stack's function roles, `rolePath` in the secret's account, and the deployment's
 * `credentialReaders`, given as `--reader`), with no consumers: `access grant` adds them. It leaves
 * alone a credential that has the policy already (run it again: nothing changes) and one whose
 * policy someone else wrote, and touches nothing but credentials of this provisioner (the listing
 * is by target tag under the credential prefix, legacy token secrets and task records excluded). A
 * legacy token secret beside a credential (earlier releases) gets the same policy. No event: nobody's access is
 * granted (CloudTrail records each PutResourcePolicy).
 */
export async function adoptAccess(
  deps: Pick<AccessDeps, 'store'> & { readonly rolePath: string },
  options: { readonly target?: string; readonly readers?: readonly string[] },
  io: Output,
): Promise<number> {
  const targets = options.target
    ? [parseInput(TargetName, options.target, '--target')]
    : await deps.store.listTargetNames();
  const extraReaders = (options.readers ?? []).map((r) => parseInput(ReaderPattern, r, '--reader'));
  let adopted = 0;
  for (const target of targets) {
    for (const secret of await deps.store.listByTarget(target)) {
      const policy = await deps.store.resourcePolicy(secret.arn);
      if (policy !== undefined) {
        io.out(
          `${secret.name}: ${readAccessOf(policy) ? 'has its consumer policy already' : 'has a resource policy of its own: left as it is'}`,
        );
        continue;
      }
      // arn:<partition>:secretsmanager:<region>:<account>:secret:<name>
      const [, partition, , , account] = secret.arn.split(':');
      const readers = [`arn:${partition}:iam::${account}:role${deps.rolePath}*`, ...extraReaders];
      await deps.store.restrictReads(secret.arn, [], readers);
      const token = await deps.store.describe(legacyAccessTokenSecretName(secret.name));
      if (token && !token.deletedDate) await deps.store.copyReadPolicy(secret.arn, token.arn);
      io.out(`${secret.name}: consumer policy set (readers: ${readers.join(', ')}; consumers: none)`);
      adopted += 1;
    }
  }
  io.out(
    `adopted ${adopted} credential${adopted === 1 ? '' : 's'}; add consumers with \`provisioner access grant\``,
  );
  return 0;
}
