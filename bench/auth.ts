// An authenticated read (issue 3): GET /users/me/profile with a valid access token (JWT
// verification, rate limit hook, one indexed PostgreSQL read, AES-GCM decryption of the
// OIB for masking) against the framework floor GET /health/live, both measured in this run
// on the same listener. Reports requests/s, p99 and the ratio profile/floor. Runs on a
// scratch database created on TEST_DATABASE_URL's server and dropped afterwards; Redis from
// TEST_REDIS_URL. The rate limit is raised so the benchmark measures the work, not 429s.
// The token names a live session, as a logged-in fan's does, and REVOKED_SESSIONS (1,000)
// other sessions are revoked first, so the revocation check (issue 18) looks up a list
// that is not empty. BENCH_NAME names the result file (default `auth`).
import { randomBytes } from 'node:crypto';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createMyProfile } from '../src/modules/identity/profiles.service.ts';
import { insertSession } from '../src/modules/identity/sessions.repo.ts';
import { generateOib } from '../src/modules/identity/oib.ts';
import { createLogger } from '../src/platform/logging.ts';
import { createRuntime } from '../src/platform/runtime/runtime.ts';
import { createUser } from '../test/factories/users.ts';
import { TEST_REDIS_URL } from '../test/harness/context.ts';
import {
  createDatabase,
  databaseUrl,
  dropDatabase,
  randomSuffix,
  TEST_DB_PREFIX,
} from '../test/harness/databases.ts';
import { measure } from './http-floor.ts';
import { writeResult } from './lib/results.ts';

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const REVOKED_SESSIONS = 1_000;
const NAME = process.env.BENCH_NAME ?? 'auth';

if (import.meta.main) {
  const name = `${TEST_DB_PREFIX}${Date.now()}_${randomSuffix()}_bench`;
  await createDatabase(name);
  try {
    const config = loadConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      DATABASE_URL: databaseUrl(name),
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: `bench:${randomSuffix()}:`,
      RATE_LIMIT_MAX: '100000000',
    });
    const runtime = await createRuntime(config, createLogger('warn'), { supervise: false });
    const { deps } = runtime;
    const fan = await createUser(deps, { email: 'bench-fan@example.hr' });
    await createMyProfile(
      deps,
      { userId: fan.id },
      {
        full_name: 'Bench Fan',
        date_of_birth: '1990-01-01',
        nationality: 'HR',
        oib: generateOib(),
        phone: '+385 91 000 0000',
      },
    );
    const newSession = () =>
      insertSession(deps.db, {
        user_id: fan.id,
        refresh_token_hash: randomBytes(32).toString('hex'),
        device_id: 'bench',
        expires_at: new Date(Date.now() + 86_400_000),
      });
    for (let i = 0; i < REVOKED_SESSIONS; i++) {
      const s = await newSession();
      await deps.db
        .updateTable('sessions')
        .set({ revoked_at: new Date(), revoked_reason: 'logout' })
        .where('id', '=', s.id)
        .execute();
    }
    const session = await newSession();
    const token = await deps.tokens.sign({ userId: fan.id, roles: ['FAN'], sessionId: session.id });
    const app = await buildApp(deps);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as { port: number };
    const base = `http://127.0.0.1:${port}`;

    // Warm-up (JIT, pool connections), then the floor and the profile read back to back.
    await measure(`${base}/users/me/profile`, {
      duration: 2,
      headers: { authorization: `Bearer ${token}` },
    });
    const floor = await measure(`${base}/health/live`, { duration: DURATION });
    const profile = await measure(`${base}/users/me/profile`, {
      duration: DURATION,
      headers: { authorization: `Bearer ${token}` },
    });
    await app.close();
    await runtime.close();

    const ratio = {
      requests_per_second:
        Math.round((profile.requests_per_second / floor.requests_per_second) * 1000) / 1000,
      p99_latency:
        Math.round((profile.latency_ms.p99 / Math.max(1, floor.latency_ms.p99)) * 100) / 100,
    };
    const file = await writeResult(NAME, {
      connections: CONNECTIONS,
      duration_seconds: DURATION,
      floor: { endpoint: 'GET /health/live', ...floor },
      profile: {
        endpoint: 'GET /users/me/profile (valid access token of a live session)',
        ...profile,
      },
      revoked_sessions: REVOKED_SESSIONS,
      ratio_profile_to_floor: ratio,
    });
    console.log(JSON.stringify({ floor, profile, ratio }), `\nwrote ${file}`);
  } finally {
    await dropDatabase(name);
  }
}
