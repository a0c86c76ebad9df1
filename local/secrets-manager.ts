/**
 * A loopback AWS Secrets Manager for the real `@aws-sdk/client-secrets-manager` (AWS JSON 1.1)
 * and any tool pointed at `npm run local`. It models the rules the workflows depend on and the
 * answers AWS gives (the refusals in `secrets-manager/errors.ts`, each with its recording): the
 * first version gets AWSCURRENT, a label is on one version at a time, moving AWSCURRENT leaves
 * AWSPREVIOUS behind, custom labels, outdated versions removed past 100, ClientRequestToken
 * idempotency, deletion with a recovery window or forced,
 * lookup by name, ARN and partial ARN, ListSecrets' filters and, optionally, its listing lag.
 */
import {
  type AwsJsonCall,
  AwsServiceError,
  type RunningServer,
  startAwsJsonServer,
} from './aws-json-server.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from './endpoints.ts';
import type { PolicyDocument } from './iam/policy.ts';
import {
  forceWithRecoveryWindow,
  invalidName,
  invalidNextToken,
  invalidParameter,
  labelAttachedElsewhere,
  markedForDeletion,
  nameScheduledForDeletion,
  recoveryWindowOutOfRange,
  secretExists,
  secretNotFound,
  stageNotFound,
  stageNotOnVersion,
  tokenInUse,
  tokenMissing,
  validationError,
  versionNotFound,
} from './secrets-manager/errors.ts';
import { type Filterable, matchesFilters, parseFilters } from './secrets-manager/list-filters.ts';
import { ListingHistory } from './secrets-manager/listing-lag.ts';
import { randomPassword } from './secrets-manager/random-password.ts';
import { parseResourcePolicy, refusePublic, validationOf } from './secrets-manager/resource-policy.ts';
import { referenceOf, SECRET_NAME, secretArn } from './secrets-manager/secret-id.ts';

/** Versions a secret keeps before outdated ones are removed (PutSecretValue API reference). */
const MAX_VERSIONS = 100;

interface Version {
  readonly id: string;
  readonly value: string;
  readonly created: Date;
  stages: Set<string>;
}

interface Secret {
  readonly arn: string;
  readonly name: string;
  readonly created: Date;
  description?: string;
  kmsKeyId?: string;
  tags: Map<string, string>;
  /** In creation order, as ListSecretVersionIds lists them. */
  versions: Map<string, Version>;
  lastChanged: Date;
  /** The day (00:00 UTC) of the last GetSecretValue: AWS keeps only the date. */
  lastAccessed?: Date;
  deletedDate?: Date;
  /** The resource-based policy as it was put (GetResourcePolicy answers this text). */
  resourcePolicy?: { readonly text: string; readonly document: PolicyDocument };
}

/** A secret as ListSecrets shows it: its entry and what the filters match, frozen at one time. */
interface ListedSecret extends Filterable {
  readonly deleted: boolean;
  readonly sequence: number;
  readonly entry: Record<string, unknown>;
}

export interface LocalSecretsManagerOptions {
  readonly region?: string;
  readonly accountId?: string;
  readonly clock?: () => Date;
  /** Shared quota of write actions per second; over it, ThrottlingException (AWS: 50/s). Off by default. */
  readonly writeRateLimit?: { readonly perSecond: number };
  /**
   * Milliseconds of this store's clock a ListSecrets answer lags behind writes (AWS: up to five
   * minutes, see `secrets-manager/listing-lag.ts`). Off (0) by default.
   */
  readonly listingLagMs?: number;
}

/** The actions that share the write quota (AWS: 50 requests per second). */
export const WRITES: ReadonlySet<string> = new Set([
  'CreateSecret',
  'UpdateSecret',
  'PutSecretValue',
  'UpdateSecretVersionStage',
  'TagResource',
  'UntagResource',
  'DeleteSecret',
  'RestoreSecret',
  'PutResourcePolicy',
  'DeleteResourcePolicy',
]);

