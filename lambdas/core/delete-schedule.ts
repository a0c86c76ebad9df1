/**
 * DeleteSchedule, delete-if-present: a schedule already gone (fired and deleted after completion,
 * or deleted before) is no error (ResourceNotFoundException,
 * https://docs.aws.amazon.com/scheduler/latest/APIReference/API_DeleteSchedule.html).
 */
import {
  DeleteScheduleCommand,
  ResourceNotFoundException,
  type SchedulerClient,
} from '@aws-sdk/client-scheduler';
import { awsFailure } from './errors.ts';

/** Deletes the schedule; answers whether it was there. */
export async function deleteScheduleIfPresent(
  client: SchedulerClient,
  group: string,
  name: string,
): Promise<boolean> {
  try {
    await client.send(new DeleteScheduleCommand({ Name: name, GroupName: group }));
    return true;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return false;
    throw awsFailure('EventBridge Scheduler', 'DeleteSchedule', error, name);
  }
}
