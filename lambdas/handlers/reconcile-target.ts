import { boundDrift, findingLogLines, reconcileTarget } from '#core/workflows/reconcile.ts';
import { executionRecent, logger, rotationStarter, workflowDeps, workflowStep } from './runtime.ts';

/** Every finding goes to the log; the workflow carries the counts and a sample (its 256 KiB limit). */
export const handler = workflowStep('reconcileTarget', async (event: unknown) => {
  const drift = await reconcileTarget(
    { ...workflowDeps(), executionRecent, rotations: rotationStarter },
    event,
  );
  for (const line of findingLogLines(drift)) logger.info('reconcile findings', line);
  return boundDrift(drift, event);
});