function text(value: unknown, field: string, max = 65_536): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    throw invalidParameter(`${field} must be a non-empty string of at most ${max} characters`);
  }
  return value;
}

function optionalText(value: unknown, field: string, max = 65_536): string | undefined {
  return value === undefined || value === null ? undefined : text(value, field, max);
}

function tagsOf(value: unknown): [string, string][] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > 50)
    throw invalidParameter('Tags must be a list of at most 50 tags');
  return value.map((tag: { Key?: unknown; Value?: unknown }) => [
    text(tag?.Key, 'Tag Key', 128),
    typeof tag?.Value === 'string' ? tag.Value.slice(0, 256) : '',
  ]);
}

/** A ClientRequestToken: 32 to 64 characters (CreateSecret API reference). */
function requestToken(value: unknown): string {
  if (value === undefined || value === null) throw tokenMissing();
  const token = text(value, 'ClientRequestToken', 64);
  if (token.length < 32) throw invalidParameter('ClientRequestToken must be 32-64 characters');
  return token;
}

/** SecretString, if given; SecretBinary is refused rather than dropped: no caller here stores binary. */
function secretStringOf(input: Record<string, unknown>): string | undefined {
  if (input.SecretBinary !== undefined) {
    throw invalidParameter('SecretBinary is not supported by the local Secrets Manager: use SecretString.');
  }
  return optionalText(input.SecretString, 'SecretString');
}

const epoch = (date: Date) => date.getTime() / 1000;
const dayOf = (date: Date) =>
  new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));

export class LocalSecretsManager {
  private readonly secrets = new Map<string, Secret>();
  private readonly region: string;
  private readonly accountId: string;
  private readonly baseClock: () => Date;
  private clockOffsetMs = 0;
  private readonly storedValues: string[] = [];
  private writeWindow = { second: 0, count: 0 };
  private writeLimit: number | undefined;
  private readonly listing: ListingHistory<ListedSecret>;
  /** Creation order, for ListSecrets' sort by CreatedDate. */
  private sequence = 0;
  private readonly sequences = new WeakMap<Secret, number>();
  /** Write calls refused by the quota so far. */
  throttled = 0;

  constructor(options: LocalSecretsManagerOptions = {}) {
    this.region = options.region ?? LOCAL_REGION;
    this.accountId = options.accountId ?? LOCAL_ACCOUNT_ID;
    this.baseClock = options.clock ?? (() => new Date());
    this.writeLimit = options.writeRateLimit?.perSecond;
    this.listing = new ListingHistory(options.listingLagMs ?? 0);
  }

  /** This store's time: its clock plus every `advanceClock`. */
  private now(): Date {
    return new Date(this.baseClock().getTime() + this.clockOffsetMs);
  }

  /** Moves this store's time on (tests: the listing lag passes without a real wait). */
  advanceClock(ms: number): void {
    this.clockOffsetMs += ms;
  }

  /** Milliseconds ListSecrets lags behind writes (0: none); the secrets that exist now count as settled. */
  setListingLag(ms: number): void {
    this.listing.setLag(ms, new Map([...this.secrets].map(([name, s]) => [name, this.listed(s)])));
  }

  secretCount(): number {
    return this.secrets.size;
  }

  /** Secrets not scheduled for deletion: what ListSecrets lists by default, and what storage is billed for. */
  liveSecretCount(): number {
    return [...this.secrets.values()].filter((secret) => !secret.deletedDate).length;
  }

  /** Every secret value ever written, for leak scans (they may appear here and nowhere else). */
  allStoredValues(): string[] {
    return [...this.storedValues];
  }

  /** How many times each action was called (the benchmark counts reads and writes per operation). */
  readonly calls = new Map<string, number>();
  private injected: { errorName: string; left: number; action?: string } | undefined;

  /**
   * The next `times` calls fail with this AWS error (the fault matrix's throttling): calls of any
   * action, or only of `action` (others pass untouched).
   */
  injectFailure(errorName: string, times = 1, action?: string): void {
    this.injected = { errorName, left: times, action };
  }

