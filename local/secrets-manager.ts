/**
 * A loopback AWS Secrets Manager for the real `@aws-sdk/client-secrets-manager` (AWS JSON 1.1).
 * It models the rules the workflows depend on: the first version gets AWSCURRENT, a label is on
 * one version at a time, moving AWSCURRENT leaves AWSPREVIOUS behind, ClientRequestToken
 * idempotency, deletion with a recovery window or forced, tag filters with prefix matching.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  type AwsJsonCall,
  AwsServiceError,
  type RunningServer,
  startAwsJsonServer,
} from './aws-json-server.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from './endpoints.ts';

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
  versions: Map<string, Version>;
  lastChanged: Date;
  deletedDate?: Date;
}

export interface LocalSecretsManagerOptions {
  readonly region?: string;
  readonly accountId?: string;
  readonly clock?: () => Date;
  /** Shared quota of write actions per second; over it, ThrottlingException (AWS: 50/s). Off by default. */
  readonly writeRateLimit?: { readonly perSecond: number };
}

const NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
/** The actions that share the write quota (AWS: 50 requests per second). */
export const WRITES: ReadonlySet<string> = new Set([
  'CreateSecret',
  'PutSecretValue',
  'UpdateSecretVersionStage',
  'TagResource',
  'UntagResource',
  'DeleteSecret',
  'RestoreSecret',
]);

const invalid = (message: string) => new AwsServiceError('InvalidParameterException', message);
const notFound = () =>
  new AwsServiceError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");

function text(value: unknown, field: string, max = 65_536): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    throw invalid(`${field} must be a non-empty string of at most ${max} characters`);
  }
  return value;
}

function optionalText(value: unknown, field: string, max = 65_536): string | undefined {
  return value === undefined || value === null ? undefined : text(value, field, max);
}

function tagsOf(value: unknown): [string, string][] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > 50) throw invalid('Tags must be a list of at most 50 tags');
  return value.map((tag: { Key?: unknown; Value?: unknown }) => [
    text(tag?.Key, 'Tag Key', 128),
    typeof tag?.Value === 'string' ? tag.Value.slice(0, 256) : '',
  ]);
}

const epoch = (date: Date) => date.getTime() / 1000;

export class LocalSecretsManager {
  private readonly secrets = new Map<string, Secret>();
  private readonly region: string;
  private readonly accountId: string;
  private readonly clock: () => Date;
  private readonly storedValues: string[] = [];
  private writeWindow = { second: 0, count: 0 };
  private writeLimit: number | undefined;
  /** Write calls refused by the quota so far. */
  throttled = 0;

  constructor(options: LocalSecretsManagerOptions = {}) {
    this.region = options.region ?? LOCAL_REGION;
    this.accountId = options.accountId ?? LOCAL_ACCOUNT_ID;
    this.clock = options.clock ?? (() => new Date());
    this.writeLimit = options.writeRateLimit?.perSecond;
  }

