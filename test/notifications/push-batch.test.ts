import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { hookBefore, normalised, statementsOf } from '../harness/statements.ts';
import { DELIVERY_LEASE_MS, retryDelayMs } from '../../src/modules/notifications/delivery.ts';
import { notificationJobs } from '../../src/modules/notifications/notifications.jobs.ts';
import {
  countPendingDeliveries,
  type PushLogRow,
} from '../../src/modules/notifications/notifications.repo.ts';
import {
  PUSH_QUEUE,
  sendPush,
  sendPushes,
  type PushRequest,
} from '../../src/modules/notifications/notify.ts';
import {
  deliverPushBatch,
  fcmClientOf,
  startPushDelivery,
  type GetFcmClient,
} from '../../src/modules/notifications/push.delivery.ts';
import { useTestContext } from '../harness/context.ts';
import { startLocalFcm } from '../harness/servers/fcm.ts';
import { waitFor } from '../harness/wait.ts';
import { createUsers } from '../queue/helpers.ts';

/**
 * The push outbox (push.delivery.ts): sendPush/sendPushes write one push_logs row per
 * device with one statement, and a batch of due rows is leased, sent and written back
 * set-based. These tests check that a mixed batch gives each push exactly the rows and
 * statuses the per-job worker gave, that a transient FCM failure retries that device
 * alone after the backoff, that the statements do not grow with the batch size, that a
 * device moved to another user is not sent to, that a worker dying mid-batch only delays
 * its rows, that concurrent loops send to each device once, and that jobs of the previous
 * release's queue are moved into the outbox.
 */
const fcm = await startLocalFcm('hns-ulaznice');

// In front of the local FCM: answers 503 UNAVAILABLE for chosen device tokens (as many
// times as asked), so a transient failure hits a known device whatever the send order, and
// 400 INVALID_ARGUMENT for others (a failure no retry fixes).
const unavailable = new Map<string, number>();
const invalid = new Set<string>();
const sends: string[] = [];
const proxy = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', async () => {
    const raw = Buffer.concat(chunks).toString('utf8');
    const token = (JSON.parse(raw) as { message: { token: string } }).message.token;
    sends.push(token);
    if (invalid.has(token)) {
      res.writeHead(400, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          error: {
            code: 400,
            message: 'Request contains an invalid argument.',
            status: 'INVALID_ARGUMENT',
            details: [{ errorCode: 'INVALID_ARGUMENT' }],
          },
        }),
      );
      return;
    }
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

const request = (fan: Fan, title = 'Pomak 1'): PushRequest => ({
  user_id: fan.id,
  notification_type: 'queue_position',
  title,
  body: 'Bliže ste ulazu',
  data: { deeplink: 'hns://queue/m1' },
  priority: 'HIGH',
});

let getClient: GetFcmClient | undefined;
/** One batch, big enough for every row a test makes due (the FCM client of this "process"). */
const deliver = (limit = 10_000) =>
  deliverPushBatch(t.deps, (getClient ??= fcmClientOf(t.deps)), limit);

const logsOf = (userId: string, title: string): Promise<PushLogRow[]> =>
  t.deps.db
    .selectFrom('push_logs')
    .selectAll()
    .where('user_id', '=', userId)
    .where('title', '=', title)
    .execute();

async function tokenIdOf(fcmToken: string): Promise<string> {
  const row = await t.deps.db
    .selectFrom('push_tokens')
    .select('id')
    .where('fcm_token', '=', fcmToken)
    .executeTakeFirstOrThrow();
  return row.id;
}

const pushLogCount = async () =>
  (
    await t.deps.db
      .selectFrom('push_logs')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow()
  ).n;

