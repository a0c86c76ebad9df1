/**
 * The credential material each product issues, as stored in its secret beside the metadata
 * (DESIGN.md section 3): `key`, `username` + `password`, `keyId` + `secret`, or `token` + expiry.
 * The field names are also what the leak scan looks for.
 */
import * as z from 'zod';
import { ValidationError } from '../errors.ts';
import type { VendorName } from '../requests.ts';

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

export type CredentialMaterial =
  | z.output<typeof ApiKeyMaterial>
  | z.output<typeof PasswordMaterial>
  | z.output<typeof KeyPairMaterial>
  | z.output<typeof ExpiringTokenMaterial>;

export const MATERIAL_SCHEMAS = {
  fortios: ApiKeyMaterial,
  fortimanager: ApiKeyMaterial,
  fortiflex: PasswordMaterial,
  forticnapp: KeyPairMaterial,
  autorabit: ExpiringTokenMaterial,
} as const satisfies Record<VendorName, z.ZodType>;

export type MaterialOf<V extends VendorName> = z.output<(typeof MATERIAL_SCHEMAS)[V]>;

/** The material fields of a stored credential, checked against the vendor's shape; messages never echo values. */
export function materialOf<V extends VendorName>(vendor: V, stored: Record<string, unknown>): MaterialOf<V> {
  const schema = MATERIAL_SCHEMAS[vendor];
  const fields = Object.fromEntries(Object.keys(schema.shape).map((k) => [k, stored[k]]));
  const parsed = schema.safeParse(fields);
  if (!parsed.success) {
    const where = [...new Set(parsed.error.issues.map((i) => i.path.join('.') || '(root)'))].join(', ');
    throw new ValidationError(`stored ${vendor} credential is malformed (${where})`);
  }
  return parsed.data as MaterialOf<V>;
}