  /**
   * IAM for one secret of a BatchGetSecretValue call, as GetSecretValue of that secret (its resource
   * policy and key included): throws AWS's error, which becomes that secret's Errors entry.
   */
  authorizeRead: ((call: AwsJsonCall) => void) | undefined;

  /** The actions, AWS field names in and out; `throttled` applies the write quota first. */
  readonly operations: Record<string, (input: Record<string, unknown>, call?: AwsJsonCall) => unknown> =
    Object.fromEntries(
      Object.entries({
        CreateSecret: (i: Record<string, unknown>) => this.createSecret(i),
        UpdateSecret: (i: Record<string, unknown>) => this.updateSecret(i),
        PutSecretValue: (i: Record<string, unknown>) => this.putSecretValue(i),
        GetSecretValue: (i: Record<string, unknown>) => this.getSecretValue(i),
        BatchGetSecretValue: (i: Record<string, unknown>, call?: AwsJsonCall) =>
          this.batchGetSecretValue(i, call),
        DescribeSecret: (i: Record<string, unknown>) =>
          this.describe(this.find(i.SecretId, { allowDeleted: true })),
        ListSecrets: (i: Record<string, unknown>) => this.listSecrets(i),
        ListSecretVersionIds: (i: Record<string, unknown>) => this.listSecretVersionIds(i),
        TagResource: (i: Record<string, unknown>) => this.tagResource(i),
        UntagResource: (i: Record<string, unknown>) => this.untagResource(i),
        UpdateSecretVersionStage: (i: Record<string, unknown>) => this.updateSecretVersionStage(i),
        DeleteSecret: (i: Record<string, unknown>) => this.deleteSecret(i),
        RestoreSecret: (i: Record<string, unknown>) => this.restoreSecret(i),
        GetRandomPassword: (i: Record<string, unknown>) => randomPassword(i),
        PutResourcePolicy: (i: Record<string, unknown>) => this.putResourcePolicy(i),
        GetResourcePolicy: (i: Record<string, unknown>) => this.getResourcePolicy(i),
        DeleteResourcePolicy: (i: Record<string, unknown>) => this.deleteResourcePolicy(i),
        ValidateResourcePolicy: (i: Record<string, unknown>) => this.validateResourcePolicy(i),
      }).map(([name, run]) => [
        name,
        (input: Record<string, unknown>, call?: AwsJsonCall) => {
          this.calls.set(name, (this.calls.get(name) ?? 0) + 1);
          if (this.injected && this.injected.left > 0 && (this.injected.action ?? name) === name) {
            this.injected.left -= 1;
            throw new AwsServiceError(this.injected.errorName, 'Rate exceeded');
          }
          if (WRITES.has(name)) this.countWrite();
          return (run as (i: Record<string, unknown>, c?: AwsJsonCall) => unknown)(input, call);
        },
      ]),
    );

  /** Turns the shared write quota on (AWS: 50 per second) or off; the bulk benchmark runs under it. */
  setWriteRateLimit(perSecond: number | undefined): void {
    this.writeLimit = perSecond;
  }

  private countWrite(): void {
    const limit = this.writeLimit;
    if (!limit) return;
    const second = Math.floor(this.now().getTime() / 1000);
    if (second !== this.writeWindow.second) this.writeWindow = { second, count: 0 };
    if (this.writeWindow.count >= limit) {
      this.throttled += 1;
      throw new AwsServiceError('ThrottlingException', 'Rate exceeded');
    }
    this.writeWindow.count += 1;
  }

  /** The secret a SecretId names (deleted ones included), as IAM evaluates a call on it: its ARN and key. */
  authorizationView(
    id: unknown,
  ): { arn: string; kmsKeyId?: string; resourcePolicy?: PolicyDocument } | undefined {
    try {
      const secret = this.find(id, { allowDeleted: true });
      return { arn: secret.arn, kmsKeyId: secret.kmsKeyId, resourcePolicy: secret.resourcePolicy?.document };
    } catch {
      return undefined;
    }
  }

