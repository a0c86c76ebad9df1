import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { SERVICE_NAME } from '#core/config.ts';
import { reportRevocation } from '#core/workflows/revoke.ts';
import { revokeStarter, workflowDeps, workflowStep } from './runtime.ts';

/** DeactivationToLastRefusal (EMF in the function's log) is what the dashboard shows (lib/provisioner-stack.ts). */
const metrics = new Metrics({ namespace: 'CredentialProvisioner', serviceName: SERVICE_NAME });

export const handler = workflowStep('reportRevocation', async (event: unknown) => {
  const report = await reportRevocation(workflowDeps(), revokeStarter(), event);
  // Only a revocation an event started, finished in this execution, knows the time.
  if (report.deactivationToLastRefusalSeconds !== undefined) {
    metrics.addMetric(
      'DeactivationToLastRefusal',
      MetricUnit.Seconds,
      report.deactivationToLastRefusalSeconds,
    );
    metrics.publishStoredMetrics();
  }
  return report;
});
