/**
 * Secret ARNs in AWS's form and how a SecretId names a secret. The ARN is
 * `arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 random characters>` (the
 * CreateSecret API reference; LocalStack's test_create_and_update_secret asserts the six). A
 * SecretId is the name, the full ARN or the partial ARN (without the suffix). The SecretId
 * parameter doc: "If you do include the hyphen and six random characters ... if your secret name
 * ends with a hyphen followed by six characters ... Secrets Manager might return unexpected
 * results": an ARN ending like a suffix is read as a full ARN, so the partial ARN of
 * `Invalid/_+=.@-Name-a1b2c3` finds nothing (test_create_and_update_secret[...-a1b2c3-False]).
 */
import { randomInt } from 'node:crypto';
import { invalidName } from './errors.ts';

/** CreateSecret's Name: ASCII letters, digits and /_+=.@- (test_invalid_secret_name), at most 512. */
export const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;

const SUFFIX_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const ENDS_LIKE_SUFFIX = /-[A-Za-z0-9]{6}$/;

export function secretArn(region: string, accountId: string, name: string): string {
  const suffix = Array.from({ length: 6 }, () => SUFFIX_ALPHABET[randomInt(SUFFIX_ALPHABET.length)]).join('');
  return `arn:aws:secretsmanager:${region}:${accountId}:secret:${name}-${suffix}`;
}

/** What a SecretId asks for: an exact ARN, or a name (given as such or as a partial ARN). */
export type SecretReference = { readonly arn: string } | { readonly name: string };

export function referenceOf(secretId: string, region: string, accountId: string): SecretReference {
  const prefix = `arn:aws:secretsmanager:${region}:${accountId}:secret:`;
  if (secretId.startsWith('arn:')) {
    if (!secretId.startsWith(prefix)) return { arn: secretId };
    return ENDS_LIKE_SUFFIX.test(secretId) ? { arn: secretId } : { name: secretId.slice(prefix.length) };
  }
  if (!SECRET_NAME.test(secretId)) throw invalidName();
  return { name: secretId };
}
