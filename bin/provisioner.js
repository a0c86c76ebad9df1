#!/usr/bin/env node
// The `provisioner` bin (`npx provisioner ...`): runs the TypeScript CLI through tsx's loader, no build step.
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
await import('../cli/provisioner.ts');
