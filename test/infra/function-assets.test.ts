/**
 * Each function's code is its own bundle: the stack runs esbuild itself (lib/provisioner-function.ts),
 * and the CDK caches a bundled asset by its options as JSON, in which the bundling function does not
 * show. Bundled for real here, for two handlers only.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { describe, expect, it } from 'vitest';
import { ProvisionerFunction } from '#lib/provisioner-function.ts';

describe('function assets', () => {
  it('gives two handlers two bundles', async () => {
    // Prepare
    const outdir = await mkdtemp(join(tmpdir(), 'provisioner-assets-'));
    try {
      const stack = new Stack(new App({ outdir }), 'CredentialProvisioner');
      const key = new kms.Key(stack, 'Key');
      for (const handlerId of ['verify-credential', 'ticket-intake'])
        new ProvisionerFunction(stack, handlerId, { handlerId, key });
      // Act
      const functions = Template.fromStack(stack).findResources('AWS::Lambda::Function');
      // Assess
      const keys = Object.values(functions).map((f) => JSON.stringify(f.Properties.Code.S3Key));
      expect(new Set(keys).size).toBe(2);
    } finally {
      await rm(outdir, { recursive: true, force: true });
    }
  }, 120_000);
});