  /** The secret a SecretId names (name, ARN or partial ARN), or undefined. */
  private lookup(id: unknown): Secret | undefined {
    const reference = referenceOf(text(id, 'SecretId', 2048), this.region, this.accountId);
    if ('name' in reference) return this.secrets.get(reference.name);
    return [...this.secrets.values()].find((s) => s.arn === reference.arn);
  }

  private find(id: unknown, { allowDeleted = false } = {}): Secret {
    const secret = this.lookup(id);
    if (!secret) throw secretNotFound();
    if (secret.deletedDate && !allowDeleted) throw markedForDeletion();
    return secret;
  }

  /** Records a change for the listing lag and the secret's LastChangedDate. */
  private changed(secret: Secret): void {
    secret.lastChanged = this.now();
    this.listing.record(secret.name, secret.lastChanged, this.listed(secret));
  }

  private createSecret(input: Record<string, unknown>) {
    const name = text(input.Name, 'Name', 512);
    if (!SECRET_NAME.test(name)) throw invalidName();
    const value = secretStringOf(input);
    const token = value === undefined ? undefined : requestToken(input.ClientRequestToken);
    const existing = this.secrets.get(name);
    if (existing?.deletedDate) throw nameScheduledForDeletion();
    if (existing) {
      // A repeated request (same token, same value) answers as the first did (moto's aws_verified
      // test_create_duplicate_secret_with_same_token); the same token with another value is refused.
      const version = token === undefined ? undefined : existing.versions.get(token);
      if (!version) throw secretExists(name);
      if (version.value !== value) throw tokenInUse(version.id, existing.arn);
      return { ARN: existing.arn, Name: name, VersionId: version.id };
    }
    const now = this.now();
    const secret: Secret = {
      arn: secretArn(this.region, this.accountId, name),
      name,
      created: now,
      description: optionalText(input.Description, 'Description', 2048),
      kmsKeyId: optionalText(input.KmsKeyId, 'KmsKeyId', 2048),
      tags: new Map(tagsOf(input.Tags)),
      versions: new Map(),
      lastChanged: now,
    };
    this.sequence += 1;
    this.sequences.set(secret, this.sequence);
    this.secrets.set(name, secret);
    const version =
      value === undefined || token === undefined ? undefined : this.addVersion(secret, value, token);
    this.changed(secret);
    return version ? { ARN: secret.arn, Name: name, VersionId: version.id } : { ARN: secret.arn, Name: name };
  }

  private addVersion(secret: Secret, value: string, token: string, stages?: string[]): Version {
    const existing = secret.versions.get(token);
    if (existing) {
      if (existing.value === value) return existing;
      throw tokenInUse(token, secret.arn);
    }
    const labels = stages ?? ['AWSCURRENT'];
    if (labels.length > 20) throw invalidParameter('VersionStages holds at most 20 labels');
    const checked = labels.map((label) => text(label, 'VersionStage', 256));
    const first = secret.versions.size === 0;
    const version: Version = { id: token, value, created: this.now(), stages: new Set() };
    secret.versions.set(token, version);
    this.storedValues.push(value);
    for (const label of checked) this.moveLabel(secret, label, version);
    // The first version of a secret always gets AWSCURRENT, whatever stages were asked for.
    if (first) version.stages.add('AWSCURRENT');
    this.removeOutdatedVersions(secret);
    return version;
  }

  /**
   * "Secrets Manager removes outdated versions when there are more than 100, but it does not remove
   * versions created less than 24 hours ago" (PutSecretValue API reference): the oldest versions
   * without a label go first, so a secret written more than 100 times a day keeps growing (AWS
   * advises at most one PutSecretValue every 10 minutes). A brokered token refreshed every 45
   * minutes adds 32 a day.
   */
  private removeOutdatedVersions(secret: Secret): void {
    const dayAgo = this.now().getTime() - 86_400_000;
    for (const version of [...secret.versions.values()]) {
      if (secret.versions.size <= MAX_VERSIONS) return;
      if (version.stages.size === 0 && version.created.getTime() < dayAgo) secret.versions.delete(version.id);
    }
  }