  secretCount(): number {
    return this.secrets.size;
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

  /** The actions, AWS field names in and out; `throttled` applies the write quota first. */
  readonly operations: Record<string, (input: Record<string, unknown>) => unknown> = Object.fromEntries(
    Object.entries({
      CreateSecret: (i: Record<string, unknown>) => this.createSecret(i),
      PutSecretValue: (i: Record<string, unknown>) => this.putSecretValue(i),
      GetSecretValue: (i: Record<string, unknown>) => this.getSecretValue(i),
      DescribeSecret: (i: Record<string, unknown>) => this.describeSecret(i),
      ListSecrets: (i: Record<string, unknown>) => this.listSecrets(i),
      TagResource: (i: Record<string, unknown>) => this.tagResource(i),
      UntagResource: (i: Record<string, unknown>) => this.untagResource(i),
      UpdateSecretVersionStage: (i: Record<string, unknown>) => this.updateSecretVersionStage(i),
      DeleteSecret: (i: Record<string, unknown>) => this.deleteSecret(i),
      RestoreSecret: (i: Record<string, unknown>) => this.restoreSecret(i),
    }).map(([name, run]) => [
      name,
      (input: Record<string, unknown>) => {
        this.calls.set(name, (this.calls.get(name) ?? 0) + 1);
        if (this.injected && this.injected.left > 0 && (this.injected.action ?? name) === name) {
          this.injected.left -= 1;
          throw new AwsServiceError(this.injected.errorName, 'Rate exceeded');
        }
        if (WRITES.has(name)) this.countWrite();
        return run(input);
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
    const second = Math.floor(this.clock().getTime() / 1000);
    if (second !== this.writeWindow.second) this.writeWindow = { second, count: 0 };
    if (this.writeWindow.count >= limit) {
      this.throttled += 1;
      throw new AwsServiceError('ThrottlingException', 'Rate exceeded');
    }
    this.writeWindow.count += 1;
  }

  /** The secret a SecretId names (deleted ones included), as IAM evaluates a call on it: its ARN and key. */
  authorizationView(id: unknown): { arn: string; kmsKeyId?: string } | undefined {
    try {
      const secret = this.find(id, { allowDeleted: true });
      return { arn: secret.arn, kmsKeyId: secret.kmsKeyId };
    } catch {
      return undefined;
    }
  }

  private find(id: unknown, { allowDeleted = false } = {}): Secret {
    const secretId = text(id, 'SecretId', 2048);
    const secret = this.secrets.get(secretId) ?? [...this.secrets.values()].find((s) => s.arn === secretId);
    if (!secret) throw notFound();
    if (secret.deletedDate && !allowDeleted) {
      throw new AwsServiceError(
        'InvalidRequestException',
        'You can’t perform this operation on the secret because it was marked for deletion.',
      );
    }
    return secret;
  }

  private createSecret(input: Record<string, unknown>) {
    const name = text(input.Name, 'Name', 512);
    if (!NAME.test(name))
      throw new AwsServiceError('ValidationException', 'Invalid name: use [A-Za-z0-9/_+=.@-]');
    const existing = this.secrets.get(name);
    if (existing?.deletedDate) {
      throw new AwsServiceError(
        'InvalidRequestException',
        'You can’t create this secret because a secret with this name is already scheduled for deletion.',
      );
    }
    if (existing)
      throw new AwsServiceError(
        'ResourceExistsException',
        `The operation failed because the secret ${name} already exists.`,
      );
    const now = this.clock();
    const secret: Secret = {
      arn: `arn:aws:secretsmanager:${this.region}:${this.accountId}:secret:${name}-${randomBytes(3).toString('hex')}`,
      name,
      created: now,
      description: optionalText(input.Description, 'Description', 2048),
      kmsKeyId: optionalText(input.KmsKeyId, 'KmsKeyId', 2048),
      tags: new Map(tagsOf(input.Tags)),
      versions: new Map(),
      lastChanged: now,
    };
    this.secrets.set(name, secret);
    const value = optionalText(input.SecretString, 'SecretString');
    if (value === undefined) return { ARN: secret.arn, Name: name };
    const version = this.addVersion(
      secret,
      value,
      optionalText(input.ClientRequestToken, 'ClientRequestToken', 64),
    );
    return { ARN: secret.arn, Name: name, VersionId: version.id };
  }

  private addVersion(secret: Secret, value: string, token: string | undefined, stages?: string[]): Version {
    const id = token ?? randomUUID();
    if (id.length < 32 || id.length > 64) throw invalid('ClientRequestToken must be 32-64 characters');
    const existing = secret.versions.get(id);
    if (existing) {
      if (existing.value === value) return existing;
      throw new AwsServiceError(
        'ResourceExistsException',
        'You can’t modify an existing version, you can only create a new version.',
      );
    }
    const labels = stages ?? ['AWSCURRENT'];
    if (labels.length > 20) throw invalid('VersionStages holds at most 20 labels');
    const first = secret.versions.size === 0;
    const version: Version = { id, value, created: this.clock(), stages: new Set() };
    secret.versions.set(id, version);
    this.storedValues.push(value);
    for (const label of labels) this.moveLabel(secret, text(label, 'VersionStage', 256), version);
    // The first version of a secret always gets AWSCURRENT, whatever stages were asked for.
    if (first) version.stages.add('AWSCURRENT');
    secret.lastChanged = this.clock();
    return version;
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
    const secret = this.find(input.SecretId);
    const value = text(input.SecretString, 'SecretString');
    const stages = input.VersionStages === undefined ? undefined : (input.VersionStages as unknown[]);
    if (stages !== undefined && !Array.isArray(stages)) throw invalid('VersionStages must be a list');
    const token = optionalText(input.ClientRequestToken, 'ClientRequestToken', 64);
    const version = this.addVersion(secret, value, token, stages as string[] | undefined);
    return { ARN: secret.arn, Name: secret.name, VersionId: version.id, VersionStages: [...version.stages] };
  }

  private getSecretValue(input: Record<string, unknown>) {
    const secret = this.find(input.SecretId);
    const versionId = optionalText(input.VersionId, 'VersionId', 64);
    const stage =
      optionalText(input.VersionStage, 'VersionStage', 256) ?? (versionId ? undefined : 'AWSCURRENT');
    const version = versionId
      ? secret.versions.get(versionId)
      : [...secret.versions.values()].find((v) => stage && v.stages.has(stage));
    if (!version || (stage && !version.stages.has(stage))) {
      throw new AwsServiceError(
        'ResourceNotFoundException',
        "Secrets Manager can't find the specified secret value for the version or staging label.",
      );
    }
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: version.id,
      SecretString: version.value,
      VersionStages: [...version.stages],
      CreatedDate: epoch(version.created),
    };
  }

  private describe(secret: Secret) {
    return {
      ARN: secret.arn,
      Name: secret.name,
      Description: secret.description,
      KmsKeyId: secret.kmsKeyId,
      CreatedDate: epoch(secret.created),
      LastChangedDate: epoch(secret.lastChanged),
      DeletedDate: secret.deletedDate ? epoch(secret.deletedDate) : undefined,
      Tags: [...secret.tags].map(([Key, Value]) => ({ Key, Value })),
      // Versions without a label are deprecated and not listed, as in AWS.
      VersionIdsToStages: Object.fromEntries(
        [...secret.versions.values()].filter((v) => v.stages.size > 0).map((v) => [v.id, [...v.stages]]),
      ),
    };
  }

  private describeSecret(input: Record<string, unknown>) {
    return this.describe(this.find(input.SecretId, { allowDeleted: true }));
  }

  private listSecrets(input: Record<string, unknown>) {
    const filters = (Array.isArray(input.Filters) ? input.Filters : []) as {
      Key?: unknown;
      Values?: unknown;
    }[];
    if (filters.length > 10) throw invalid('at most 10 filters');
    const matches = (secret: Secret) =>
      filters.every((filter) => {
        const values = Array.isArray(filter.Values) ? filter.Values.filter((v) => typeof v === 'string') : [];
        const candidates: string[] = (() => {
          switch (filter.Key) {
            case 'name':
              return [secret.name];
            case 'tag-key':
              return [...secret.tags.keys()];
            case 'tag-value':
              return [...secret.tags.values()];
            case 'description':
              return [secret.description ?? ''];
            case 'all':
              return [secret.name, secret.description ?? '', ...secret.tags.keys(), ...secret.tags.values()];
            default:
              throw invalid(`unsupported filter key ${String(filter.Key)}`);
          }
        })();
        // Values are prefix matches; a value starting with "!" negates (AWS ListSecrets filters).
        return values.some((value: string) =>
          value.startsWith('!')
            ? !candidates.some((c) => c.startsWith(value.slice(1)))
            : candidates.some((c) => c.startsWith(value)),
        );
      });
    const all = [...this.secrets.values()]
      .filter((s) => (input.IncludePlannedDeletion === true || !s.deletedDate) && matches(s))
      .sort((a, b) => a.name.localeCompare(b.name));
    const max = typeof input.MaxResults === 'number' ? Math.min(Math.max(1, input.MaxResults), 100) : 100;
    const start = typeof input.NextToken === 'string' ? Number.parseInt(input.NextToken, 10) || 0 : 0;
    const page = all.slice(start, start + max);
    return {
      SecretList: page.map((s) => {
        const { VersionIdsToStages, ...rest } = this.describe(s);
        return { ...rest, SecretVersionsToStages: VersionIdsToStages };
      }),
      NextToken: start + max < all.length ? String(start + max) : undefined,
    };
  }

  private tagResource(input: Record<string, unknown>) {
    const secret = this.find(input.SecretId);
    for (const [key, value] of tagsOf(input.Tags)) secret.tags.set(key, value);
    return {};
  }

  private untagResource(input: Record<string, unknown>) {
    const secret = this.find(input.SecretId);
    if (!Array.isArray(input.TagKeys)) throw invalid('TagKeys must be a list');
    for (const key of input.TagKeys) secret.tags.delete(String(key));
    return {};
  }

  private updateSecretVersionStage(input: Record<string, unknown>) {
    const secret = this.find(input.SecretId);
    const stage = text(input.VersionStage, 'VersionStage', 256);
    const moveTo = optionalText(input.MoveToVersionId, 'MoveToVersionId', 64);
    const removeFrom = optionalText(input.RemoveFromVersionId, 'RemoveFromVersionId', 64);
    const holder = [...secret.versions.values()].find((v) => v.stages.has(stage));
    if (holder && holder.id !== removeFrom && holder.id !== moveTo) {
      throw invalid(
        `The staging label ${stage} is currently attached to version ${holder.id}; give it as RemoveFromVersionId.`,
      );
    }
    if (removeFrom && !secret.versions.get(removeFrom)?.stages.has(stage)) {
      throw invalid(`The staging label ${stage} is not attached to version ${removeFrom}.`);
    }
    if (!moveTo) {
      if (stage === 'AWSCURRENT')
        throw invalid('You can’t remove AWSCURRENT without moving it to another version.');
      if (removeFrom) secret.versions.get(removeFrom)?.stages.delete(stage);
    } else {
      const target = secret.versions.get(moveTo);
      if (!target) throw notFound();
      this.moveLabel(secret, stage, target);
    }
    secret.lastChanged = this.clock();
    return { ARN: secret.arn, Name: secret.name };
  }

  private deleteSecret(input: Record<string, unknown>) {
    const secret = this.find(input.SecretId, { allowDeleted: true });
    const force = input.ForceDeleteWithoutRecovery === true;
    if (force && input.RecoveryWindowInDays !== undefined) {
      throw invalid('You can’t use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.');
    }
    const days = input.RecoveryWindowInDays === undefined ? 30 : Number(input.RecoveryWindowInDays);
    if (!force && !(Number.isInteger(days) && days >= 7 && days <= 30)) {
      throw invalid('RecoveryWindowInDays must be between 7 and 30');
    }
    const now = this.clock();
    if (force) {
      this.secrets.delete(secret.name);
      return { ARN: secret.arn, Name: secret.name, DeletionDate: epoch(now) };
    }
    secret.deletedDate ??= now;
    return {
      ARN: secret.arn,
      Name: secret.name,
      DeletionDate: epoch(new Date(now.getTime() + days * 86_400_000)),
    };
  }

  private restoreSecret(input: Record<string, unknown>) {
    const secret = this.find(input.SecretId, { allowDeleted: true });
    secret.deletedDate = undefined;
    return { ARN: secret.arn, Name: secret.name };
  }
}

export async function startLocalSecretsManager(
  options: LocalSecretsManagerOptions & {
    port?: number;
    /** IAM for this store's calls (local/iam/service-authorizers.ts). */
    authorize?: (store: LocalSecretsManager) => (call: AwsJsonCall) => void;
  } = {},
): Promise<RunningServer & { store: LocalSecretsManager }> {
  const store = new LocalSecretsManager(options);
  const server = await startAwsJsonServer({
    targetPrefix: 'secretsmanager',
    jsonVersion: '1.1',
    operations: store.operations,
    port: options.port,
    authorize: options.authorize?.(store),
  });
  return { ...server, store };
}
