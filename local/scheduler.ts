/**
 * A loopback EventBridge Scheduler (REST-JSON) for the real `@aws-sdk/client-scheduler`: Create,
 * Get, Update, Delete and List schedules per group, with Scheduler's name rules and its Conflict /
 * NotFound errors. Recurring schedules do not fire on a clock here; `fire` runs one as Scheduler
 * would at its time: StartExecution on the target state machine with the schedule's input, unless
 * the schedule is DISABLED (Scheduler does not invoke the target of a disabled schedule:
 * API_UpdateSchedule, `State`, https://docs.aws.amazon.com/scheduler/latest/APIReference/API_UpdateSchedule.html).
 * One-time `at()` schedules fire when `fireDue` is given a clock past their time (the caller's clock,
 * so a test's fake one): once, and then, with `ActionAfterCompletion: DELETE`, the schedule is
 * deleted ("Schedule types", one-time, https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#one-time;
 * https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-delete.html).
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AnswerDelay } from './answer-delay.ts';
import { AwsServiceError } from './aws-json-server.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from './endpoints.ts';

export interface LocalSchedule {
  readonly Name: string;
  readonly GroupName: string;
  readonly ScheduleExpression: string;
  /** The zone an `at()` or `cron()` expression is read in (Scheduler's default is UTC). */
  readonly ScheduleExpressionTimezone?: string;
  readonly State: string;
  readonly Target: { readonly Arn: string; readonly RoleArn: string; readonly Input?: string };
  readonly FlexibleTimeWindow: { readonly Mode: string; readonly MaximumWindowInMinutes?: number };
  /** NONE (the default): a one-time schedule stays after it fired; DELETE: it is deleted (API_CreateSchedule). */
  readonly ActionAfterCompletion: string;
  readonly CreationDate: number;
}

/** The instant an `at()` schedule fires, or undefined for a recurring one. */
function oneTimeInstant(schedule: LocalSchedule): number | undefined {
  const at = /^at\((.+)\)$/.exec(schedule.ScheduleExpression)?.[1];
  if (at === undefined) return undefined;
  // The provisioner writes at() in UTC only; other zones are not modelled (docs/embedded-default.md).
  if (schedule.ScheduleExpressionTimezone !== 'UTC')
    throw new Error(`at() in ${schedule.ScheduleExpressionTimezone} is not modelled: ${schedule.Name}`);
  return Date.parse(`${at}Z`);
}

/** The AWS JSON protocols' wording for a value outside an enum (not a recorded Scheduler answer). */
const notInEnum = (value: string, member: string, values: readonly string[]) =>
  `1 validation error detected: Value '${value}' at '${member}' failed to satisfy constraint: Member must satisfy enum value set: [${values.join(', ')}]`;

type WholeSchedule = Partial<LocalSchedule> &
  Pick<LocalSchedule, 'ScheduleExpression' | 'FlexibleTimeWindow' | 'Target'>;

/**
 * The body as a whole schedule, or AWS's refusal naming each required member it lacks. CreateSchedule
 * and UpdateSchedule require the same ones: an update replaces the whole schedule, so it sends them
 * all again (API_UpdateSchedule, Required: Yes,
 * https://docs.aws.amazon.com/scheduler/latest/APIReference/API_UpdateSchedule.html; a Target's Arn
 * and RoleArn, https://docs.aws.amazon.com/scheduler/latest/APIReference/API_Target.html).
 */
function wholeSchedule(body: Partial<LocalSchedule>): WholeSchedule | string {
  const missing = [
    ['scheduleExpression', body.ScheduleExpression],
    ['flexibleTimeWindow', body.FlexibleTimeWindow],
    ['target', body.Target],
    ...(body.Target
      ? [
          ['target.arn', body.Target.Arn],
          ['target.roleArn', body.Target.RoleArn],
        ]
      : []),
  ].flatMap(([member, value]) =>
    value === undefined || value === null || value === '' ? [member as string] : [],
  );
  return missing.length === 0 ? (body as WholeSchedule) : notNull(missing);
}

