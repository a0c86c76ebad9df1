/**
 * The credential store: Secrets Manager is the inventory (docs/architecture.md, data model).
 * One secret per credential, `provisioner/<target>/<api-user>`; targets under
 * `provisioner/targets/<name>`. Only this module knows secret names, tags and stages.
 */
import { createHash } from 'node:crypto';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetResourcePolicyCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  type ListSecretsCommandOutput,
  PutResourcePolicyCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  type SecretsManagerClient,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { consumerReadPolicy, readAccessOf } from './consumer-access.ts';
import {
  awsFailure,
  ConflictError,
  FatalError,
  NotFoundError,
  RetryableError,
  ValidationError,
} from './errors.ts';
import {
  ACCESS_TOKEN_STAGE,
  CURRENT,
  legacyAccessTokenSecretName,
  PENDING,
  SECRET_PREFIX,
  TAG,
  TARGET_PREFIX,
  targetSecretName,
} from './names.ts';
import { productOf, type VendorName } from './products/index.ts';
import type { ProductDefinition } from './products/product.ts';
import type { CredentialMaterial } from './products/vendor.ts';
import { parseTargetDefinition, type TargetDefinition } from './requests.ts';
import { OwnerId, OwnerRef, ownerKind, parseInput } from './schemas.ts';

/**
 * A ClientRequestToken (UUID-shaped, as Secrets Manager expects 32-64 characters) derived from the
 * request and the step, so a retried step writes the same version instead of a second one.
 */
