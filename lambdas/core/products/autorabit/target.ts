/** An AutoRABIT ARM instance, through the platform's trust store unless `tls` pins one. */
import * as z from 'zod';
import { HttpsBaseUrl, ProductPath, TlsPinning } from '../../schemas.ts';

export const AutoRabitTarget = z
  .object({
    vendor: z.literal('autorabit'),
    baseUrl: HttpsBaseUrl,
    tls: TlsPinning.optional(),
    /** No public API reference exists: the authenticated read that proves a token works is configured here. */
    verify: z
      .object({
        method: z.enum(['GET', 'POST']).default('GET'),
        path: ProductPath,
      })
      .strict(),
  })
  .strict();
export type AutoRabitTarget = z.output<typeof AutoRabitTarget>;
