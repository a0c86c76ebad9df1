/**
 * FortiFlex through FortiCloud IAM's OAuth host, reached through the platform's trust store unless
 * `tls` pins a CA or certificate (a lab, a proxy, the simulator). Verification cannot be switched off.
 */
import * as z from 'zod';
import { HttpsBaseUrl, TlsPinning } from '../../schemas.ts';
import { policyOf } from '../policy.ts';

/**
 * The OAuth `client_id` of each FortiCloud product, exactly as documented (the host compares it
 * case-sensitively): `flexvm` FortiFlex (FortiFlex Administration Guide, "FortiFlex API");
 * `FortiManager` FortiManager Cloud (the credential file's "clientId for FortiManager Cloud";
 * how-to-fortimanager-api, "FortiManager Cloud"); `FortiAnalyzer` FortiAnalyzer Cloud (the
 * fortinet.fortianalyzer Ansible collection's FAQ, FortiCloud access token); `fortilancloud`
 * FortiLAN Cloud (FortiLAN Cloud User Guide, "API Users"); `assetmanagement` Asset Management
 * (fotoobo FortiCloudAsset; cprevot93/forticare).
 */
export const FORTICLOUD_CLIENT_IDS = [
  'flexvm',
  'FortiManager',
  'FortiAnalyzer',
  'fortilancloud',
  'assetmanagement',
] as const;

// Built on its first parse, not at import: a call builds only its own target's schema (../../requests.ts).
export const FortiFlexTarget = z.lazy(() =>
  z
    .object({
      vendor: z.literal('fortiflex'),
      baseUrl: HttpsBaseUrl.default('https://customerapiauth.fortinet.com/').describe(
        'FortiCloud OAuth host (customerapiauth.fortinet.com)',
      ),
      clientId: z
        .enum(FORTICLOUD_CLIENT_IDS)
        .default('flexvm')
        .describe('the OAuth client id of the product, exactly as documented (case-sensitive)'),
      tls: TlsPinning.optional(),
      policy: policyOf('ticketSources'),
    })
    .strict(),
);
export type FortiFlexTarget = z.output<typeof FortiFlexTarget>;
