/**
 * The per-device report of a fleet provision (products/fortigate-fleet): the output of a provision
 * execution whose request named devices, a device group or an ADOM, as one table row per device.
 */
import * as z from 'zod';
import { failureReason } from '#core/step-error.ts';
import { renderTable } from './table.ts';

const DeviceOutcome = z.object({
  target: z.string(),
  apiUser: z.string(),
  secretName: z.string(),
  outcome: z.enum(['provisioned', 'failed']),
  error: z.string().optional(),
  cause: z.string().optional(),
  /** False when the failed device could not be cleaned up either (out of reach): something may be left there. */
  compensated: z.boolean().optional(),
});

const FleetReport = z.object({ devices: z.array(DeviceOutcome) });
export type FleetReport = z.output<typeof FleetReport>;

/** The fleet report an execution's output holds, or undefined for any other output. */
export function fleetReportOf(output: string | undefined): FleetReport | undefined {
  if (!output?.includes('"devices"')) return undefined;
  return FleetReport.safeParse(JSON.parse(output)).data;
}

/** One row per device: its target `<fleet>.<device>`, the outcome, the secret, and why a device failed. */
export function fleetTable(report: FleetReport): string {
  const rows = report.devices.map((d) => [
    d.target,
    d.outcome === 'failed' && d.compensated === false ? 'failed (not cleaned up: unreachable)' : d.outcome,
    d.outcome === 'provisioned' ? d.secretName : '-',
    d.outcome === 'failed' ? `${d.error ?? 'failed'}: ${failureReason(d.error, d.cause)}` : '',
  ]);
  return renderTable(['device', 'outcome', 'secret', 'why'], rows);
}
