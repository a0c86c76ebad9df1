import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { SERVICE_NAME } from '#core/config.ts';
import { reportDrift } from '#core/workflows/reconcile.ts';
import { workflowDeps, workflowStep } from './runtime.ts';

/** The DriftFound metric (EMF in the function's log) is what the drift alarm watches. */
const metrics = new Metrics({ namespace: 'CredentialProvisioner', serviceName: SERVICE_NAME });

export const handler = workflowStep('reportDrift', async (event: unknown) => {
  const report = await reportDrift(workflowDeps(), event);
  metrics.addMetric('DriftFound', MetricUnit.Count, report.driftCount);
  metrics.addMetric('OrphansRepaired', MetricUnit.Count, report.counts.repaired ?? 0);
  metrics.publishStoredMetrics();
  return report;
});
