import { issueTwinKey } from '#core/workflows/rotate.ts';
import { provisionDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('issueTwinKey', (event: unknown) => issueTwinKey(provisionDeps(), event));