  /** Puts a label on one version only; moving AWSCURRENT leaves AWSPREVIOUS on the version it left. */
  private moveLabel(secret: Secret, label: string, to: Version): void {
    const from = [...secret.versions.values()].find((v) => v !== to && v.stages.has(label));
    from?.stages.delete(label);
    to.stages.add(label);
    if (label === 'AWSCURRENT' && from) {
      for (const v of secret.versions.values()) v.stages.delete('AWSPREVIOUS');
      from.stages.add('AWSPREVIOUS');
    }
  }

  private putSecretValue(input: Record<string, unknown>) {
    const token = requestToken(input.ClientRequestToken);
    const secret = this.find(input.SecretId);
    const value = secretStringOf(input);
    if (value === undefined) throw invalidParameter('You must provide either SecretString or SecretBinary.');
    const stages = input.VersionStages;
    if (stages !== undefined && !Array.isArray(stages))
      throw invalidParameter('VersionStages must be a list');
    const version = this.addVersion(secret, value, token, stages as string[] | undefined);
    this.changed(secret);
    // Its labels sorted, whatever order they were given in (LocalStack test_put_secret_value_with_version_stages).
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: version.id,
      VersionStages: [...version.stages].sort(),
    };
  }

  /**
   * UpdateSecret: description and key as given; a value makes a new AWSCURRENT version, answered
   * with its VersionId (LocalStack's test_update_secret_description).
   */
  private updateSecret(input: Record<string, unknown>) {
    const value = secretStringOf(input);
    const token = value === undefined ? undefined : requestToken(input.ClientRequestToken);
    const secret = this.find(input.SecretId);
    const description = optionalText(input.Description, 'Description', 2048);
    const kmsKeyId = optionalText(input.KmsKeyId, 'KmsKeyId', 2048);
    const version =
      value === undefined || token === undefined ? undefined : this.addVersion(secret, value, token);
    if (description !== undefined) secret.description = description;
    if (kmsKeyId !== undefined) secret.kmsKeyId = kmsKeyId;
    this.changed(secret);
    return version
      ? { ARN: secret.arn, Name: secret.name, VersionId: version.id }
      : { ARN: secret.arn, Name: secret.name };
  }

  /** The version GetSecretValue reads, with AWS's refusals (test_secret_version_not_found, test_get_secret_value_errors). */
  private versionOf(secret: Secret, input: Record<string, unknown>): Version {
    const versionId = optionalText(input.VersionId, 'VersionId', 64);
    const stage = optionalText(input.VersionStage, 'VersionStage', 256);
    if (versionId) {
      const version = secret.versions.get(versionId);
      if (!version) throw versionNotFound(versionId);
      if (stage && !version.stages.has(stage)) throw stageNotOnVersion();
      return version;
    }
    const label = stage ?? 'AWSCURRENT';
    const version = [...secret.versions.values()].find((v) => v.stages.has(label));
    if (!version) throw stageNotFound(label);
    return version;
  }

  private getSecretValue(input: Record<string, unknown>) {
    const secret = this.find(input.SecretId);
    const version = this.versionOf(secret, input);
    secret.lastAccessed = dayOf(this.now());
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: version.id,
      SecretString: version.value,
      VersionStages: [...version.stages],
      CreatedDate: epoch(version.created),
    };
  }

  /**
   * BatchGetSecretValue (API reference): SecretIdList (at most 20) or Filters, not both; each
   * secret that cannot be read is an entry of Errors, not a failure of the call. The caller needs
   * GetSecretValue on each secret besides BatchGetSecretValue, so each is authorized on its own, its
   * resource policy included: a denied one is an Errors entry with AccessDeniedException
   * (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_BatchGetSecretValue.html).
   */
  private batchGetSecretValue(input: Record<string, unknown>, call?: AwsJsonCall) {
    const read = (SecretId: unknown) => {
      if (call) this.authorizeRead?.({ ...call, operation: 'GetSecretValue', input: { SecretId } });
      return this.getSecretValue({ SecretId });
    };
    const ids = input.SecretIdList;
    if ((ids === undefined) === (input.Filters === undefined)) {
      throw invalidParameter('Either SecretIdList or Filters must be provided, but not both.');
    }
    if (ids !== undefined) {
      if (!Array.isArray(ids) || ids.length === 0 || ids.length > 20) {
        throw invalidParameter('SecretIdList must hold 1 to 20 secret ids.');
      }
      const values: unknown[] = [];
      const errors: unknown[] = [];
      for (const id of ids) {
        try {
          values.push(read(id));
        } catch (error) {
          if (!(error instanceof AwsServiceError)) throw error;
          errors.push({ SecretId: String(id), ErrorCode: error.code, Message: error.message });
        }
      }
      return { SecretValues: values, Errors: errors };
    }
    const page = this.listPage(input, 20);
    const values: unknown[] = [];
    const errors: unknown[] = [];
    for (const { entry } of page.secrets) {
      try {
        values.push(read(entry.ARN));
      } catch (error) {
        if (!(error instanceof AwsServiceError)) throw error;
        errors.push({ SecretId: entry.ARN, ErrorCode: error.code, Message: error.message });
      }
    }
    return { SecretValues: values, Errors: errors, NextToken: page.nextToken };
  }

  private describe(secret: Secret) {
    // Versions without a label are deprecated and not listed, as in AWS; a secret with none has no
    // map at all (LocalStack test_create_secret_version_from_empty_secret).
    const labelled = [...secret.versions.values()].filter((v) => v.stages.size > 0);
    return {
      ARN: secret.arn,
      Name: secret.name,
      Description: secret.description,
      KmsKeyId: secret.kmsKeyId,
      CreatedDate: epoch(secret.created),
      LastChangedDate: epoch(secret.lastChanged),
      LastAccessedDate: secret.lastAccessed ? epoch(secret.lastAccessed) : undefined,
      DeletedDate: secret.deletedDate ? epoch(secret.deletedDate) : undefined,
      Tags: [...secret.tags].map(([Key, Value]) => ({ Key, Value })),
      VersionIdsToStages:
        labelled.length === 0 ? undefined : Object.fromEntries(labelled.map((v) => [v.id, [...v.stages]])),
    };
  }

  private listed(secret: Secret): ListedSecret {
    const { VersionIdsToStages, ...rest } = this.describe(secret);
    return {
      name: secret.name,
      description: secret.description,
      tags: new Map(secret.tags),
      deleted: secret.deletedDate !== undefined,
      sequence: this.sequences.get(secret) ?? 0,
      entry: { ...rest, SecretVersionsToStages: VersionIdsToStages },
    };
  }

  /**
   * One page of ListSecrets as of the listing lag: filters, IncludePlannedDeletion, SortOrder by
   * CreatedDate (ascending unless `desc`), MaxResults 1 to `maxResults`, an opaque NextToken.
   */
  private listPage(input: Record<string, unknown>, maxResults: number) {
    const filters = parseFilters(input.Filters);
    const max = input.MaxResults === undefined ? maxResults : input.MaxResults;
    if (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > maxResults) {
      throw validationError(String(max), 'maxResults', `Member must have value between 1 and ${maxResults}`);
    }
    const start = input.NextToken === undefined ? 0 : offsetOf(input.NextToken);
    const present = new Map([...this.secrets].map(([name, s]) => [name, this.listed(s)]));
    const all = this.listing
      .asOf(this.now(), present)
      .filter((s) => (input.IncludePlannedDeletion === true || !s.deleted) && matchesFilters(filters, s))
      .sort((a, b) => (input.SortOrder === 'desc' ? b.sequence - a.sequence : a.sequence - b.sequence));
    if (start > all.length) throw invalidNextToken();
    return {
      secrets: all.slice(start, start + max),
      nextToken: start + max < all.length ? tokenOf(start + max) : undefined,
    };
  }

  private listSecrets(input: Record<string, unknown>) {
    const page = this.listPage(input, 100);
    return { SecretList: page.secrets.map((s) => s.entry), NextToken: page.nextToken };
  }

  /**
   * ListSecretVersionIds: labelled versions in creation order; IncludeDeprecated adds the
   * unlabelled ones, without VersionStages; KmsKeyIds `DefaultEncryptionKey` for the AWS managed
   * key (LocalStack's test_deprecated_secret_version_stage).
   */
  private listSecretVersionIds(input: Record<string, unknown>) {
    const secret = this.find(input.SecretId, { allowDeleted: true });
    const versions = [...secret.versions.values()]
      .filter((v) => input.IncludeDeprecated === true || v.stages.size > 0)
      .map((v) => ({
        VersionId: v.id,
        ...(v.stages.size > 0 ? { VersionStages: [...v.stages] } : {}),
        CreatedDate: epoch(v.created),
        KmsKeyIds: [secret.kmsKeyId ?? 'DefaultEncryptionKey'],
      }));
    return { ARN: secret.arn, Name: secret.name, Versions: versions };
  }

  private tagResource(input: Record<string, unknown>) {
    const secret = this.find(input.SecretId);
    for (const [key, value] of tagsOf(input.Tags)) secret.tags.set(key, value);
    this.changed(secret);
    return {};
  }

  /**
   * PutResourcePolicy (API reference): replaces the secret's policy; BlockPublicPolicy refuses one
   * granting everyone. Answers ARN and Name (LocalStack test_resource_policy).
   */
  private putResourcePolicy(input: Record<string, unknown>) {
    const secret = this.find(input.SecretId);
    const document = parseResourcePolicy(input.ResourcePolicy);
    if (input.BlockPublicPolicy === true) refusePublic(document);
    secret.resourcePolicy = { text: input.ResourcePolicy as string, document };
    return { ARN: secret.arn, Name: secret.name };
  }

  /** GetResourcePolicy: the policy text as put, no ResourcePolicy field without one (moto test_get_initial_policy). */
  private getResourcePolicy(input: Record<string, unknown>) {
    const secret = this.find(input.SecretId, { allowDeleted: true });
    return { ARN: secret.arn, Name: secret.name, ResourcePolicy: secret.resourcePolicy?.text };
  }

  private deleteResourcePolicy(input: Record<string, unknown>) {
    const secret = this.find(input.SecretId);
    secret.resourcePolicy = undefined;
    return { ARN: secret.arn, Name: secret.name };
  }

  /** ValidateResourcePolicy: findings, not a refusal; SecretId is optional and, given, must name a secret. */
  private validateResourcePolicy(input: Record<string, unknown>) {
    if (input.SecretId !== undefined) this.find(input.SecretId);
    return validationOf(input.ResourcePolicy);
  }

  private untagResource(input: Record<string, unknown>) {
    const secret = this.find(input.SecretId);
    if (!Array.isArray(input.TagKeys)) throw invalidParameter('TagKeys must be a list');
    for (const key of input.TagKeys) secret.tags.delete(String(key));
    this.changed(secret);
    return {};
  }

  private updateSecretVersionStage(input: Record<string, unknown>) {
    const secret = this.find(input.SecretId);
    const stage = text(input.VersionStage, 'VersionStage', 256);
    const moveTo = optionalText(input.MoveToVersionId, 'MoveToVersionId', 64);
    const removeFrom = optionalText(input.RemoveFromVersionId, 'RemoveFromVersionId', 64);
    const holder = [...secret.versions.values()].find((v) => v.stages.has(stage));
    if (holder && holder.id !== removeFrom && holder.id !== moveTo)
      throw labelAttachedElsewhere(stage, holder.id);
    if (removeFrom && !secret.versions.get(removeFrom)?.stages.has(stage)) {
      throw invalidParameter(`The staging label ${stage} is not attached to version ${removeFrom}.`);
    }
    if (!moveTo) {
      if (stage === 'AWSCURRENT')
        throw invalidParameter("You can't remove AWSCURRENT without moving it to another version.");
      if (removeFrom) secret.versions.get(removeFrom)?.stages.delete(stage);
    } else {
      const target = secret.versions.get(moveTo);
      if (!target) throw versionNotFound(moveTo);
      this.moveLabel(secret, stage, target);
    }
    this.changed(secret);
    return { ARN: secret.arn, Name: secret.name };
  }

  /**
   * DeleteSecret: a recovery window of 7 to 30 days (default 30), or forced. A forced delete of a
   * secret that does not exist succeeds (the DeleteSecret API reference: "Secrets Manager
   * performs the permanent secret deletion at the end of the waiting period as a background task
   * ... with ForceDeleteWithoutRecovery"; moto's test_delete_secret_force_no_such_secret): it
   * answers the id as Name; a second scheduling of a deleted secret is refused.
   */
  private deleteSecret(input: Record<string, unknown>) {
    const force = input.ForceDeleteWithoutRecovery === true;
    const window = input.RecoveryWindowInDays;
    if (
      window !== undefined &&
      !(typeof window === 'number' && Number.isInteger(window) && window >= 7 && window <= 30)
    ) {
      throw recoveryWindowOutOfRange();
    }
    if (force && window !== undefined) throw forceWithRecoveryWindow();
    const now = this.now();
    const secret = this.lookup(input.SecretId);
    if (!secret) {
      if (!force) throw secretNotFound();
      const id = String(input.SecretId);
      const arn = id.startsWith('arn:') ? id : secretArn(this.region, this.accountId, id);
      return { ARN: arn, Name: id.startsWith('arn:') ? undefined : id, DeletionDate: epoch(now) };
    }
    if (force) {
      this.secrets.delete(secret.name);
      this.listing.record(secret.name, now, undefined);
      return { ARN: secret.arn, Name: secret.name, DeletionDate: epoch(now) };
    }
    if (secret.deletedDate) throw markedForDeletion();
    secret.deletedDate = now;
    this.changed(secret);
    return {
      ARN: secret.arn,
      Name: secret.name,
      DeletionDate: epoch(new Date(now.getTime() + (window ?? 30) * 86_400_000)),
    };
  }

  private restoreSecret(input: Record<string, unknown>) {
    const secret = this.find(input.SecretId, { allowDeleted: true });
    secret.deletedDate = undefined;
    this.changed(secret);
    return { ARN: secret.arn, Name: secret.name };
  }
}

/** NextToken: an opaque token as AWS gives (base64 of the offset here). */
const tokenOf = (offset: number) => Buffer.from(`offset:${offset}`).toString('base64');

function offsetOf(token: unknown): number {
  const match =
    typeof token === 'string' ? /^offset:(\d+)$/.exec(Buffer.from(token, 'base64').toString('utf8')) : null;
  if (!match) throw invalidNextToken();
  return Number(match[1]);
}

export async function startLocalSecretsManager(
  options: LocalSecretsManagerOptions & {
    port?: number;
    /** IAM for this store's calls (local/iam/service-authorizers.ts). */
    authorize?: (store: LocalSecretsManager) => (call: AwsJsonCall) => void;
  } = {},
): Promise<RunningServer & { store: LocalSecretsManager }> {
  const store = new LocalSecretsManager(options);
  const authorize = options.authorize?.(store);
  store.authorizeRead = authorize;
  const server = await startAwsJsonServer({
    targetPrefix: 'secretsmanager',
    jsonVersion: '1.1',
    operations: store.operations,
    port: options.port,
    authorize,
  });
  return { ...server, store };
}
