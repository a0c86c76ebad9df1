/**
 * Domain events on EventBridge. Details carry names, ARNs and ids only, never key material:
 * the detail types below are the whole public contract.
 */
import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsCommandOutput,
} from '@aws-sdk/client-eventbridge';
import { SERVICE_NAME } from './config.ts';
import { awsFailure, RetryableError } from './errors.ts';

const EVENT_SOURCE = SERVICE_NAME;

interface CredentialEventDetail {
  readonly target: string;
  readonly apiUser: string;
  readonly owner: string;
  readonly ticket: string;
  readonly requestId: string;
  readonly secretArn?: string;
  readonly versionId?: string;
  readonly error?: string;
  readonly reason?: string;
}

/**
 * An operator must act in a product's UI: what to do, for which ticket, by when. It names the task
 * to answer (`provisioner submit --task <taskId>`); the task token itself stays in Secrets Manager.
 */
export interface ActionRequiredDetail {
  readonly taskId: string;
  /** `issue`: a first credential; `rotate`: a second one beside the current; `revoke`: remove one, then confirm. */
  readonly action: 'issue' | 'rotate' | 'revoke';
  readonly target: string;
  readonly vendor: string;
  readonly apiUser: string;
  readonly owner: string;
  readonly ticket: string;
  readonly requestId: string;
  readonly deadline: string;
  readonly acknowledgeBy?: string;
  readonly summary: string;
  readonly steps: readonly string[];
  readonly expects: string;
  readonly submit: string;
}

/** A target's own admin credential rotated (or failed to): names and version ids, never the token. */
interface AdminRotationDetail {
  readonly target: string;
  /** The admin user that holds the current admin credential now. */
  readonly adminUser: string;
  readonly requestId: string;
  readonly secretArn: string;
  readonly versionId?: string;
  readonly error?: string;
  readonly reason?: string;
}

export interface EventDetails {
  'credential.provisioned': CredentialEventDetail;
  'credential.provision-failed': CredentialEventDetail & { readonly operatorAction?: string };
  'credential.action-required': ActionRequiredDetail;
  'credential.revoked': CredentialEventDetail;
  'credential.rotated': CredentialEventDetail;
  /** Before a rotation changes anything: when it will, and how long the previous key then stays valid. */
  'credential.rotation-scheduled': CredentialEventDetail & {
    readonly startAt: string;
    readonly gracePeriodMinutes: number;
  };
  'credential.rotation-failed': CredentialEventDetail;
  'credential.admin-rotated': AdminRotationDetail;
  'credential.admin-rotation-failed': AdminRotationDetail;
  'credential.drift-report': {
    readonly requestId: string;
    readonly targets: number;
    readonly credentialsChecked: number;
    readonly orphans: readonly string[];
    readonly repaired: readonly string[];
    readonly broken: readonly string[];
    /** Credentials whose product answered neither that it accepts nor that it refuses them. */
    readonly inconclusive: readonly string[];
    /** Credentials whose check failed (an error, not an answer): neither accepted nor refused. */
    readonly unverified: readonly string[];
    readonly expiring: readonly string[];
    /** Targets whose own admin credential is older than their policy allows. */
    readonly staleAdmins: readonly string[];
    readonly unreachable: readonly string[];
    /**
     * Twin-user drift (a retired twin restored, a current key broken, an HA member out of sync),
     * each saying what `repair` did: `removed`, `rotation-started` (its execution) or only `reported`.
     */
    readonly findings: readonly {
      readonly kind: string;
      readonly credential: string;
      readonly user: string;
      readonly detail: string;
      readonly repair: string;
      readonly execution?: string;
    }[];
    /**
     * How many findings of each kind there are (twin-user drift as `findings.<kind>.<repair>`): the
     * lists above are samples when a count is larger (every finding is in ReconcileTarget's log,
     * `reconcile findings`).
     */
    readonly counts: Readonly<Record<string, number>>;
    /**
     * What still needs a person: orphans not repaired, broken (less those a rotation re-issues),
     * inconclusive, unverified, expiring, stale admin credentials, unreachable targets, findings only
     * reported.
     */
    readonly driftCount: number;
  };
  /**
   * A person's credential others use outlives their offboarding until `heldUntil` (the target's
   * policy); its schedule revokes it at `revokesAt`.
   */
  'credential.offboarding-held': CredentialEventDetail & {
    readonly heldUntil: string;
    readonly revokesAt: string;
  };
  /** A member left a team: the team keeps the credentials they requested for it. */
  'credential.team-member-left': {
    readonly team: string;
    readonly member: string;
    readonly requestId: string;
    readonly reason: string;
    readonly credentials: readonly string[];
  };
  /** An operator moved a credential to another owner (`provisioner transfer`); a hold it had is released. */
  'credential.transferred': {
    readonly from: string;
    readonly to: string;
    readonly secretName: string;
    readonly secretArn: string;
    readonly target: string;
    readonly apiUser: string;
    readonly ticket: string;
    readonly releasedHold: string | null;
  };
  /** `provisioner access grant|revoke` changed who, besides the stack, reads a credential. */
  'credential.access-changed': {
    readonly secretName: string;
    readonly target: string;
    readonly owner: string;
    readonly change: 'grant' | 'revoke';
    readonly role: string;
    /** The consumer roles after the change. */
    readonly consumers: readonly string[];
  };
  /** `provisioner target remove` deleted a target (its admin schedules, its secret with a recovery window). */
  'credential.target-removed': {
    readonly target: string;
    readonly vendor: string;
    readonly secretName: string;
    readonly schedulesDeleted: readonly string[];
    readonly recoveryWindowDays: number;
  };
  'credential.revocation-failed': {
    readonly owner: string;
    readonly requestId: string;
    readonly revoked: readonly string[];
    /** Shared credentials the revocation holds (not failures): secret name, until when, why. */
    readonly held: readonly {
      readonly secretName: string;
      readonly heldUntil: string;
      readonly reason: string;
    }[];
    /** One line per credential not revoked: its secret name, error and reason. */
    readonly failed: readonly string[];
    /** Credentials revoked at the product but never plainly refused by it since: still `revoking`, secret kept. */
    readonly unproven: readonly { readonly secretName: string; readonly reason: string }[];
  };
}

export type CredentialEventType = keyof EventDetails;

export interface EventPublisher {
  publish<T extends CredentialEventType>(type: T, detail: EventDetails[T]): Promise<void>;
}

export class EventBridgePublisher implements EventPublisher {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName = 'default',
  ) {}

  async publish<T extends CredentialEventType>(type: T, detail: EventDetails[T]): Promise<void> {
    let answer: PutEventsCommandOutput;
    try {
      answer = await this.client.send(
        new PutEventsCommand({
          Entries: [
            {
              Source: EVENT_SOURCE,
              DetailType: type,
              Detail: JSON.stringify(detail),
              EventBusName: this.busName,
            },
          ],
        }),
      );
    } catch (error) {
      throw awsFailure('EventBridge', 'PutEvents', error, `the ${type} event`);
    }
    // A refused entry (its ErrorCode: ThrottlingException, InternalFailure, ...): the step's retry sends it again.
    if ((answer.FailedEntryCount ?? 0) > 0) {
      const code = answer.Entries?.[0]?.ErrorCode ?? 'unknown';
      throw new RetryableError(`EventBridge refused the ${type} event (${code})`);
    }
  }
}
