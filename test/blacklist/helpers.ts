import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { getPiiCipher } from '../../src/platform/crypto.ts';
import { createLogger } from '../../src/platform/logging.ts';
import type { TestContext } from '../harness/context.ts';

/** A CSV of the MUP list: header and one line per person. */
export const csvOf = (rows: Array<[string, string, string, string?]>, header = true) =>
  (header ? 'oib,first_name,last_name,date_of_birth\n' : '') +
  rows.map(([oib, first, last, dob]) => `${oib},${first},${last},${dob ?? ''}`).join('\n') +
  '\n';

/** A fan's default profile carrying this OIB: the buyer side of E11-F4. */
export async function giveProfile(t: TestContext, userId: string, oib: string): Promise<void> {
  const pii = getPiiCipher(t.deps.config);
  await t.deps.db
    .insertInto('profiles')
    .values({
      user_id: userId,
      full_name: 'Kupac Navijač',
      date_of_birth: '1990-01-01',
      nationality: 'HR',
      oib_encrypted: pii.encrypt(oib),
      oib_blind_index: pii.blindIndex(oib),
    })
    .execute();
}

/** An app on the test's deps whose logs (debug and up) are captured as text. */
export async function appWithCapturedLogs(
  t: TestContext,
): Promise<{ app: FastifyInstance; logs: () => string }> {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  const logger = createLogger('debug', sink);
  const app = await buildApp({ ...t.deps, logger }, { revocations: false });
  await app.ready();
  return { app, logs: () => chunks.join('') };
}
