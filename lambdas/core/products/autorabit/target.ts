/** An AutoRABIT ARM instance, through the platform's trust store unless `tls` pins one. */
import * as z from 'zod';
import { HttpsBaseUrl, ProductPath, TlsPinning } from '../../schemas.ts';
import { policyOf } from '../policy.ts';

/**
 * The `status` strings public ARM clients read as success (jakubmplatek/PyRABIT src/autorabit.py,
 * `STATUS_OK`), compared ignoring case.
 */
export const DEFAULT_ACCEPTED_STATUSES = ['Inprogress', 'Completed', 'Success', 'Successful'] as const;

// Built on its first parse, not at import: a call builds only its own target's schema (../../requests.ts).
export const AutoRabitTarget = z.lazy(() =>
  z
    .object({
      vendor: z.literal('autorabit'),
      baseUrl: HttpsBaseUrl,
      tls: TlsPinning.optional(),
      /** No public API reference exists: the authenticated read that proves a token works is configured here. */
      verify: z
        .object({
          method: z.enum(['GET', 'POST']).default('GET'),
          path: ProductPath,
          acceptedStatuses: z
            .array(z.string().regex(/^[\x20-\x7e]{1,100}$/, 'must be 1-100 printable ASCII characters'))
            .min(1)
            .max(20)
            .optional()
            .describe(
              `the status strings of that read that mean success, ignoring case (some endpoints answer free text); default ${DEFAULT_ACCEPTED_STATUSES.join(', ')}`,
            ),
          forbiddenIsRefusal: z
            .boolean()
            .optional()
            .describe('that read answers HTTP 403 to a dead token (default: a 403 proves nothing)'),
        })
        .strict(),
      policy: policyOf('serviceUsers', 'ticketSources'),
    })
    .strict(),
);
export type AutoRabitTarget = z.output<typeof AutoRabitTarget>;