export function clientRequestToken(requestId: string, step: string): string {
  const hex = createHash('sha256').update(`${requestId}\u0000${step}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The JSON stored in a credential secret: metadata beside the product's material fields. */
export type CredentialValue = {
  readonly vendor: VendorName;
  readonly target: string;
  readonly apiUser: string;
  readonly issuedAt: string;
  readonly expiresAt?: string;
  /** Twin-user products: how the API user was created, so rotation creates its twin the same way. */
  readonly userSpec?: {
    readonly profile: string;
    readonly trustedHosts: readonly string[];
    readonly vdom: string;
    readonly rpcPermit?: 'read' | 'read-write';
  };
} & CredentialMaterial;

/** A brokered bearer token, kept for consumers under ACCESS_TOKEN_STAGE in its credential's secret. */
export interface AccessTokenValue {
  readonly accessToken: string;
  readonly expiresAt: string;
  readonly mintedAt: string;
}

export interface SecretDescription {
  readonly arn: string;
  readonly name: string;
  readonly tags: Readonly<Record<string, string>>;
  /** Version id -> staging labels, only versions that carry a label. */
  readonly versions: Readonly<Record<string, readonly string[]>>;
  readonly deletedDate?: Date;
}

function isAwsError(error: unknown, ...names: string[]): boolean {
  return error instanceof Error && names.includes(error.name);
}

/** Every failed call of the store, through the one mapping of SDK failures (core/errors.ts). */
function storeError(action: string, resource: string | undefined, error: unknown) {
  return awsFailure('Secrets Manager', action, error, resource);
}

function stagesOf(versions: Record<string, string[]> | undefined, label: string): string | undefined {
  return Object.entries(versions ?? {}).find(([, labels]) => labels.includes(label))?.[0];
}

export class CredentialStore {
  constructor(
    private readonly client: SecretsManagerClient,
    /** Customer managed KMS key for new secrets (docs/architecture.md, data model); the account default when absent. */
    private readonly kmsKeyId?: string,
    /** ARN patterns of the stack's own readers of credentials (its functions' roles, `credentialReaders`). */
    private readonly readers: readonly string[] = [],
  ) {}

  /**
   * Lets only `consumers` and the stack's readers read the secret (lambdas/core/consumer-access.ts),
   * replacing its resource policy; BlockPublicPolicy, so no policy granting everyone is ever stored.
   */
  async restrictReads(
    secretArn: string,
    consumers: readonly string[],
    readers: readonly string[] = this.readers,
  ): Promise<void> {
    try {
      await this.client.send(
        new PutResourcePolicyCommand({
          SecretId: secretArn,
          ResourcePolicy: consumerReadPolicy(readers, consumers),
          BlockPublicPolicy: true,
        }),
      );
    } catch (error) {
      throw storeError('PutResourcePolicy', secretArn, error);
    }
  }

  /** Who may read the secret, from the policy `restrictReads` put; undefined for a secret without one. */
  async readAccess(secretArn: string): Promise<{ readers: string[]; consumers: string[] } | undefined> {
    return readAccessOf(await this.resourcePolicy(secretArn));
  }

  /** The secret's resource policy as stored, whoever wrote it; undefined when it has none. */
  async resourcePolicy(secretArn: string): Promise<string | undefined> {
    try {
      return (await this.client.send(new GetResourcePolicyCommand({ SecretId: secretArn }))).ResourcePolicy;
    } catch (error) {
      throw storeError('GetResourcePolicy', secretArn, error);
    }
  }

  /**
   * A registered target's definition (its current version, or the one `versionId` names: an admin
   * rotation's pending one); for `<fleet>.<device>`, the fleet target's narrowed to that
   * device (products/fortigate-fleet), so each device's credential has a target of its own.
   */
  async loadTarget(name: string, versionId?: string): Promise<TargetDefinition> {
    const [registered = name, device] = name.split('.', 2);
    const definition = await this.loadRegisteredTarget(registered, versionId);
    if (device === undefined) {
      if (definition.vendor === 'fortigate-fleet') return { ...definition, device: undefined };
      return definition;
    }
    if (definition.vendor !== 'fortigate-fleet')
      throw new NotFoundError(`unknown target "${name}": only a FortiGate fleet target names devices`);
    if (!definition.devices[device])
      throw new NotFoundError(
        `unknown target "${name}": ${device} is not among the devices of ${registered}`,
      );
    return { ...definition, device };
  }

  private async loadRegisteredTarget(name: string, versionId?: string): Promise<TargetDefinition> {
    let text: string | undefined;
    try {
      const answer = await this.client.send(
        new GetSecretValueCommand({ SecretId: targetSecretName(name), VersionId: versionId }),
      );
      text = answer.SecretString;
    } catch (error) {
      if (isAwsError(error, 'ResourceNotFoundException', 'InvalidRequestException')) {
        throw new NotFoundError(`unknown target "${name}": register it with \`provisioner target add\``);
      }
      throw storeError('GetSecretValue', targetSecretName(name), error);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text ?? '');
    } catch {
      throw new FatalError(`target "${name}" is not valid JSON in Secrets Manager`);
    }
    return parseTargetDefinition(parsed, `target "${name}"`);
  }

  /** When the target's current definition was stored (its version's CreatedDate). */
  async targetStoredAt(name: string): Promise<Date | undefined> {
    try {
      return (await this.client.send(new GetSecretValueCommand({ SecretId: targetSecretName(name) })))
        .CreatedDate;
    } catch (error) {
      throw storeError('GetSecretValue', targetSecretName(name), error);
    }
  }

  /**
   * Creates or replaces a target definition (CLI `target add`, the embedded default). A second
   * target on the device and VDOM (ADOM) of another is refused: both would see the same users.
   */
  async putTarget(
    name: string,
    definition: TargetDefinition,
  ): Promise<{ arn: string; created: boolean; versionId: string }> {
    if (definition.vendor === 'fortigate-fleet' && definition.device)
      throw new ValidationError(
        `target ${name}: a fleet target names its devices in \`devices\`; \`device\` comes only from a credential's target <fleet>.<device>`,
      );
    await this.refuseSharedDevice(name, definition);
    return this.upsert(targetSecretName(name), JSON.stringify(definition), {
      description: `Admin credential of provisioner target ${name}`,
      tags: { [TAG.target]: name, [TAG.vendor]: definition.vendor },
    });
  }

  private async refuseSharedDevice(name: string, definition: TargetDefinition): Promise<void> {
    const scopeOf = (target: TargetDefinition) =>
      (productOf(target.vendor) as ProductDefinition).deviceScope?.(target);
    const scope = scopeOf(definition);
    if (!scope) return;
    for (const other of await this.listTargetNames()) {
      if (other === name) continue;
      const theirs = scopeOf(await this.loadTarget(other));
      if (theirs?.origin === scope.origin && theirs.vdom === scope.vdom) {
        throw new ConflictError(
          `target ${other} already uses ${scope.origin} with VDOM ${scope.vdom}: one target per device and VDOM (reconciling either would judge the other's users); give ${name} another VDOM or update ${other}`,
        );
      }
    }
  }

  /** Creates the secret with its tags, or writes a new current value when it exists. */
  private async upsert(
    secretName: string,
    value: string,
    options: { description: string; tags: Record<string, string> },
  ): Promise<{ arn: string; created: boolean; versionId: string }> {
    try {
      const created = await this.client.send(
        new CreateSecretCommand({
          Name: secretName,
          SecretString: value,
          KmsKeyId: this.kmsKeyId,
          Description: options.description,
          Tags: Object.entries(options.tags).map(([Key, Value]) => ({ Key, Value })),
        }),
      );
      return { arn: created.ARN ?? secretName, created: true, versionId: created.VersionId ?? '' };
    } catch (error) {
      if (!(error instanceof ResourceExistsException)) throw storeError('CreateSecret', secretName, error);
    }
    try {
      const put = await this.client.send(
        new PutSecretValueCommand({ SecretId: secretName, SecretString: value }),
      );
      return { arn: put.ARN ?? secretName, created: false, versionId: put.VersionId ?? '' };
    } catch (error) {
      throw storeError('PutSecretValue', secretName, error);
    }
  }

  /**
   * Keeps the broker's newest bearer token for consumers: one PutSecretValue on the credential's own
   * secret with `VersionStages: [ACCESS_TOKEN_STAGE]`, which moves only that label to the new
   * version; AWSCURRENT, AWSPENDING and AWSPREVIOUS stay where they are, and the version that held
   * the label is left unlabelled, deprecated, for Secrets Manager to remove
   * (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_PutSecretValue.html). The
   * credential's resource policy covers it, so no policy is written. The ClientRequestToken is
   * derived from the value, so the same token kept twice is one version.
   */
  async putAccessToken(credentialSecretName: string, value: AccessTokenValue): Promise<void> {
    const secret = await this.describe(credentialSecretName);
    // A secret's first version is AWSCURRENT whatever is asked: a token never goes first.
    if (!secret || !versionWithStage(secret, CURRENT))
      throw new FatalError(
        `${credentialSecretName} holds no current credential: an access token is kept only beside one`,
      );
    const text = JSON.stringify(value);
    try {
      await this.client.send(
        new PutSecretValueCommand({
          SecretId: secret.arn,
          SecretString: text,
          ClientRequestToken: clientRequestToken(secret.arn, `${ACCESS_TOKEN_STAGE}\u0000${text}`),
          VersionStages: [ACCESS_TOKEN_STAGE],
        }),
      );
    } catch (error) {
      throw storeError('PutSecretValue', secret.arn, error);
    }
  }

  /**
   * Migration (docs/architecture.md, secrets and names): the token secret an earlier release kept
   * beside the credential is scheduled for deletion with the recovery window once the token lives
   * under ACCESS_TOKEN_STAGE. DeleteSecret is a write even for a secret that does not exist: asked
   * only when DescribeSecret (a read) finds one not yet scheduled.
   */
  async retireLegacyAccessToken(credentialSecretName: string): Promise<void> {
    const legacy = await this.describe(legacyAccessTokenSecretName(credentialSecretName));
    if (legacy && !legacy.deletedDate) await this.scheduleDeletion(legacy.arn);
  }

  /**
   * Gives `to` the resource policy of `from`, if it has one (a credential's beside it: its access
   * token). No PutResourcePolicy (a write) when `to` holds that policy already.
   */
  async copyReadPolicy(from: string, to: string): Promise<void> {
    const policy = await this.resourcePolicy(from);
    if (policy === undefined) return;
    const held = await this.resourcePolicy(to);
    if (held !== undefined && JSON.stringify(JSON.parse(held)) === JSON.stringify(JSON.parse(policy))) return;
    try {
      await this.client.send(
        new PutResourcePolicyCommand({ SecretId: to, ResourcePolicy: policy, BlockPublicPolicy: true }),
      );
    } catch (error) {
      throw storeError('PutResourcePolicy', to, error);
    }
  }

  /**
   * The broker's token as consumers read it (GetSecretValue with VersionStage ACCESS_TOKEN_STAGE);
   * a credential not refreshed since the migration still has it in its legacy token secret.
   */
  async readAccessToken(credentialSecretName: string): Promise<AccessTokenValue | undefined> {
    return (
      (await this.readJson<AccessTokenValue>(credentialSecretName, ACCESS_TOKEN_STAGE)) ??
      (await this.readJson<AccessTokenValue>(legacyAccessTokenSecretName(credentialSecretName)))
    );
  }

  /** Credentials this system holds for one product user of a target (its key limit counts them). */
  async countServiceUserCredentials(target: string, serviceUser: string, except?: string): Promise<number> {
    const found = await this.list([
      { Key: 'tag-key', Values: [TAG.serviceUser] },
      { Key: 'tag-value', Values: [serviceUser] },
      { Key: 'name', Values: [`${SECRET_PREFIX}${target}/`] },
    ]);
    return found.filter(
      (s) =>
        !s.deletedDate &&
        s.name !== except &&
        s.tags[TAG.serviceUser] === serviceUser &&
        s.tags[TAG.target] === target &&
        credentialStatus(s) !== 'revoked',
    ).length;
  }

  /** A secret's value (its AWSCURRENT, or the version `stage` labels); undefined when there is none. */
  private async readJson<T>(secretName: string, stage?: string): Promise<T | undefined> {
    let text: string | undefined;
    try {
      text = (
        await this.client.send(new GetSecretValueCommand({ SecretId: secretName, VersionStage: stage }))
      ).SecretString;
    } catch (error) {
      if (isAwsError(error, 'ResourceNotFoundException', 'InvalidRequestException')) return undefined;
      throw storeError('GetSecretValue', secretName, error);
    }
    try {
      return JSON.parse(text ?? '') as T;
    } catch {
      throw new FatalError(`${secretName} does not hold JSON`);
    }
  }

  async describe(secretName: string): Promise<SecretDescription | undefined> {
    try {
      const d = await this.client.send(new DescribeSecretCommand({ SecretId: secretName }));
      return {
        arn: d.ARN ?? secretName,
        name: d.Name ?? secretName,
        tags: Object.fromEntries((d.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
        versions: d.VersionIdsToStages ?? {},
        deletedDate: d.DeletedDate,
      };
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw storeError('DescribeSecret', secretName, error);
    }
  }

  /** Creates the credential's secret without a value (create-if-absent); the caller checks ownership tags. */
  async ensureCredentialSecret(secretName: string, tags: Record<string, string>): Promise<SecretDescription> {
    try {
      await this.client.send(
        new CreateSecretCommand({
          Name: secretName,
          KmsKeyId: this.kmsKeyId,
          Description: `API credential managed by credential-provisioner (${tags[TAG.target]}/${tags[TAG.ticket]})`,
          Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
        }),
      );
    } catch (error) {
      if (!(error instanceof ResourceExistsException)) throw storeError('CreateSecret', secretName, error);
    }
    const description = await this.describe(secretName);
    if (!description) throw new RetryableError(`secret ${secretName} is not visible yet after creation`);
    return description;
  }

  /**
   * Stores a new version as AWSPENDING under an idempotency token; returns its version id. A
   * secret's first version is AWSCURRENT whatever the request asks (Secrets Manager's rule), so
   * `firstVersion` stores it without an AWSPENDING label that would only have to be removed again.
   */
  async storePending(
    secretArn: string,
    /** A credential's value, or a target's definition with its next admin credential. */
    value: CredentialValue | TargetDefinition,
    token: string,
    options: { firstVersion?: boolean } = {},
  ): Promise<string> {
    return this.putVersion(secretArn, value, token, options.firstVersion ? CURRENT : PENDING);
  }

  /**
   * Stores a verified credential as AWSCURRENT in one write: Secrets Manager moves AWSPREVIOUS to the
   * version that was current (PutSecretValue, VersionStages:
   * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_PutSecretValue.html).
   */
  async storeCurrent(secretArn: string, value: CredentialValue, token: string): Promise<string> {
    return this.putVersion(secretArn, value, token, CURRENT);
  }

  private async putVersion(
    secretArn: string,
    value: CredentialValue | TargetDefinition,
    token: string,
    stage: typeof CURRENT | typeof PENDING,
  ): Promise<string> {
    try {
      const answer = await this.client.send(
        new PutSecretValueCommand({
          SecretId: secretArn,
          SecretString: JSON.stringify(value),
          ClientRequestToken: token,
          VersionStages: [stage],
        }),
      );
      return answer.VersionId ?? token;
    } catch (error) {
      throw storeError('PutSecretValue', secretArn, error);
    }
  }

  async readVersion(secretArn: string, versionId: string): Promise<CredentialValue> {
    return this.readVersionOrStage(secretArn, { VersionId: versionId });
  }

  private async readVersionOrStage(
    secretArn: string,
    which: { VersionId: string } | { VersionStage: string },
  ): Promise<CredentialValue> {
    let text: string | undefined;
    try {
      text = (await this.client.send(new GetSecretValueCommand({ SecretId: secretArn, ...which })))
        .SecretString;
    } catch (error) {
      throw storeError('GetSecretValue', secretArn, error);
    }
    try {
      return JSON.parse(text ?? '') as CredentialValue;
    } catch {
      throw new FatalError(`a version of ${secretArn} does not hold JSON`);
    }
  }

  /**
   * Makes a version AWSCURRENT (the previous current becomes AWSPREVIOUS) and clears its AWSPENDING label.
   * Safe to repeat: each move is skipped when already done.
   */
  async promote(secretArn: string, versionId: string): Promise<void> {
    const description = await this.describe(secretArn);
    const versions = (description?.versions ?? {}) as Record<string, string[]>;
    const current = stagesOf(versions, CURRENT);
    if (current !== versionId) await this.updateStage(secretArn, CURRENT, versionId, current);
    if (versions[versionId]?.includes(PENDING)) await this.removeStage(secretArn, PENDING, versionId);
  }

  async removeStage(secretArn: string, stage: string, versionId: string): Promise<void> {
    await this.updateStage(secretArn, stage, undefined, versionId);
  }

  async moveStage(
    secretArn: string,
    stage: string,
    toVersionId: string,
    fromVersionId: string,
  ): Promise<void> {
    await this.updateStage(secretArn, stage, toVersionId, fromVersionId);
  }

  private async updateStage(
    secretArn: string,
    stage: string,
    moveTo: string | undefined,
    removeFrom: string | undefined,
  ): Promise<void> {
    try {
      await this.client.send(
        new UpdateSecretVersionStageCommand({
          SecretId: secretArn,
          VersionStage: stage,
          ...(moveTo ? { MoveToVersionId: moveTo } : {}),
          ...(removeFrom ? { RemoveFromVersionId: removeFrom } : {}),
        }),
      );
    } catch (error) {
      throw storeError('UpdateSecretVersionStage', secretArn, error);
    }
  }

  async tag(secretArn: string, tags: Record<string, string>): Promise<void> {
    try {
      await this.client.send(
        new TagResourceCommand({
          SecretId: secretArn,
          Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
        }),
      );
    } catch (error) {
      throw storeError('TagResource', secretArn, error);
    }
  }

  async untag(secretArn: string, keys: readonly string[]): Promise<void> {
    try {
      await this.client.send(new UntagResourceCommand({ SecretId: secretArn, TagKeys: [...keys] }));
    } catch (error) {
      throw storeError('UntagResource', secretArn, error);
    }
  }

  /** Deletes at once: used only for a secret whose key is already dead (its user was removed). */
  async deleteNow(secretArn: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteSecretCommand({ SecretId: secretArn, ForceDeleteWithoutRecovery: true }),
      );
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return;
      throw storeError('DeleteSecret', secretArn, error);
    }
  }

  /**
   * Schedules deletion with a recovery window (a revoked credential): the secret stays restorable
   * for `days`, is hidden from consumers at once, and is skipped by later revocations.
   */
  async scheduleDeletion(secretArn: string, days = 7): Promise<void> {
    try {
      await this.client.send(new DeleteSecretCommand({ SecretId: secretArn, RecoveryWindowInDays: days }));
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return;
      // A secret already scheduled for deletion answers InvalidRequestException: done before.
      if (isAwsError(error, 'InvalidRequestException')) return;
      throw storeError('DeleteSecret', secretArn, error);
    }
  }

  /** The consumers' view of a credential: its AWSCURRENT value. */
  async readCurrent(secretArn: string): Promise<CredentialValue> {
    return this.readVersionOrStage(secretArn, { VersionStage: CURRENT });
  }

  /** Names of the registered targets. */
  async listTargetNames(): Promise<string[]> {
    return (await this.listTargets()).map((target) => target.name);
  }

  /** The registered targets: each name and the product its tag names. */
  async listTargets(): Promise<{ readonly name: string; readonly vendor: string | undefined }[]> {
    return (await this.list([{ Key: 'name', Values: [TARGET_PREFIX] }]))
      .filter((s) => !s.deletedDate)
      .map((s) => ({ name: s.name.slice(TARGET_PREFIX.length), vendor: s.tags[TAG.vendor] }));
  }

  /** Credential secrets of one target (not its access tokens or tasks), deleted ones excluded. */
  async listByTarget(target: string): Promise<SecretDescription[]> {
    const found = await this.list([
      { Key: 'tag-key', Values: [TAG.target] },
      { Key: 'tag-value', Values: [target] },
      { Key: 'name', Values: [`${SECRET_PREFIX}${target}/`] },
    ]);
    return found.filter((s) => s.tags[TAG.target] === target && !s.tags[TAG.kind] && !s.deletedDate);
  }

  /**
   * Credentials of one owner, found by tag (docs/architecture.md, data model). ListSecrets'
   * tag-value filter is case-sensitive and tags written before owner ids were canonical may hold
   * another case, so this lists every owner-tagged credential and compares canonical forms.
   */
  async listByOwner(owner: string): Promise<SecretDescription[]> {
    const canonical = parseInput(OwnerRef, owner, 'owner');
    const found = await this.list([
      { Key: 'tag-key', Values: [TAG.owner] },
      { Key: 'name', Values: [SECRET_PREFIX] },
    ]);
    return found.filter((s) => OwnerRef.safeParse(s.tags[TAG.owner]).data === canonical && !s.tags[TAG.kind]);
  }

  /** Teams' credentials a person requested (tag `provisioner:requested-by`), deleted ones excluded. */
  async listRequestedForTeams(person: string): Promise<SecretDescription[]> {
    const canonical = parseInput(OwnerId, person, 'person');
    const found = await this.list([
      { Key: 'tag-key', Values: [TAG.requestedBy] },
      { Key: 'name', Values: [SECRET_PREFIX] },
    ]);
    return found.filter(
      (s) =>
        s.tags[TAG.requestedBy] === canonical &&
        ownerKind(s.tags[TAG.owner] ?? '') === 'team' &&
        !s.tags[TAG.kind] &&
        !s.deletedDate,
    );
  }

  private async list(filters: { Key: 'tag-key' | 'tag-value' | 'name'; Values: string[] }[]) {
    const found: SecretDescription[] = [];
    let nextToken: string | undefined;
    do {
      let page: ListSecretsCommandOutput;
      try {
        page = await this.client.send(new ListSecretsCommand({ Filters: filters, NextToken: nextToken }));
      } catch (error) {
        throw storeError('ListSecrets', undefined, error);
      }
      for (const s of page.SecretList ?? []) {
        found.push({
          arn: s.ARN ?? '',
          name: s.Name ?? '',
          tags: Object.fromEntries((s.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
          versions: s.SecretVersionsToStages ?? {},
          deletedDate: s.DeletedDate,
        });
      }
      nextToken = page.NextToken;
    } while (nextToken);
    return found;
  }
}

/** Where a credential is in its life (docs/architecture.md, status model). */
export type CredentialStatus = 'provisioning' | 'active' | 'revoking' | 'revoked';

/**
 * The one place that says what a credential's status is. The status tag is written only where it
 * says what nothing else does: `provisioning` on the CreateSecret that makes the secret, `revoking`
 * before a revocation touches the product. The rest is read from the secret itself, as DescribeSecret
 * (VersionIdsToStages, DeletedDate) and ListSecrets (SecretVersionsToStages) return it:
 * - `active`: an AWSCURRENT version that carries no AWSPENDING. An API key is stored current; a
 *   handed-in credential is stored AWSPENDING (its first version is current too) until
 *   FinalizeCredential clears the label after verifying it.
 * - `revoked`: `revoking` and scheduled for deletion, which DeleteSecret does only after the product
 *   refused the credential.
 * `reprovisioning`: a revoked secret a new request took over, `provisioning` until FinalizeCredential
 * tags it `active`. Secrets tagged `active` or `revoked` (earlier releases, a finalized or
 * compensated reuse) read as tagged. Undefined for no secret, or one without the tag (not a credential).
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DescribeSecret.html
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_ListSecrets.html
 */
export function credentialStatus(
  secret: Pick<SecretDescription, 'tags' | 'versions' | 'deletedDate'> | undefined,
): CredentialStatus | undefined {
  if (!secret) return undefined;
  const tagged = secret.tags[TAG.status];
  if (tagged === 'revoking') return secret.deletedDate ? 'revoked' : 'revoking';
  // A reused secret's AWSCURRENT is still the earlier request's (revoked) key.
  if (tagged === 'reprovisioning') return 'provisioning';
  if (tagged === 'provisioning') {
    const current = versionWithStage(secret, CURRENT);
    return current && !secret.versions[current]?.includes(PENDING) ? 'active' : 'provisioning';
  }
  if (tagged === 'active' || tagged === 'revoked') return tagged;
  return undefined;
}

export function versionWithStage(
  description: Pick<SecretDescription, 'versions'>,
  stage: string,
): string | undefined {
  return stagesOf(description.versions as Record<string, string[]>, stage);
}
