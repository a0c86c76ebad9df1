/**
 * The shapes of credential material products issue, as stored in a credential's secret beside its
 * metadata: `key`, `username` + `password`, `keyId` + `secret`, or `token` + expiry. Each product
 * names its shape in its definition. The field names are also what the leak scan looks for.
 */
import * as z from 'zod';
import { ValidationError } from '../errors.ts';

const Secret = (what: string) => z.string().min(8, `${what} is too short`).max(4096, `${what} is too long`);

export const ApiKeyMaterial = z.object({ key: Secret('key') }).strict();
export const PasswordMaterial = z
  .object({ username: z.string().min(1).max(256), password: Secret('password') })
  .strict();
export const KeyPairMaterial = z
  .object({ keyId: z.string().min(8).max(256), secret: Secret('secret') })
  .strict();
export const ExpiringTokenMaterial = z
  .object({ token: Secret('token'), expiresAt: z.iso.datetime() })
  .strict();

export type MaterialSchema =
  | typeof ApiKeyMaterial
  | typeof PasswordMaterial
  | typeof KeyPairMaterial
  | typeof ExpiringTokenMaterial;

export type CredentialMaterial = z.output<MaterialSchema>;

/** The material fields of a stored credential, checked against their shape; messages never echo values. */
export function readMaterial<S extends MaterialSchema>(
  schema: S,
  stored: Record<string, unknown>,
  product: string,
): z.output<S> {
  const fields = Object.fromEntries(Object.keys(schema.shape).map((k) => [k, stored[k]]));
  const parsed = schema.safeParse(fields);
  if (!parsed.success) {
    const where = [...new Set(parsed.error.issues.map((i) => i.path.join('.') || '(root)'))].join(', ');
    throw new ValidationError(`stored ${product} credential is malformed (${where})`);
  }
  return parsed.data as z.output<S>;
}
