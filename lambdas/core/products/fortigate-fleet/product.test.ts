import { describe, expect, it } from 'vitest';
import { ValidationError } from '#core/errors.ts';
import { fortigateFleet } from '#core/products/fortigate-fleet/product.ts';
import { failure } from '../../../../test/failure.ts';

const pem = (name: string) => `-----BEGIN CERTIFICATE-----\n${name}\n-----END CERTIFICATE-----\n`;

/** What `provisioner target add --vendor fortigate-fleet` hands the product (secrets come from files). */
function flagInput(flags: Record<string, unknown>) {
  return {
    flags: { adminTokenFile: 'token.txt', ...flags },
    common: { vendor: 'fortigate-fleet', baseUrl: 'https://fmg.example.com', tls: { caPem: pem('MANAGER') } },
    pin: { caPem: pem('MANAGER') },
    readSecret: async (source: string) => (source === 'token.txt' ? 'admin-token-0000' : pem('DEVICES')),
  };
}

describe('fortigate-fleet target flags', () => {
  it('builds the devices and their pin from --device name=url and --device-ca-file, and the schema takes it', async () => {
    // Act
    const definition = await fortigateFleet.targetFlags.definition(
      flagInput({
        adom: 'branches',
        device: ['fgt-1=https://10.0.0.1', 'fgt-2=https://10.0.0.2:8443'],
        deviceCaFile: 'devices.pem',
      }),
    );
    // Assess
    expect(definition).toMatchObject({
      adom: 'branches',
      devices: {
        'fgt-1': { keyCheckUrl: 'https://10.0.0.1' },
        'fgt-2': { keyCheckUrl: 'https://10.0.0.2:8443' },
      },
      deviceTls: { caPem: pem('DEVICES') },
    });
    expect(fortigateFleet.target.safeParse(definition).success).toBe(true);
  });

  it('refuses a --device without a name and an address', async () => {
    // Act
    const error = await failure(fortigateFleet.targetFlags.definition(flagInput({ device: ['fgt-1'] })));
    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toMatch(/--device takes <name>=<https url of the device>/);
  });
});
