/**
 * FortiFlex through FortiCloud IAM's OAuth host, reached through the platform's trust store unless
 * `tls` pins a CA or certificate (a lab, a proxy, the simulator). Verification cannot be switched off.
 */
import * as z from 'zod';
import { HttpsBaseUrl, TlsPinning } from '../../schemas.ts';

export const FortiFlexTarget = z
  .object({
    vendor: z.literal('fortiflex'),
    baseUrl: HttpsBaseUrl.default('https://customerapiauth.fortinet.com/').describe(
      'FortiCloud OAuth host (customerapiauth.fortinet.com)',
    ),
    clientId: z
      .string()
      .regex(/^[a-z0-9_-]{1,32}$/)
      .default('flexvm'),
    tls: TlsPinning.optional(),
  })
  .strict();
export type FortiFlexTarget = z.output<typeof FortiFlexTarget>;