/** Checks the rows one push left: exactly one per device, or the FAILED row of no device. */
async function expectPushLogs(fan: Fan, title: string, flakyAttempts = 1) {
  const logs = await logsOf(fan.id, title);
  const devices = [...fan.live, fan.gone, fan.flaky].filter(Boolean).length;
  expect(logs).toHaveLength(Math.max(devices, 1));
  // One notification id shared by the push's rows.
  expect(new Set(logs.map((l) => l.job_id)).size).toBe(1);
  for (const log of logs) {
    expect(log).toMatchObject({
      user_id: fan.id,
      notification_type: 'queue_position',
      title,
      priority: 'HIGH',
      data_json: { deeplink: 'hns://queue/m1' },
    });
  }
  if (devices === 0) {
    expect(logs[0]).toMatchObject({
      push_token_id: null,
      status: 'FAILED',
      attempts: 0,
      next_attempt_at: null,
      error_message: 'user has no active push token',
    });
    return;
  }
  const byToken = new Map(logs.map((l) => [l.push_token_id, l]));
  for (const token of fan.live) {
    const log = byToken.get(await tokenIdOf(token));
    expect(log).toMatchObject({
      status: 'SENT',
      attempts: 1,
      error_message: null,
      next_attempt_at: null,
    });
    expect(log!.fcm_message_id).toMatch(/^projects\/hns-ulaznice\/messages\//);
    expect(log!.sent_at).toBeInstanceOf(Date);
  }
  if (fan.gone) {
    const log = byToken.get(await tokenIdOf(fan.gone));
    expect(log).toMatchObject({
      status: 'FAILED',
      attempts: 1,
      fcm_message_id: null,
      next_attempt_at: null,
    });
    expect(log!.error_message).toMatch(/UNREGISTERED/);
  }
  if (fan.flaky) {
    const log = byToken.get(await tokenIdOf(fan.flaky));
    if (flakyAttempts === 1) {
      expect(log).toMatchObject({ status: 'FAILED', attempts: 1, fcm_message_id: null });
      expect(log!.error_message).toMatch(/503/);
      expect(log!.next_attempt_at).toEqual(new Date(t.clock.now().getTime() + retryDelayMs(1)));
    } else {
      expect(log).toMatchObject({
        status: 'SENT',
        attempts: flakyAttempts,
        error_message: null,
        next_attempt_at: null,
      });
    }
  }
}

/** `count` users with one device each (tokens `tok-<tag>-<n>`). */
async function oneDeviceEach(count: number): Promise<Array<{ id: string; token: string }>> {
  const tag = randomUUID().slice(0, 8);
  const users = (await createUsers(t.deps, count)).map((id, n) => ({
    id,
    token: `tok-${tag}-${n}`,
  }));
  await t.deps.db
    .insertInto('push_tokens')
    .values(
      users.map((u) => ({
        user_id: u.id,
        device_id: `device-${u.token}`,
        fcm_token: u.token,
        platform: 'IOS' as const,
      })),
    )
    .execute();
  return users;
}

const plainPush = (userId: string, title = 'Na redu ste'): PushRequest => ({
  user_id: userId,
  notification_type: 'queue_turn',
  title,
  body: 'Kupite ulaznice',
});

describe('push delivery from the outbox, per batch', () => {
  it('sendPushes writes the rows of any number of pushes with one statement, no job', async () => {
    const [withDevices] = await oneDeviceEach(1);
    await t.deps.db
      .insertInto('push_tokens')
      .values({
        user_id: withDevices!.id,
        device_id: `second-${withDevices!.token}`,
        fcm_token: `second-${withDevices!.token}`,
        platform: 'ANDROID',
      })
      .execute();
    const without = await createUsers(t.deps, 299);
    const { sql: statements } = await statementsOf(() =>
      t.deps.db.transaction().execute((trx) =>
        sendPushes(
          t.deps,
          trx,
          [withDevices!.id, ...without].map((id) => plainPush(id)),
        ),
      ),
    );
    expect(normalised(statements).map((s) => s.split(' ').slice(0, 2).join(' '))).toEqual([
      'begin',
      'WITH p',
      'commit',
    ]);
    expect(normalised(statements)[1]).toMatch(/INSERT INTO push_logs/);
    const jobs = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM ${sql.table(`${t.config.JOBS_SCHEMA}.job`)}`.execute(
      t.deps.db,
    );
    expect(jobs.rows[0]!.n).toBe(0);
    // Two rows due now for the user with two devices; one FAILED row for each of the others.
    const rows = await t.deps.db
      .selectFrom('push_logs')
      .selectAll()
      .where('title', '=', 'Na redu ste')
      .execute();
    expect(rows).toHaveLength(301);
    const mine = rows.filter((r) => r.user_id === withDevices!.id);
    expect(mine.map((r) => [r.status, r.next_attempt_at])).toEqual([
      ['QUEUED', t.clock.now()],
      ['QUEUED', t.clock.now()],
    ]);
    expect(new Set(mine.map((r) => r.job_id)).size).toBe(1);
    const others = rows.filter((r) => r.user_id !== withDevices!.id);
    expect(new Set(others.map((r) => r.job_id)).size).toBe(299); // one id per push
    expect(others.every((r) => r.status === 'FAILED' && r.next_attempt_at === null)).toBe(true);
    // sendPush: the same, for one.
    await t.deps.db.transaction().execute((trx) => sendPush(t.deps, trx, plainPush(without[0]!)));
    expect(await deliver()).toBe(2);
    expect(await countPendingDeliveries(t.deps.db, 'push_logs')).toBe(0);
  });

  it('gives every push of a mixed batch its rows and outcome, in a fixed number of statements', async () => {
    const statementsFor = async (count: number) => {
      const batch = await fans(count);
      // One fan gets two pushes: each has its own rows.
      await t.deps.db
        .transaction()
        .execute((trx) =>
          sendPushes(t.deps, trx, [...batch.map((f) => request(f)), request(batch[4]!, 'Pomak 2')]),
        );
      const sendsBefore = sends.length;
      const { result: leased, sql: statements } = await statementsOf(() => deliver());
      const devices = batch.flatMap((f) => [...f.live, f.gone, f.flaky].filter(Boolean));
      const fan4 = [...batch[4]!.live].length;
      expect(leased).toBe(devices.length + fan4);
      for (const fan of batch) await expectPushLogs(fan, 'Pomak 1');
      await expectPushLogs(batch[4]!, 'Pomak 2');
      expect(sends.length - sendsBefore).toBe(devices.length + fan4);

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

      // After the backoff only the device that answered 503 is tried again.
      const flakyFan = batch.find((f) => f.flaky)!;
      expect(await deliver()).toBe(0);
      t.clock.advance(retryDelayMs(1));
      const retrySends = sends.length;
      expect(await deliver()).toBe(1);
      expect(sends.slice(retrySends)).toEqual([flakyFan.flaky]);
      await expectPushLogs(flakyFan, 'Pomak 1', 2);

      // Nothing is left: later batches send nothing and add no row.
      const rowsBefore = await pushLogCount();
      t.clock.advance(24 * 3_600_000);
      const again = sends.length;
      expect(await deliver()).toBe(0);
      expect(sends.length).toBe(again);
      expect(await pushLogCount()).toBe(rowsBefore);
      for (const fan of batch.filter((f) => f !== flakyFan)) {
        await expectPushLogs(fan, 'Pomak 1');
      }
      return normalised(statements);
    };

    const small = await statementsFor(9);
    const large = await statementsFor(300);
    // lease (with the devices), update outcomes, touch tokens, deactivate tokens
    expect(small).toHaveLength(4);
    expect(large).toHaveLength(small.length);
    expect(small[0]).toMatch(/^WITH leased AS \( UPDATE push_logs .*FOR UPDATE SKIP LOCKED/);
    expect(small[1]).toMatch(/^UPDATE push_logs AS l/);
    expect(small[2]).toMatch(/^update "push_tokens" set "last_used_at"/);
    expect(small[3]).toMatch(/^UPDATE push_tokens AS t SET is_active = false/);
  });

  it('retries a device FCM cannot reach with backoff until PUSH_MAX_ATTEMPTS, and fails an invalid message at once', async () => {
    const [down, bad] = await oneDeviceEach(2);
    unavailable.set(down!.token, 10);
    invalid.add(bad!.token);
    await t.deps.db
      .transaction()
      .execute((trx) =>
        sendPushes(t.deps, trx, [plainPush(down!.id, 'Retry'), plainPush(bad!.id, 'Retry')]),
      );
    const rowOf = async (userId: string) => (await logsOf(userId, 'Retry'))[0]!;
    expect(await deliver()).toBe(2);
    expect(await rowOf(bad!.id)).toMatchObject({
      status: 'FAILED',
      attempts: 1,
      next_attempt_at: null,
      error_message: expect.stringMatching(/INVALID_ARGUMENT/),
    });
    // 30 s, then 60 s, then given up after the third attempt (PUSH_MAX_ATTEMPTS = 3).
    for (const attempt of [1, 2]) {
      const row = await rowOf(down!.id);
      expect(row).toMatchObject({ status: 'FAILED', attempts: attempt });
      expect(row.error_message).toMatch(/503/);
      expect(row.next_attempt_at).toEqual(
        new Date(t.clock.now().getTime() + 30_000 * 2 ** (attempt - 1)),
      );
      t.clock.advance(retryDelayMs(attempt) - 1);
      expect(await deliver()).toBe(0);
      t.clock.advance(1);
      expect(await deliver()).toBe(1);
    }
    expect(await rowOf(down!.id)).toMatchObject({
      status: 'FAILED',
      attempts: 3,
      next_attempt_at: null,
    });
    t.clock.advance(24 * 3_600_000);
    expect(await deliver()).toBe(0);
    expect(sends.filter((s) => s === down!.token)).toHaveLength(3);
    expect(sends.filter((s) => s === bad!.token)).toHaveLength(1);
    // An invalid message is not the device's fault: the token stays active.
    const tokens = await t.deps.db
      .selectFrom('push_tokens')
      .select('is_active')
      .where('fcm_token', 'in', [down!.token, bad!.token])
      .execute();
    expect(tokens.map((tk) => tk.is_active)).toEqual([true, true]);
  });

  it('writes nothing, and sends nothing, for a rolled-back transaction', async () => {
    const [fan] = await oneDeviceEach(1);
    await t.deps.db
      .transaction()
      .execute(async (trx) => {
        await sendPushes(t.deps, trx, [plainPush(fan!.id, 'Rollback')]);
        await sendPush(t.deps, trx, plainPush(fan!.id, 'Rollback'));
        throw new Error('payment declined');
      })
      .catch(() => {});
    expect(await logsOf(fan!.id, 'Rollback')).toEqual([]);
    expect(await deliver()).toBe(0);
    expect(sends).not.toContain(fan!.token);
  });

  it('does not send to a device that moved to another user or was switched off since the push was written', async () => {
    const [ana, ivo, luka] = await oneDeviceEach(3);
    await t.deps.db
      .transaction()
      .execute((trx) =>
        sendPushes(t.deps, trx, [plainPush(ana!.id, 'Za Anu'), plainPush(luka!.id, 'Za Luku')]),
      );
    // Ivo logs in on Ana's phone; Luka's device was deactivated.
    await t.deps.db
      .updateTable('push_tokens')
      .set({ user_id: ivo!.id })
      .where('fcm_token', '=', ana!.token)
      .execute();
    await t.deps.db
      .updateTable('push_tokens')
      .set({ is_active: false })
      .where('fcm_token', '=', luka!.token)
      .execute();
    const before = sends.length;
    expect(await deliver()).toBe(2);
    expect(sends.slice(before)).toEqual([]);
    for (const [user, title] of [
      [ana!, 'Za Anu'],
      [luka!, 'Za Luku'],
    ] as const) {
      expect(await logsOf(user.id, title)).toEqual([
        expect.objectContaining({
          status: 'FAILED',
          attempts: 0,
          next_attempt_at: null,
          error_message: "device is no longer the user's active push token",
        }),
      ]);
    }
  });

  it('a worker dying mid-batch leaves its pushes leased until the lease ends, then they are sent again', async () => {
    const users = await oneDeviceEach(4);
    await t.deps.db.transaction().execute((trx) =>
      sendPushes(
        t.deps,
        trx,
        users.map((u) => plainPush(u.id, 'Crash')),
      ),
    );
    const before = sends.length;
    await expect(
      hookBefore(
        /^UPDATE push_logs AS l/,
        () => Promise.reject(new Error('worker killed')),
        () => deliver(),
      ),
    ).rejects.toThrow('worker killed');
    expect(sends.slice(before).sort()).toEqual(users.map((u) => u.token).sort());
    for (const u of users) {
      expect(await logsOf(u.id, 'Crash')).toEqual([
        expect.objectContaining({
          status: 'QUEUED',
          next_attempt_at: new Date(t.clock.now().getTime() + DELIVERY_LEASE_MS),
        }),
      ]);
    }
    t.clock.advance(DELIVERY_LEASE_MS - 1);
    expect(await deliver()).toBe(0);
    t.clock.advance(1);
    expect(await deliver()).toBe(users.length);
    for (const u of users) {
      expect(await logsOf(u.id, 'Crash')).toEqual([
        expect.objectContaining({ status: 'SENT', attempts: 1, next_attempt_at: null }),
      ]);
      expect(sends.filter((s) => s === u.token)).toHaveLength(2); // at least once
    }
  });

  it('three loops draining one outbox send to each device exactly once', async () => {
    const users = await oneDeviceEach(300);
    await t.deps.db.transaction().execute((trx) =>
      sendPushes(
        t.deps,
        trx,
        users.map((u) => plainPush(u.id, 'Mnogo')),
      ),
    );
    const loops = [1, 2, 3].map(() => startPushDelivery(t.deps, { batchSize: 25, pollMs: 20 }));
    try {
      await waitFor(async () => (await countPendingDeliveries(t.deps.db, 'push_logs')) === 0, {
        timeoutMs: 30_000,
        what: 'outbox drained',
      });
    } finally {
      await Promise.all(loops.map((l) => l.stop()));
    }
    for (const u of users)
      expect(
        sends.filter((s) => s === u.token),
        u.token,
      ).toHaveLength(1);
    const logs = await t.deps.db
      .selectFrom('push_logs')
      .select(['status', 'attempts'])
      .where('title', '=', 'Mnogo')
      .execute();
    expect(logs).toHaveLength(users.length);
    expect(logs.every((l) => l.status === 'SENT' && l.attempts === 1)).toBe(true);
  });
});

describe("the previous release's push queue", () => {
  it('moves its jobs into the outbox, once, keeping what that release already sent', async () => {
    const [fresh, noDevice, halfDone] = await oneDeviceEach(3);
    await t.deps.db.deleteFrom('push_tokens').where('user_id', '=', noDevice!.id).execute();
    const second = `second-${halfDone!.token}`;
    await t.deps.db
      .insertInto('push_tokens')
      .values({
        user_id: halfDone!.id,
        device_id: `device-${second}`,
        fcm_token: second,
        platform: 'ANDROID',
      })
      .execute();
    const requests = [fresh!, noDevice!, halfDone!].map((u) => plainPush(u.id, 'Stari posao'));
    const jobIds = await t.deps.db
      .transaction()
      .execute(async (trx) =>
        Promise.all(requests.map((r) => t.deps.jobs.enqueue(trx, PUSH_QUEUE, r))),
      );
    // The previous release tried halfDone's job once: one device SENT, one FAILED (503),
    // the job waiting for its pg-boss retry; its rows are not in the outbox.
    const tokenIds = [await tokenIdOf(halfDone!.token), await tokenIdOf(second)];
    await t.deps.db
      .insertInto('push_logs')
      .values(
        tokenIds.map((push_token_id, i) => ({
          user_id: halfDone!.id,
          job_id: jobIds[2]!,
          push_token_id,
          notification_type: 'queue_turn',
          title: 'Stari posao',
          body: 'Kupite ulaznice',
          status: i === 0 ? ('SENT' as const) : ('FAILED' as const),
          attempts: 1,
          error_message: i === 0 ? null : 'FCM 503 UNAVAILABLE',
        })),
      )
      .execute();

    const before = sends.length;
    await t.startWorker(notificationJobs(t.deps));
    const jobStates = async () =>
      (
        await sql<{ state: string }>`
          SELECT state FROM ${sql.table(`${t.config.JOBS_SCHEMA}.job`)}
           WHERE id = ANY(${sql.val(jobIds)}::uuid[])`.execute(t.deps.db)
      ).rows;
    await waitFor(async () => (await jobStates()).every((j) => j.state === 'completed'), {
      what: 'push jobs moved',
    });
    expect(sends.length).toBe(before); // moved, not sent
    // A job delivered twice by pg-boss is moved twice: still one row per device.
    const [, def] = notificationJobs(t.deps);
    await def!.batchHandler!(requests.map((data, i) => ({ id: jobIds[i]!, data })) as never[]);
    const rowsOf = (userId: string) => logsOf(userId, 'Stari posao');
    expect(await rowsOf(fresh!.id)).toEqual([
      expect.objectContaining({
        job_id: jobIds[0],
        status: 'QUEUED',
        next_attempt_at: t.clock.now(),
      }),
    ]);
    expect(await rowsOf(noDevice!.id)).toEqual([
      expect.objectContaining({
        job_id: jobIds[1],
        status: 'FAILED',
        push_token_id: null,
        next_attempt_at: null,
        error_message: 'user has no active push token',
      }),
    ]);
    const byDevice = async () =>
      new Map((await rowsOf(halfDone!.id)).map((r) => [r.push_token_id, r]));
    expect(await byDevice()).toEqual(
      new Map([
        [tokenIds[0], expect.objectContaining({ status: 'SENT', next_attempt_at: null })],
        [
          tokenIds[1],
          expect.objectContaining({ status: 'FAILED', next_attempt_at: t.clock.now() }),
        ],
      ]),
    );

    expect(await deliver()).toBe(2);
    expect(sends.slice(before).sort()).toEqual([fresh!.token, second].sort());
    expect(await byDevice()).toEqual(
      new Map([
        [tokenIds[0], expect.objectContaining({ status: 'SENT', attempts: 1 })],
        [
          tokenIds[1],
          expect.objectContaining({ status: 'SENT', attempts: 2, next_attempt_at: null }),
        ],
      ]),
    );
  });
});
