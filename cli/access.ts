/**
 * `provisioner access grant|revoke <secret> --role <arn>`: who, besides the stack, may read one
 * credential. The consumer list lives in the secret's resource policy (lambdas/core/consumer-access.ts),
 * changed here with the stack's readers kept as the policy names them, and announced as a
 * `credential.access-changed` event (the audit trail beside CloudTrail's PutResourcePolicy).
 */
import { ConflictError, NotFoundError, ValidationError } from '#core/errors.ts';
import type { EventPublisher } from '#core/events.ts';
import { accessTokenSecretName, SECRET_PREFIX, TAG, TARGET_PREFIX } from '#core/names.ts';
import { consumerIssues } from '#core/products/policy.ts';
import { ConsumerRoleArn, ConsumerRoleList, parseInput } from '#core/schemas.ts';
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
      `${secret.name} has no consumer policy of this provisioner (provisioned before consumer access, or changed by hand); provision it again to set one`,
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
  // A broker's access token beside it follows at once (the refresh would copy it within 45 minutes).
  const token = await deps.store.describe(accessTokenSecretName(secret.name));
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
