import { proveRevoked } from '#core/workflows/revoke.ts';
import { workflowDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('proveRevoked', (event: unknown) => proveRevoked(workflowDeps(), event));
