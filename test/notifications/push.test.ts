import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retryDelayMs } from '../../src/modules/notifications/delivery.ts';
import { startPushDelivery } from '../../src/modules/notifications/push.delivery.ts';
import { pushLogsOfUser } from '../../src/modules/notifications/notifications.repo.ts';
import { sendPush, type PushRequest } from '../../src/modules/notifications/notify.ts';
import { createTestContext, useTestContext, type TestContext } from '../harness/context.ts';
import { createUser } from '../factories/users.ts';
import { startLocalFcm } from '../harness/servers/fcm.ts';
import { sleep, waitFor } from '../harness/wait.ts';

const fcm = await startLocalFcm('hns-ulaznice');
const t = useTestContext({
  env: {
    FCM_SERVICE_ACCOUNT_JSON: fcm.serviceAccountJson,
    FCM_BASE_URL: fcm.url,
    PUSH_MAX_ATTEMPTS: '3',
  },
});
// The delivery loop every worker runs; retries wait for t.clock to pass their backoff.
let delivery: { stop(): Promise<void> } | undefined;
beforeAll(() => {
  delivery = startPushDelivery(t.deps, { pollMs: 50 });
});
afterAll(async () => {
  await delivery?.stop();
  await fcm.close();
});

async function push(request: PushRequest) {
  await t.deps.db.transaction().execute((trx) => sendPush(t.deps, trx, request));
}

async function register(token: string, device_id: string, fcm_token: string, platform = 'ANDROID') {
  return t.request({
    method: 'POST',
    url: '/users/me/push-tokens',
    token,
    payload: { device_id, fcm_token, platform },
  });
}

describe('push tokens', () => {
  it('registers, re-registers and removes a device for the caller only', async () => {
    const anon = await t.request({
      method: 'POST',
      url: '/users/me/push-tokens',
      payload: { device_id: 'd', fcm_token: 'f', platform: 'IOS' },
    });
    expect(anon.statusCode).toBe(401);

    const ana = await createUser(t.deps);
    const ivo = await createUser(t.deps);
    const first = await register(ana.token, 'device-shared', 'fcm-1', 'IOS');
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({
      device_id: 'device-shared',
      platform: 'IOS',
      is_active: true,
    });
    expect(first.json()).not.toHaveProperty('fcm_token');

    const bad = await register(ana.token, 'd2', 'f2', 'WINDOWS_PHONE');
    expect(bad.statusCode).toBe(400);

    // The same device logged in by someone else moves to them (device_id is unique).
    const moved = await register(ivo.token, 'device-shared', 'fcm-2', 'ANDROID');
    expect(moved.statusCode).toBe(201);
    expect(moved.json().id).toBe(first.json().id);
    const rows = await t.deps.db
      .selectFrom('push_tokens')
      .selectAll()
      .where('device_id', '=', 'device-shared')
      .execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ user_id: ivo.id, fcm_token: 'fcm-2', platform: 'ANDROID' });

    // Ana no longer owns it: her delete is a 404, Ivo's succeeds once.
    const del = (token: string) =>
      t.request({ method: 'DELETE', url: '/users/me/push-tokens/device-shared', token });
    expect((await del(ana.token)).statusCode).toBe(404);
    expect((await del(ivo.token)).statusCode).toBe(204);
    expect((await del(ivo.token)).statusCode).toBe(404);
  });
});

