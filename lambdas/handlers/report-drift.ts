import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { SERVICE_NAME } from '#core/config.ts';
import { reportDrift } from '#core/workflows/reconcile.ts';
import { workflowDeps, workflowStep } from './runtime.ts';

/**
 * The metrics (EMF in the function's log) the drift alarm, the operator-task deadline alarm and the
 * dashboard read (lib/alerts.ts, lib/provisioner-stack.ts).
 */
const metrics = new Metrics({ namespace: 'CredentialProvisioner', serviceName: SERVICE_NAME });

export const handler = workflowStep('reportDrift', async (event: unknown) => {
  const report = await reportDrift(workflowDeps(), event);
  metrics.addMetric('DriftFound', MetricUnit.Count, report.driftCount);
  metrics.addMetric('OrphansRepaired', MetricUnit.Count, report.counts.repaired ?? 0);
  metrics.addMetric('OperatorTasksWaiting', MetricUnit.Count, report.operatorTasks.waiting);
  metrics.addMetric('OperatorTaskOldestAge', MetricUnit.Seconds, report.operatorTasks.oldestAgeSeconds);
  metrics.addMetric('OperatorTasksNearDeadline', MetricUnit.Count, report.operatorTasks.nearDeadline);
  metrics.publishStoredMetrics();
  // One line per product and status: its own dimensions (a metric line holds one dimension set).
  for (const { product, status, count } of report.credentials) {
    const single = metrics.singleMetric();
    single.addDimensions({ product, status });
    single.addMetric('Credentials', MetricUnit.Count, count);
  }
  return report;
});
