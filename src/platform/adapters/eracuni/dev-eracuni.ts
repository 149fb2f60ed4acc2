/**
 * Development only: `npm start` with no ERACUNI_URL runs the local e-računi-protocol server
 * (local-server.ts, the one the tests use) on DEV_ERACUNI_PORT with the development
 * credentials and points the client at it, so paid orders get invoices (numbered,
 * fiscalised after a few seconds, with a PDF URL) without an e-računi account. Documents
 * live in memory: after a restart the old ones are unknown to it.
 */
import type { Config } from '../../../config.ts';
import type { Logger } from '../../logging.ts';
import { startEracuniServer, type EracuniTestServer } from './local-server.ts';

/** The local server with the configured credentials on `port` (default DEV_ERACUNI_PORT). */
export const startDevEracuni = (
  config: Config,
  port = config.DEV_ERACUNI_PORT,
): Promise<EracuniTestServer> =>
  startEracuniServer({
    port,
    credentials: {
      username: config.ERACUNI_USERNAME,
      password: config.ERACUNI_PW,
      token: config.ERACUNI_TOKEN,
    },
    fiscaliseAfterMs: 5_000,
  });

/** For `start`: outside production with no ERACUNI_URL, the local server and its URL. */
export async function withDevEracuni(config: Config, logger: Logger): Promise<Config> {
  if (config.NODE_ENV === 'production' || config.ERACUNI_URL) return config;
  try {
    const server = await startDevEracuni(config);
    logger.warn(
      { eracuni: server.url },
      `no ERACUNI_URL: local development e-računi server on ${server.url}`,
    );
    return { ...config, ERACUNI_URL: server.url };
  } catch (err) {
    logger.warn(
      { err },
      `could not start the development e-računi server on port ${config.DEV_ERACUNI_PORT}; invoices wait in their outbox until ERACUNI_URL is set`,
    );
    return config;
  }
}
