import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import type { Job } from 'pg-boss';
import { afterAll, describe, expect, it } from 'vitest';
import { fetchedJob } from '../harness/jobs.ts';
import { statementsOf } from '../harness/statements.ts';
import { pushJob } from '../../src/modules/notifications/push.jobs.ts';
import type { PushLogRow } from '../../src/modules/notifications/notifications.repo.ts';
import {
  PUSH_QUEUE,
  sendPushes,
  type PushRequest,
} from '../../src/modules/notifications/notify.ts';
import { useTestContext } from '../harness/context.ts';
import { fastRetry } from '../harness/fast-retry.ts';
import { startLocalFcm } from '../harness/servers/fcm.ts';
import { waitFor } from '../harness/wait.ts';
import { createUsers } from '../queue/helpers.ts';

/**
 * The push worker handles a fetched batch set-based (push.jobs.ts deliverPushes):
 * these tests check that a mixed batch gives each job exactly the rows and statuses it gave
 * when jobs were handled one by one, that a transient FCM failure retries its job alone,
 * and that the statements per batch do not grow with the batch size.
 */
const fcm = await startLocalFcm('hns-ulaznice');

// In front of the local FCM: answers 503 UNAVAILABLE for chosen device tokens (as many
// times as asked), so a transient failure hits a known device whatever the send order.
const unavailable = new Map<string, number>();
const sends: string[] = [];
const proxy = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', async () => {
    const raw = Buffer.concat(chunks).toString('utf8');
    const token = (JSON.parse(raw) as { message: { token: string } }).message.token;
    sends.push(token);
    const left = unavailable.get(token) ?? 0;
    if (left > 0) {
      unavailable.set(token, left - 1);
      res.writeHead(503, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          error: {
            code: 503,
            message: 'The service is currently unavailable.',
            status: 'UNAVAILABLE',
            details: [{ errorCode: 'UNAVAILABLE' }],
          },
        }),
      );
      return;
    }
    const upstream = await fetch(`${fcm.url}${req.url}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: req.headers.authorization ?? '',
      },
      body: raw,
    });
    res
      .writeHead(upstream.status, { 'content-type': 'application/json' })
      .end(await upstream.text());
  });
});
await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', () => resolve()));

const t = useTestContext({
  env: {
    FCM_SERVICE_ACCOUNT_JSON: fcm.serviceAccountJson,
    FCM_BASE_URL: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    FCM_TOKEN_URL: fcm.tokenUrl,
    PUSH_MAX_ATTEMPTS: '3',
  },
});
afterAll(async () => {
  proxy.closeAllConnections();
  await new Promise((resolve) => proxy.close(resolve));
  await fcm.close();
});

interface Fan {
  id: string;
  /** Device tokens by role: FCM serves `live`, forgot `gone`, answers 503 once to `flaky`. */
  live: string[];
  gone?: string;
  flaky?: string;
}

/**
 * `count` fans with 0, 1 or 2 devices in turn; the first fan with two devices has one FCM
 * answers UNREGISTERED for, the second has one FCM answers 503 once for.
 */
async function fans(count: number): Promise<Fan[]> {
  const ids = await createUsers(t.deps, count);
  const tag = randomUUID().slice(0, 8);
  const result: Fan[] = ids.map((id, i) => ({
    id,
    live: Array.from({ length: i % 3 }, (_, d) => `tok-${tag}-${i}-${d}`),
  }));
  const pairs = result.filter((f) => f.live.length === 2);
  pairs[0]!.gone = pairs[0]!.live.pop();
  pairs[1]!.flaky = pairs[1]!.live.pop();
  fcm.unregistered.add(pairs[0]!.gone!);
  unavailable.set(pairs[1]!.flaky!, 1);
  const tokens = result.flatMap((f) =>
    [...f.live, f.gone, f.flaky]
      .filter((x): x is string => !!x)
      .map((fcm_token) => ({
        user_id: f.id,
        device_id: `device-${fcm_token}`,
        fcm_token,
        platform: 'ANDROID' as const,
      })),
  );
  await t.deps.db.insertInto('push_tokens').values(tokens).execute();
  return result;
}

const request = (fan: Fan, n = 1): PushRequest => ({
  user_id: fan.id,
  notification_type: 'queue_position',
  title: `Pomak ${n}`,
  body: 'Bliže ste ulazu',
  data: { deeplink: 'hns://queue/m1' },
  priority: 'HIGH',
});

/** A fetched push job. */
const asJob = (data: PushRequest) => fetchedJob(PUSH_QUEUE, data);

async function logsOfJob(jobId: string): Promise<PushLogRow[]> {
  return t.deps.db.selectFrom('push_logs').selectAll().where('job_id', '=', jobId).execute();
}

async function tokenIdOf(fcmToken: string): Promise<string> {
  const row = await t.deps.db
    .selectFrom('push_tokens')
    .select('id')
    .where('fcm_token', '=', fcmToken)
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Checks the rows one job left: exactly one per device, or the FAILED row of no device. */
async function expectJobLogs(job: Job<PushRequest>, fan: Fan, flakyAttempts = 1) {
  const logs = await logsOfJob(job.id);
  const devices = [...fan.live, fan.gone, fan.flaky].filter(Boolean).length;
  expect(logs).toHaveLength(Math.max(devices, 1));
  for (const log of logs) {
    expect(log).toMatchObject({
      user_id: fan.id,
      notification_type: 'queue_position',
      title: job.data.title,
      priority: 'HIGH',
      data_json: { deeplink: 'hns://queue/m1' },
    });
  }
  if (devices === 0) {
    expect(logs[0]).toMatchObject({
      push_token_id: null,
      status: 'FAILED',
      attempts: 0,
      error_message: 'user has no active push token',
    });
    return;
  }
  const byToken = new Map(logs.map((l) => [l.push_token_id, l]));
  for (const token of fan.live) {
    const log = byToken.get(await tokenIdOf(token));
    expect(log).toMatchObject({ status: 'SENT', attempts: 1, error_message: null });
    expect(log!.fcm_message_id).toMatch(/^projects\/hns-ulaznice\/messages\//);
    expect(log!.sent_at).toBeInstanceOf(Date);
  }
  if (fan.gone) {
    const log = byToken.get(await tokenIdOf(fan.gone));
    expect(log).toMatchObject({ status: 'FAILED', attempts: 1, fcm_message_id: null });
    expect(log!.error_message).toMatch(/UNREGISTERED/);
  }
  if (fan.flaky) {
    const log = byToken.get(await tokenIdOf(fan.flaky));
    if (flakyAttempts === 1) {
      expect(log).toMatchObject({ status: 'FAILED', attempts: 1, fcm_message_id: null });
      expect(log!.error_message).toMatch(/503/);
    } else {
      expect(log).toMatchObject({ status: 'SENT', attempts: flakyAttempts, error_message: null });
    }
  }
}

describe('push delivery per fetched batch', () => {
  it('gives every job of a mixed batch its rows and outcome, in a fixed number of statements', async () => {
    const def = pushJob(t.deps);
    const statementsFor = async (count: number) => {
      const batch = await fans(count);
      // One fan gets two pushes in the batch: each job has its own rows.
      const jobs = [...batch.map((f) => asJob(request(f))), asJob(request(batch[4]!, 2))];
      const fanOf = new Map(jobs.map((j) => [j.id, batch.find((f) => f.id === j.data.user_id)!]));
      const sendsBefore = sends.length;
      const { result: outcomes, sql: statements } = await statementsOf(() =>
        def.batchHandler!(jobs),
      );

      // Only the job whose device answered 503 fails, to be retried; all others complete.
      const flakyFan = batch.find((f) => f.flaky)!;
      const failed = jobs.filter((j) => outcomes.get(j.id) !== undefined);
      expect(failed.map((j) => j.data.user_id)).toEqual([flakyFan.id]);
      expect(outcomes.get(failed[0]!.id)!.message).toMatch(/503/);
      expect(outcomes.size).toBe(jobs.length);
      for (const job of jobs) await expectJobLogs(job, fanOf.get(job.id)!);
      const devices = batch.flatMap((f) => [...f.live, f.gone, f.flaky].filter(Boolean));
      expect(sends.length - sendsBefore).toBe(devices.length + 1); // fan 4's second push: 1 device

      // The unregistered device is switched off; served devices were touched.
      const gone = batch.find((f) => f.gone)!;
      const tokens = await t.deps.db
        .selectFrom('push_tokens')
        .select(['fcm_token', 'is_active', 'last_used_at'])
        .where('user_id', '=', sql<string>`ANY(${sql.val(batch.map((f) => f.id))}::uuid[])`)
        .execute();
      for (const token of tokens) {
        expect(token.is_active).toBe(token.fcm_token !== gone.gone);
        const served = batch.some((f) => f.live.includes(token.fcm_token));
        expect(token.last_used_at === null).toBe(!served);
      }

      // The failed job retried alone sends only to its device not yet SENT.
      const retrySends = sends.length;
      const retry = await def.batchHandler!([failed[0]!]);
      expect(retry.get(failed[0]!.id)).toBeUndefined();
      expect(sends.slice(retrySends)).toEqual([flakyFan.flaky]);
      await expectJobLogs(failed[0]!, flakyFan, 2);

      // The whole batch again (a redelivery) sends nothing and adds no row.
      const rowsBefore = await t.deps.db
        .selectFrom('push_logs')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow();
      const again = sends.length;
      const rerun = await def.batchHandler!(jobs);
      expect([...rerun.values()].every((e) => e === undefined)).toBe(true);
      expect(sends.length).toBe(again);
      const rowsAfter = await t.deps.db
        .selectFrom('push_logs')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow();
      expect(rowsAfter.n).toBe(rowsBefore.n);
      for (const job of jobs.filter((j) => j.id !== failed[0]!.id)) {
        await expectJobLogs(job, fanOf.get(job.id)!);
      }
      return statements;
    };

    const small = await statementsFor(9);
    const large = await statementsFor(300);
    // select tokens, insert logs, select logs, update logs, touch tokens, deactivate tokens
    expect(small).toHaveLength(6);
    expect(large).toHaveLength(small.length);
    expect(
      small.filter((s) => /^insert into push_logs/i.test(s.replace(/\s+/g, ' '))),
    ).toHaveLength(1);
    expect(small.filter((s) => /^update push_logs/i.test(s.replace(/\s+/g, ' ')))).toHaveLength(1);
  });

  it('through pg-boss: each job settles on its own and only the failed one is retried', async () => {
    const batch = await fans(30);
    await t.startWorker(fastRetry([pushJob(t.deps)]));
    // One transaction: the worker sees all the jobs at once and fetches them as one batch.
    await t.deps.db.transaction().execute((trx) =>
      sendPushes(
        t.deps,
        trx,
        batch.map((f) => request(f)),
      ),
    );

    const schema = t.config.JOBS_SCHEMA;
    const jobsOf = async () =>
      (
        await sql<{ id: string; user_id: string; state: string; retry_count: number }>`
          SELECT id, data->>'user_id' AS user_id, state, retry_count
            FROM ${sql.table(`${schema}.job`)}
           WHERE name = ${PUSH_QUEUE}
             AND data->>'user_id' = ANY(${sql.val(batch.map((f) => f.id))}::text[])`.execute(
          t.deps.db,
        )
      ).rows;
    await waitFor(
      async () => {
        const rows = await jobsOf();
        return rows.length === batch.length && rows.every((r) => r.state === 'completed');
      },
      { timeoutMs: 20_000, what: 'all push jobs completed' },
    );
    const flakyFan = batch.find((f) => f.flaky)!;
    const rows = await jobsOf();
    for (const row of rows) {
      expect(row.retry_count).toBe(row.user_id === flakyFan.id ? 1 : 0);
      await expectJobLogs(
        { id: row.id, data: request(batch.find((f) => f.id === row.user_id)!) } as Job<PushRequest>,
        batch.find((f) => f.id === row.user_id)!,
        row.user_id === flakyFan.id ? 2 : 1,
      );
    }
    // Each device was sent to once, the one that answered 503 twice.
    for (const fan of batch) {
      for (const token of [...fan.live, fan.gone]) {
        if (token) expect(sends.filter((s) => s === token)).toHaveLength(1);
      }
    }
    expect(sends.filter((s) => s === flakyFan.flaky)).toHaveLength(2);
  });
});
