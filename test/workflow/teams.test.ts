/**
 * Ownership by teams on the embedded default (issue 17, item 3): a team's credential survives a
 * member's deactivation and the team is told; a team's deletion revokes the team's credentials; a
 * person's shared credential is held as the target's offboarding policy says, and revoked by a
 * revocation after its hold; the report says which were revoked and which held, and why.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { status } from '#cli/commands.ts';
import { transfer } from '#cli/transfer.ts';
import { ROTATION_SCHEDULE_GROUP } from '#core/config.ts';
import { ValidationError } from '#core/errors.ts';
import { EventBridgePublisher } from '#core/events.ts';
import { deleteHoldEndSchedule } from '#core/hold-ends.ts';
import { credentialSecretName, TAG } from '#core/names.ts';
import { credentialStatus } from '#core/secrets.ts';
import { causeMessage } from '#core/step-error.ts';
import { ADMINISTRATOR_ACCESS_KEY_ID, OPERATOR_ACCESS_KEY_ID } from '#local/iam/account.ts';
import { LOCAL_PARTNER_BUS } from '#local/synth.ts';
import { addressReaderRequest, executionEnd, runExecution, runProvision } from '#test/support/executions.ts';
import { OPS_TEAM, putFortiOsTarget, TEAMS_AND_HOLDS } from '#test/support/fortios-targets.ts';
import { useLocalEnvironment } from '#test/support/local-environment.ts';
import { failure } from '../failure.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
const { env } = useLocalEnvironment({
  targets: (env) => putFortiOsTarget(env, 'fgt', TEAMS_AND_HOLDS),
});

async function revoke(owner: string, name: string) {
  return runExecution(env, env.revokeStateMachineArn, { owner }, name);
}

const eventsOf = (detailType: string) =>
  env.eventBus.events.filter((e) => e.DetailType === detailType).map((e) => JSON.parse(e.Detail) as unknown);

const tagsOf = async (apiUser: string) =>
  (await env.store.describe(credentialSecretName('fgt', apiUser)))?.tags;
const statusOf = async (apiUser: string) =>
  credentialStatus(await env.store.describe(credentialSecretName('fgt', apiUser)));

describe('ownership by teams (FortiOS, local runtime)', () => {
  beforeAll(() => {
    // Only Date is faked, and it keeps running: a hold's end is reached by moving it on.
    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
  });

  afterAll(() => {
    vi.useRealTimers();
  });

  it("provisions a team's credential tagged with its kind and accountable person; a team the policy does not name is refused", async () => {
    // Act
    const named = await runProvision(
      env,
      addressReaderRequest('fgt', 'fgt-ops-feed', OPS_TEAM, { requestedBy: 'dana@example.com' }),
    );
    const unnamed = await runProvision(
      env,
      addressReaderRequest('fgt', 'fgt-x-feed', 'team:00gOTHER', { requestedBy: 'dana@example.com' }),
    );
    // Assess
    expect(named.status, causeMessage(named.cause)).toBe('SUCCEEDED');
    expect(await tagsOf('fgt-ops-feed')).toMatchObject({
      [TAG.owner]: OPS_TEAM,
      [TAG.ownerKind]: 'team',
      [TAG.requestedBy]: 'dana@example.com',
    });
    expect(unnamed.status).toBe('FAILED');
    expect(unnamed.error).toBe('ValidationError');
    expect(causeMessage(unnamed.cause)).toContain(
      'owner: team:00gOTHER may not own credentials on this target',
    );
    expect(await tagsOf('fgt-x-feed')).toBeUndefined();
  });

  it("a member's deactivation revokes their personal credential; the team's credential they requested survives and the team is told", async () => {
    // Prepare
    const personal = await runProvision(env, addressReaderRequest('fgt', 'fgt-dana', 'dana@example.com'));
    expect(personal.status, causeMessage(personal.cause)).toBe('SUCCEEDED');
    // Act
    const execution = await revoke('dana@example.com', 'revoke-dana-1');
    // Assess
    expect(execution.status, causeMessage(execution.cause)).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output ?? '{}')).toMatchObject({
      revoked: [credentialSecretName('fgt', 'fgt-dana')],
      held: [],
      keptByTeams: [credentialSecretName('fgt', 'fgt-ops-feed')],
    });
    expect(env.fortios.state.users.has('fgt-dana')).toBe(false);
    expect(env.fortios.state.users.has('fgt-ops-feed')).toBe(true);
    expect(await statusOf('fgt-ops-feed')).toBe('active');
    expect(eventsOf('credential.team-member-left')).toEqual([
      {
        team: OPS_TEAM,
        member: 'dana@example.com',
        requestId: 'revoke-dana-1',
        reason: 'owner deactivated',
        credentials: [credentialSecretName('fgt', 'fgt-ops-feed')],
      },
    ]);
  });

  it("the team's deletion in Okta (group.lifecycle.delete) revokes the team's credentials", async () => {
    // Prepare
    // The identity provider is outside the stack: it publishes as the account's administrator.
    const bus = new EventBridgeClient({
      region: env.endpoints.region,
      endpoint: env.endpoints.eventBridge,
      credentials: { accessKeyId: ADMINISTRATOR_ACCESS_KEY_ID, secretAccessKey: 'local' },
    });
    // Act
    await bus.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: LOCAL_PARTNER_BUS,
            Source: 'aws.partner/okta.com/example/systemlog',
            DetailType: 'SystemLog',
            Detail: JSON.stringify({
              uuid: 'okta-grp-1',
              eventType: 'group.lifecycle.delete',
              target: [{ id: '00gOPS', type: 'UserGroup', alternateId: 'unknown', displayName: 'Ops' }],
            }),
          },
        ],
      }),
    );
    const [answer] = await Promise.all(env.eventBus.deliveries.splice(0));
    bus.destroy();
    const execution = await executionEnd(env, (answer as { executionArn: string }).executionArn);
    // Assess
    expect(execution.status, causeMessage(execution.cause)).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output ?? '{}')).toMatchObject({
      owner: OPS_TEAM,
      revoked: [credentialSecretName('fgt', 'fgt-ops-feed')],
    });
    expect(env.fortios.state.users.has('fgt-ops-feed')).toBe(false);
  });

  it("holds a person's shared credential 14 days as the target's policy says, then a revocation after the hold revokes it", async () => {
    // Prepare
    for (const request of [
      addressReaderRequest('fgt', 'fgt-erin', 'erin@example.com'),
      addressReaderRequest('fgt', 'fgt-erin-shared', 'erin@example.com', { shared: true }),
    ]) {
      const provisioned = await runProvision(env, request);
      expect(provisioned.status, causeMessage(provisioned.cause)).toBe('SUCCEEDED');
    }
    const heldUntil = new Date(Date.now() + 14 * DAY_MS);
    // Act
    const first = await revoke('erin@example.com', 'revoke-erin-1');
    vi.setSystemTime(Date.now() + 15 * DAY_MS);
    const after = await revoke('erin@example.com', 'revoke-erin-2');
    // Assess
    const shared = credentialSecretName('fgt', 'fgt-erin-shared');
    expect(first.status, causeMessage(first.cause)).toBe('SUCCEEDED');
    const report = JSON.parse(first.output ?? '{}') as {
      revoked: string[];
      held: { heldUntil: string; revokesAt: string }[];
    };
    expect(report).toMatchObject({
      revoked: [credentialSecretName('fgt', 'fgt-erin')],
      held: [
        { secretName: shared, reason: "shared credential: the target's offboarding policy holds it 14 days" },
      ],
    });
    // The hold runs from the revocation: 14 days, give or take the seconds the provisions took.
    expect(Math.abs(Date.parse(report.held[0]?.heldUntil ?? '') - heldUntil.getTime())).toBeLessThan(60_000);
    expect(eventsOf('credential.offboarding-held')).toEqual([
      expect.objectContaining({
        apiUser: 'fgt-erin-shared',
        owner: 'erin@example.com',
        heldUntil: report.held[0]?.heldUntil,
      }),
    ]);
    const printed: string[] = [];
    await status(env.sfnClient, first.executionArn ?? '', { out: (line) => printed.push(line) });
    expect(printed.join('\n')).toMatch(
      new RegExp(
        `${shared} +│? *held until ${report.held[0]?.heldUntil}, revoked by its schedule at ${report.held[0]?.revokesAt} +│? *shared credential: the target's offboarding policy holds it 14 days`,
      ),
    );
    expect(after.status, causeMessage(after.cause)).toBe('SUCCEEDED');
    expect(JSON.parse(after.output ?? '{}')).toMatchObject({ revoked: [shared], held: [] });
    expect(env.fortios.state.users.has('fgt-erin-shared')).toBe(false);
  });

  it("holds a person's credential a consumer role reads (others use it) and says so; their credential without consumers is revoked", async () => {
    // Prepare
    const consumer = 'arn:aws:iam::000000000000:role/address-sync';
    for (const request of [
      addressReaderRequest('fgt', 'fgt-ivy', 'ivy@example.com'),
      addressReaderRequest('fgt', 'fgt-ivy-sync', 'ivy@example.com', { consumers: [consumer] }),
    ]) {
      const provisioned = await runProvision(env, request);
      expect(provisioned.status, causeMessage(provisioned.cause)).toBe('SUCCEEDED');
    }
    // Act
    const execution = await revoke('ivy@example.com', 'revoke-ivy-1');
    // Assess
    expect(execution.status, causeMessage(execution.cause)).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output ?? '{}')).toMatchObject({
      revoked: [credentialSecretName('fgt', 'fgt-ivy')],
      held: [
        {
          secretName: credentialSecretName('fgt', 'fgt-ivy-sync'),
          reason: "read by 1 consumer role: the target's offboarding policy holds it 14 days",
        },
      ],
    });
    expect(env.fortios.state.users.has('fgt-ivy-sync')).toBe(true);
  });

  describe('provisioner transfer', () => {
    const printed: string[] = [];
    const io = { out: (line: string) => printed.push(line) };
    let operatorBus: EventBridgeClient;
    // The CLI acts as the operator: local IAM allows it only what the operator policy grants.
    const operator = () => ({
      store: env.operator.store,
      events: new EventBridgePublisher(operatorBus),
      removeHoldEnd: (secretName: string) =>
        deleteHoldEndSchedule(env.operator.schedulerClient, ROTATION_SCHEDULE_GROUP, secretName),
    });

    beforeAll(() => {
      operatorBus = new EventBridgeClient({
        region: env.endpoints.region,
        endpoint: env.endpoints.eventBridge,
        credentials: { accessKeyId: OPERATOR_ACCESS_KEY_ID, secretAccessKey: 'local' },
      });
    });

    afterAll(() => operatorBus.destroy());

    it("moves a leaver's held shared credential to the team, releasing its hold; a second run finds nothing left", async () => {
      // Prepare
      const provisioned = await runProvision(
        env,
        addressReaderRequest('fgt', 'fgt-gus-shared', 'gus@example.com', { shared: true }),
      );
      expect(provisioned.status, causeMessage(provisioned.cause)).toBe('SUCCEEDED');
      const revoked = await revoke('gus@example.com', 'revoke-gus-1');
      expect(JSON.parse(revoked.output ?? '{}').held).toHaveLength(1);
      // Act
      const code = await transfer(operator(), { from: 'Gus@Example.com', to: 'Team:00gOPS' }, io);
      const again = await transfer(operator(), { from: 'gus@example.com', to: OPS_TEAM }, io);
      const afterwards = await revoke('gus@example.com', 'revoke-gus-2');
      // Assess
      expect([code, again]).toEqual([0, 0]);
      const tags = await tagsOf('fgt-gus-shared');
      expect(tags).toMatchObject({
        [TAG.owner]: OPS_TEAM,
        [TAG.ownerKind]: 'team',
        [TAG.requestedBy]: 'gus@example.com',
      });
      expect(await statusOf('fgt-gus-shared')).toBe('active');
      expect(tags?.[TAG.heldUntil]).toBeUndefined();
      expect(tags?.[TAG.shared]).toBeUndefined();
      expect(eventsOf('credential.transferred')).toEqual([
        expect.objectContaining({
          from: 'gus@example.com',
          to: OPS_TEAM,
          secretName: credentialSecretName('fgt', 'fgt-gus-shared'),
          releasedHold: expect.stringMatching(/^\d{4}-/),
        }),
      ]);
      expect(printed.at(-1)).toBe('gus@example.com owns no credentials: nothing to transfer');
      expect(JSON.parse(afterwards.output ?? '{}')).toMatchObject({ revoked: [], held: [] });
      expect(env.fortios.state.users.has('fgt-gus-shared')).toBe(true);
    });

    it('refuses a team the target policy does not name, or a credential being revoked, and changes nothing', async () => {
      // Prepare
      const provisioned = await runProvision(env, addressReaderRequest('fgt', 'fgt-hal', 'hal@example.com'));
      expect(provisioned.status, causeMessage(provisioned.cause)).toBe('SUCCEEDED');
      const before = await tagsOf('fgt-hal');
      // Act
      const toOther = await failure(
        transfer(operator(), { from: 'hal@example.com', to: 'team:00gOTHER' }, io),
      );
      await env.store.tag(credentialSecretName('fgt', 'fgt-hal'), { [TAG.status]: 'revoking' });
      const revoking = await failure(transfer(operator(), { from: 'hal@example.com', to: OPS_TEAM }, io));
      // Assess
      expect(toOther).toBeInstanceOf(ValidationError);
      expect(toOther.message).toBe(
        "transfer refused, nothing changed: team:00gOTHER may not own credentials on target fgt (its policy's teamOwners: 00gOPS)",
      );
      expect(revoking.message).toBe(
        `transfer refused, nothing changed: ${credentialSecretName('fgt', 'fgt-hal')} is being revoked (status revoking): let its revocation finish; it cannot change owner`,
      );
      expect({ ...(await tagsOf('fgt-hal')), [TAG.status]: before?.[TAG.status] }).toEqual(before);
    });
  });
});
