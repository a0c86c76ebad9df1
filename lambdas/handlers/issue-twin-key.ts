import { issueTwinKey } from '#core/workflows/rotate.ts';
import { workflowDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('issueTwinKey', (event: unknown) => issueTwinKey(workflowDeps(), event));
