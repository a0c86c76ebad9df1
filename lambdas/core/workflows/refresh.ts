/**
 * The refresh workflow's step (token-broker products): the stored credential is exchanged for a new
 * short-lived bearer token before the last one expires, and consumers read that one.
 */
import { ConflictError, FatalError, ValidationError } from '../errors.ts';
import { credentialSecretName } from '../names.ts';
import { materialOf } from '../products/index.ts';
import { parseInput } from '../schemas.ts';
import { credentialStatus } from '../secrets.ts';
import { keepAccessToken, vendorOf, type WorkflowDeps } from '../workflow-deps.ts';
import { RotateRequest } from './rotate.ts';

/**
 * RefreshAccessToken (the refresh workflow, token-broker products): mints a new bearer token from
 * the stored credential before the last one expires and keeps it for consumers, under its staging
 * label in the credential's secret. The product keeps one live token per user, so this is the only
 * place that mints one.
 */
export async function refreshAccessToken(
  deps: WorkflowDeps,
  input: { request: unknown; executionName: unknown },
): Promise<{ secretName: string; expiresAt: string }> {
  const request = parseInput(RotateRequest, input.request, 'refresh request');
  const { vendor, target } = await vendorOf(deps, request.target);
  if (!vendor.capabilities.tokenBroker) {
    throw new ValidationError(`${vendor.name} credentials have no brokered access token to refresh`);
  }
  const secretName = credentialSecretName(request.target, request.apiUser);
  const secret = await deps.store.describe(secretName);
  if (!secret || secret.deletedDate || credentialStatus(secret) !== 'active') {
    throw new ConflictError(`${secretName} is not an active credential: nothing to refresh`);
  }
  const result = await vendor.verify(materialOf(target.vendor, await deps.store.readCurrent(secret.arn)));
  if (result.outcome !== 'accepted' || !result.accessToken) {
    // An inconclusive answer mints no token either: the refresh fails all the same, worded as what it is.
    const answered = result.outcome === 'inconclusive' ? 'answers inconclusively for' : 'refuses';
    throw new FatalError(
      `${request.target} ${answered} the credential of ${request.apiUser} (${result.reason ?? result.outcome}): consumers keep the last token until it expires`,
    );
  }
  await keepAccessToken(deps, secretName, result.accessToken);
  // Migration: a token secret of an earlier release goes once the token is under its label.
  await deps.store.retireLegacyAccessToken(secretName);
  return { secretName, expiresAt: result.accessToken.expiresAt };
}
