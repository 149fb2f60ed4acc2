import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../config.ts';
import { createLogger } from '../../logging.ts';
import { startDevEracuni, withDevEracuni } from './dev-eracuni.ts';
import { getInvoicingGateway } from './eracuni.ts';

/** What `npm start` does about e-računi when ERACUNI_URL is unset. */
const logger = createLogger('silent');

describe('development e-računi server', () => {
  it('speaks the protocol with the development credentials the configuration defaults to', async () => {
    const config = loadConfig({ NODE_ENV: 'development' });
    expect(config.ERACUNI_URL).toBeUndefined();
    expect(getInvoicingGateway(config)).toBeUndefined(); // unset: requests wait
    const server = await startDevEracuni(config, 0);
    try {
      const gateway = getInvoicingGateway({ ...config, ERACUNI_URL: server.url })!;
      const doc = await gateway.createDocument({
        kind: 'INVOICE',
        reference: 'HNS-INV-dev-test',
        date: '2026-12-04',
        currency: 'EUR',
        buyer: { name: 'Dev' },
        lines: [{ description: 'Ulaznica', quantity: 1, unitGross: 1_000, vatBp: 500 }],
      });
      expect(doc).toMatchObject({ status: 'DRAFT', total: 1_000 });
    } finally {
      await server.close();
    }
  });

  it('is not started in production or when ERACUNI_URL is set', async () => {
    const set = loadConfig({
      NODE_ENV: 'development',
      ERACUNI_URL: 'https://e-racuni.com/WebServicesHR/API',
    });
    expect(await withDevEracuni(set, logger)).toBe(set);
    const production = {
      ...loadConfig({ NODE_ENV: 'development' }),
      NODE_ENV: 'production' as const,
    };
    expect(await withDevEracuni(production, logger)).toBe(production);
  });

  it('production refuses the development credentials and a missing ERACUNI_URL', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/ERACUNI_URL/);
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/ERACUNI_TOKEN/);
  });
});
