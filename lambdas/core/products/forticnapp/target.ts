/** A FortiCNAPP (Lacework) account's API, through the platform's trust store unless `tls` pins one. */
import * as z from 'zod';
import { HttpsBaseUrl, TlsPinning } from '../../schemas.ts';
import { policyOf } from '../policy.ts';

// Built on its first parse, not at import: a call builds only its own target's schema (../../requests.ts).
export const FortiCnappTarget = z.lazy(() =>
  z
    .object({
      vendor: z.literal('forticnapp'),
      baseUrl: HttpsBaseUrl.describe('https://<account>.lacework.net/'),
      tls: TlsPinning.optional(),
      /** Lifetime asked for brokered bearer tokens (the API allows up to 86400 s). */
      tokenExpirySeconds: z.number().int().min(300).max(86_400).default(3600),
      policy: policyOf('serviceUsers', 'ticketSources'),
    })
    .strict(),
);
export type FortiCnappTarget = z.output<typeof FortiCnappTarget>;