describe('sendPush through FCM HTTP v1', () => {
  it('sends to every active device with OAuth2 auth, priority and deep-link data, and logs each', async () => {
    const user = await createUser(t.deps);
    await register(user.token, `android-${user.id}`, `tok-android-${user.id}`, 'ANDROID');
    await register(user.token, `ios-${user.id}`, `tok-ios-${user.id}`, 'IOS');
    const before = fcm.requests.length;

    await push({
      user_id: user.id,
      notification_type: 'queue_turn',
      title: 'Na redu ste!',
      body: 'Kupite ulaznice za Hrvatska – Italija u sljedećih 10 minuta.',
      data: { deeplink: 'hns://purchase/match-1', match_id: 'match-1' },
      priority: 'HIGH',
    });
    await waitFor(
      async () =>
        (await pushLogsOfUser(t.deps.db, user.id)).every((l) => l.status === 'SENT') &&
        (await pushLogsOfUser(t.deps.db, user.id)).length === 2,
      { what: 'two SENT logs' },
    );

    const sent = fcm.requests.slice(before);
    expect(sent).toHaveLength(2);
    for (const request of sent) {
      expect(request.project).toBe('hns-ulaznice');
      expect(request.headers.authorization).toMatch(/^Bearer ya29\./);
      expect(fcm.issuedTokens.has(request.headers.authorization!.slice(7))).toBe(true);
      expect(request.headers['content-type']).toBe('application/json');
      expect(request.body.message).toMatchObject({
        notification: {
          title: 'Na redu ste!',
          body: 'Kupite ulaznice za Hrvatska – Italija u sljedećih 10 minuta.',
        },
        data: {
          deeplink: 'hns://purchase/match-1',
          match_id: 'match-1',
          notification_type: 'queue_turn',
        },
        android: { priority: 'HIGH' },
        apns: { headers: { 'apns-priority': '10' } },
      });
    }
    expect(sent.map((r) => r.body.message.token).sort()).toEqual([
      `tok-android-${user.id}`,
      `tok-ios-${user.id}`,
    ]);
    // One OAuth2 token serves many sends.
    expect(fcm.tokenRequests).toBe(1);

    const logs = await pushLogsOfUser(t.deps.db, user.id);
    for (const log of logs) {
      expect(log).toMatchObject({
        notification_type: 'queue_turn',
        priority: 'HIGH',
        attempts: 1,
        error_message: null,
      });
      expect(log.fcm_message_id).toMatch(/^projects\/hns-ulaznice\/messages\//);
      expect(log.data_json).toEqual({ deeplink: 'hns://purchase/match-1', match_id: 'match-1' });
    }

    // NORMAL priority maps to Android NORMAL and APNs 5.
    await push({
      user_id: user.id,
      notification_type: 'match_update',
      title: 'Promjena',
      body: 'Novi termin',
    });
    await waitFor(() => fcm.requests.length >= before + 4, { what: 'normal-priority sends' });
    for (const request of fcm.requests.slice(before + 2)) {
      expect(request.body.message.android).toEqual({ priority: 'NORMAL' });
      expect(request.body.message.apns?.headers).toEqual({ 'apns-priority': '5' });
    }
  });

  it('marks a token FCM refuses as INVALID_ARGUMENT inactive, as an unregistered one (E15-F2); a refused payload keeps the device', async () => {
    const user = await createUser(t.deps);
    await register(user.token, `bad-${user.id}`, `tok-malformed-${user.id}`);
    await register(user.token, `ok-${user.id}`, `tok-payload-${user.id}`);
    fcm.malformed.add(`tok-malformed-${user.id}`);
    fcm.badPayload.add(`tok-payload-${user.id}`);
    await push({ user_id: user.id, notification_type: 'match_update', title: 'x', body: 'y' });
    await waitFor(
      async () => {
        const logs = await pushLogsOfUser(t.deps.db, user.id);
        return logs.length === 2 && logs.every((l) => l.status === 'FAILED');
      },
      { what: 'both sends refused' },
    );
    const logs = await pushLogsOfUser(t.deps.db, user.id);
    // Neither is retried: no retry fixes a bad token or a bad message.
    expect(logs.map((l) => l.attempts)).toEqual([1, 1]);
    expect(logs.every((l) => /INVALID_ARGUMENT/.test(l.error_message ?? ''))).toBe(true);
    const tokens = await t.deps.db
      .selectFrom('push_tokens')
      .select(['fcm_token', 'is_active'])
      .where('user_id', '=', user.id)
      .execute();
    expect(Object.fromEntries(tokens.map((tk) => [tk.fcm_token, tk.is_active]))).toEqual({
      [`tok-malformed-${user.id}`]: false,
      [`tok-payload-${user.id}`]: true,
    });
  });

  it('marks tokens FCM reports as unregistered inactive, and retries transient failures', async () => {
    const user = await createUser(t.deps);
    await register(user.token, `old-${user.id}`, `tok-gone-${user.id}`);
    await register(user.token, `new-${user.id}`, `tok-live-${user.id}`);
    fcm.unregistered.add(`tok-gone-${user.id}`);
    fcm.failNext(1); // the first send of the batch gets a 503

    await push({
      user_id: user.id,
      notification_type: 'match_cancellation',
      title: 'Otkazano',
      body: 'Utakmica je otkazana',
    });
    // Both devices were tried; the 503 one is due again after the backoff.
    await waitFor(
      async () =>
        (await pushLogsOfUser(t.deps.db, user.id)).every((l) => l.attempts === 1) &&
        (await pushLogsOfUser(t.deps.db, user.id)).length === 2,
      { what: 'first attempts' },
    );
    t.clock.advance(retryDelayMs(1));
    await waitFor(
      async () => {
        const logs = await pushLogsOfUser(t.deps.db, user.id);
        const live = logs.find((l) => l.error_message === null || l.status === 'SENT');
        return (
          logs.length === 2 &&
          live?.status === 'SENT' &&
          logs.some((l) => /UNREGISTERED/.test(l.error_message ?? ''))
        );
      },
      { timeoutMs: 20_000, what: 'one SENT and one UNREGISTERED log' },
    );
    // The injected 503 cost one extra attempt on one of the two devices.
    const attempts = (await pushLogsOfUser(t.deps.db, user.id)).map((l) => l.attempts);
    expect(attempts.reduce((a, b) => a + b, 0)).toBe(3);
    const tokens = await t.deps.db
      .selectFrom('push_tokens')
      .selectAll()
      .where('user_id', '=', user.id)
      .execute();
    expect(Object.fromEntries(tokens.map((tk) => [tk.fcm_token, tk.is_active]))).toEqual({
      [`tok-gone-${user.id}`]: false,
      [`tok-live-${user.id}`]: true,
    });
    // The dead device is not tried again on later pushes.
    const before = fcm.requests.length;
    await push({ user_id: user.id, notification_type: 'match_update', title: 'x', body: 'y' });
    await waitFor(() => fcm.requests.length > before, { what: 'next send' });
    await sleep(1_000);
    expect(fcm.requests.slice(before).map((r) => r.body.message.token)).toEqual([
      `tok-live-${user.id}`,
    ]);
  });

  it('logs FAILED for a user without devices', async () => {
    const user = await createUser(t.deps);
    await push({ user_id: user.id, notification_type: 'queue_turn', title: 'a', body: 'b' });
    await waitFor(async () => (await pushLogsOfUser(t.deps.db, user.id)).length === 1, {
      what: 'log',
    });
    expect((await pushLogsOfUser(t.deps.db, user.id))[0]).toMatchObject({
      status: 'FAILED',
      push_token_id: null,
      error_message: 'user has no active push token',
    });
  });
});

describe('sendPush without FCM credentials (development)', () => {
  let dev: TestContext;
  let devDelivery: { stop(): Promise<void> };
  beforeAll(async () => {
    dev = await createTestContext();
    devDelivery = startPushDelivery(dev.deps, { pollMs: 50 });
  });
  afterAll(async () => {
    await devDelivery.stop();
    await dev.close();
  });

  it('logs FAILED "FCM not configured" instead of pretending to send', async () => {
    const user = await createUser(dev.deps);
    const res = await dev.request({
      method: 'POST',
      url: '/users/me/push-tokens',
      token: user.token,
      payload: { device_id: 'dev-phone', fcm_token: 'dev-token', platform: 'IOS' },
    });
    expect(res.statusCode).toBe(201);
    await dev.deps.db.transaction().execute((trx) =>
      sendPush(dev.deps, trx, {
        user_id: user.id,
        notification_type: 't',
        title: 'a',
        body: 'b',
      }),
    );
    await waitFor(
      async () => (await pushLogsOfUser(dev.deps.db, user.id))[0]?.status === 'FAILED',
      { what: 'FAILED log' },
    );
    const logs = await pushLogsOfUser(dev.deps.db, user.id);
    expect(logs).toHaveLength(1);
    // Not retried: no retry gives a process credentials.
    expect(logs[0]).toMatchObject({
      status: 'FAILED',
      fcm_message_id: null,
      next_attempt_at: null,
    });
    const log = logs[0];
    expect(log!.error_message).toMatch(/^FCM not configured/);
  });
});
