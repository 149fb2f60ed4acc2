import { describe, expect, it } from 'vitest';
import { redisAnswers } from '../../src/platform/runtime/local-redis.ts';
import { freePort, startTestServices } from '../harness/services.ts';
import { findTool } from '../harness/tools.ts';

// What `npm test` does on a machine with nothing on the default addresses: a private
// redis-server for the run, stopped after it (PostgreSQL's embedded mode is what
// TEST_DATABASE_URL=embedded runs the whole suite on).

describe('the test run services', () => {
  it.runIf(findTool('redis-server'))(
    'start a private redis-server when nothing answers on the default address, and stop it',
    async () => {
      const nothingThere = `redis://127.0.0.1:${await freePort()}`;
      const services = await startTestServices(
        { TEST_DATABASE_URL: process.env.TEST_DATABASE_URL },
        { redisUrl: nothingThere },
      );
      try {
        expect(services.redisUrl).not.toBe(nothingThere);
        expect(await redisAnswers(services.redisUrl)).toBe(true);
      } finally {
        await services.stop();
      }
      expect(await redisAnswers(services.redisUrl)).toBe(false);
    },
  );

  it('use a configured Redis as it is', async () => {
    const services = await startTestServices({
      TEST_DATABASE_URL: process.env.TEST_DATABASE_URL,
      TEST_REDIS_URL: 'redis://127.0.0.1:6399/2',
    });
    expect(services.redisUrl).toBe('redis://127.0.0.1:6399/2');
    await services.stop();
  });
});
