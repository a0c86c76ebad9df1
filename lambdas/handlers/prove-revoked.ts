import { proveRevoked } from '#core/workflows/revoke.ts';
import { provisionDeps, workflowStep } from './runtime.ts';

export const handler = workflowStep('proveRevoked', (event: unknown) => proveRevoked(provisionDeps(), event));