/** The AWS JSON protocols' wording for missing members (as DynamoDB answers it; not a recorded Scheduler answer). */
const notNull = (members: readonly string[]) =>
  `${members.length} validation error${members.length === 1 ? '' : 's'} detected: ${members
    .map((member) => `Value null at '${member}' failed to satisfy constraint: Member must not be null`)
    .join('; ')}`;

const NAME = /^[0-9a-zA-Z-_.]{1,64}$/;

export interface SchedulerCall {
  readonly operation:
    | 'CreateSchedule'
    | 'GetSchedule'
    | 'UpdateSchedule'
    | 'DeleteSchedule'
    | 'ListSchedules';
  readonly resource: string;
  readonly headers: IncomingHttpHeaders;
  /** CreateSchedule, UpdateSchedule: the target's role, which the caller passes to Scheduler (iam:PassRole). */
  readonly passedRoleArn?: string;
}

export async function startLocalScheduler(options: {
  port?: number;
  region?: string;
  /** What a firing schedule does: StartExecution on its target, as the schedule's role. */
  startExecution: (stateMachineArn: string, input: string, roleArn: string) => Promise<unknown>;
  /** Throws AWS's error when the caller may not make this call (local/iam): operation, schedule ARN (`*` for a listing), the role a schedule passes. */
  authorize?: (call: SchedulerCall) => void;
}) {
  const schedules = new Map<string, LocalSchedule>();
  const invokeTarget = (schedule: LocalSchedule) =>
    options.startExecution(schedule.Target.Arn, schedule.Target.Input ?? '{}', schedule.Target.RoleArn);
  /** One-time schedules kept after they fired (NONE): they do not fire again. */
  const completed = new WeakSet<LocalSchedule>();
  const key = (group: string, name: string) => `${group}/${name}`;
  const region = options.region ?? LOCAL_REGION;

  const answerDelay = new AnswerDelay();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      await answerDelay.wait();
      const url = new URL(req.url ?? '/', 'http://scheduler');
      const send = (status: number, body: unknown, errorType?: string) => {
        res.writeHead(status, {
          'content-type': 'application/json',
          ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
        });
        res.end(JSON.stringify(body));
      };
      const fail = (status: number, type: string, message: string) =>
        send(status, { Message: message }, type);
      const refused = (call: Omit<SchedulerCall, 'headers'>) => {
        try {
          options.authorize?.({ ...call, headers: req.headers });
          return false;
        } catch (error) {
          if (!(error instanceof AwsServiceError)) throw error;
          fail(error.status, error.code, error.message);
          return true;
        }
      };
      const scheduleArn = (groupName: string, name: string) =>
        `arn:aws:scheduler:${region}:${LOCAL_ACCOUNT_ID}:schedule/${groupName}/${name}`;
      const match = /^\/schedules\/([^/]+)$/.exec(url.pathname);
      const group = url.searchParams.get('groupName') ?? 'default';
      if (url.pathname === '/schedules' && req.method === 'GET') {
        if (refused({ operation: 'ListSchedules', resource: '*' })) return;
        const prefix = url.searchParams.get('NamePrefix') ?? '';
        const listed = [...schedules.values()].filter(
          (s) =>
            (!url.searchParams.has('ScheduleGroup') ||
              s.GroupName === url.searchParams.get('ScheduleGroup')) &&
            s.Name.startsWith(prefix),
        );
        return send(200, {
          Schedules: listed.map((s) => ({
            Name: s.Name,
            GroupName: s.GroupName,
            State: s.State,
            Target: { Arn: s.Target.Arn },
          })),
        });
      }
      if (!match?.[1]) return fail(404, 'ResourceNotFoundException', 'Unknown operation');
      const name = decodeURIComponent(match[1]);
      if (!NAME.test(name)) return fail(400, 'ValidationException', 'Invalid schedule name');
      // CreateSchedule is POST, UpdateSchedule PUT, each with the whole schedule: an update replaces
      // every field, and one left out takes its default (API_UpdateSchedule).
      if (req.method === 'POST' || req.method === 'PUT') {
        const operation = req.method === 'POST' ? 'CreateSchedule' : 'UpdateSchedule';
        let body: Partial<LocalSchedule> & { GroupName?: string };
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
        } catch {
          return fail(400, 'ValidationException', 'Body is not JSON');
        }
        const groupName = body.GroupName ?? 'default';
        const passedRoleArn = body.Target?.RoleArn;
        if (refused({ operation, resource: scheduleArn(groupName, name), passedRoleArn })) return;
        const whole = wholeSchedule(body);
        if (typeof whole === 'string') return fail(400, 'ValidationException', whole);
        const existing = schedules.get(key(groupName, name));
        if (operation === 'CreateSchedule' && existing)
          return fail(409, 'ConflictException', `Schedule ${name} already exists.`);
        if (operation === 'UpdateSchedule' && !existing)
          return fail(404, 'ResourceNotFoundException', `Schedule ${name} does not exist.`);
        if (body.State !== undefined && body.State !== 'ENABLED' && body.State !== 'DISABLED')
          return fail(400, 'ValidationException', notInEnum(body.State, 'state', ['ENABLED', 'DISABLED']));
        const action = body.ActionAfterCompletion;
        if (action !== undefined && action !== 'NONE' && action !== 'DELETE')
          return fail(
            400,
            'ValidationException',
            notInEnum(action, 'actionAfterCompletion', ['NONE', 'DELETE']),
          );
        if (
          !/^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(.+\)|at\(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\))$/.test(
            whole.ScheduleExpression,
          )
        ) {
          return fail(400, 'ValidationException', 'Invalid Schedule Expression');
        }
        schedules.set(key(groupName, name), {
          Name: name,
          GroupName: groupName,
          ScheduleExpression: whole.ScheduleExpression,
          ScheduleExpressionTimezone: body.ScheduleExpressionTimezone ?? 'UTC',
          State: body.State ?? 'ENABLED',
          Target: whole.Target,
          FlexibleTimeWindow: whole.FlexibleTimeWindow,
          ActionAfterCompletion: action ?? 'NONE',
          CreationDate: existing?.CreationDate ?? Date.now() / 1000,
        });
        return send(200, { ScheduleArn: scheduleArn(groupName, name) });
      }
      const operation =
        req.method === 'GET' ? 'GetSchedule' : req.method === 'DELETE' ? 'DeleteSchedule' : undefined;
      if (operation && refused({ operation, resource: scheduleArn(group, name) })) return;
      const found = schedules.get(key(group, name));
      if (!found) return fail(404, 'ResourceNotFoundException', `Schedule ${name} does not exist.`);
      if (req.method === 'GET') {
        return send(200, {
          ...found,
          Arn: scheduleArn(group, name),
        });
      }
      if (req.method === 'DELETE') {
        schedules.delete(key(group, name));
        return send(200, {});
      }
      return fail(404, 'ResourceNotFoundException', 'Unknown operation');
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    /** Waited before each call runs and is answered, as the shared JSON server's (local/aws-json-server.ts). */
    answerDelay,
    schedules,
    /**
     * Runs a schedule now, as Scheduler does at its time; returns what StartExecution answered, or
     * undefined for a disabled schedule, which does not fire.
     */
    async fire(group: string, name: string) {
      const schedule = schedules.get(key(group, name));
      if (!schedule) throw new Error(`no schedule ${group}/${name}`);
      if (schedule.State === 'DISABLED') return undefined;
      return invokeTarget(schedule);
    },
    /**
     * Fires every enabled `at()` schedule whose time `now` has reached and that has not fired yet,
     * as Scheduler does at that time (it never invokes before it: it invokes within the minute
     * after); deletes those created with `ActionAfterCompletion: DELETE`. Returns what each
     * StartExecution answered.
     */
    async fireDue(now = Date.now()) {
      const answers: unknown[] = [];
      for (const [id, schedule] of schedules) {
        const at = oneTimeInstant(schedule);
        if (at === undefined || at > now || completed.has(schedule) || schedule.State === 'DISABLED')
          continue;
        answers.push(await invokeTarget(schedule));
        if (schedule.ActionAfterCompletion === 'DELETE') schedules.delete(id);
        else completed.add(schedule);
      }
      return answers;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
