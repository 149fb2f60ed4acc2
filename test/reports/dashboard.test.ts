import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createUser, type TestUser } from '../factories/users.ts';
import { createUsers, joinInOrder } from '../queue/helpers.ts';
import { statementsOf } from '../harness/statements.ts';
import { sleep, waitFor } from '../harness/wait.ts';
import {
  addToCart,
  checkoutToPayment,
  createFan,
  createSale,
  deliver,
  useStripeTestContext,
  type SaleFixture,
} from '../sales/helpers.ts';
import { buy, soldFromDb } from './helpers.ts';

const INTERVAL_MS = 200;
const { t, stripe } = await useStripeTestContext({
  env: { DASHBOARD_INTERVAL_MS: String(INTERVAL_MS) },
});

const sockets: WebSocket[] = [];
afterAll(() => {
  for (const s of sockets) s.terminate();
});

interface Update {
  type: string;
  totals: { sold: number; available: number; revenue: number };
  sectors: Array<{ code: string; counts: Record<string, number> }>;
}

function watch(url: string, token: string) {
  const socket = new WebSocket(`${url}?access_token=${token}`);
  sockets.push(socket);
  const updates: Update[] = [];
  socket.on('message', (data) => updates.push(JSON.parse(String(data)) as Update));
  const opened = new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
    socket.once('unexpected-response', (req, res) => {
      req.destroy();
      reject(new Error(`unexpected response ${res.statusCode}`));
    });
  });
  return { socket, updates, opened };
}

async function liveUrl(matchId: string) {
  const app = await t.newApp();
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}/admin/dashboard/match/${matchId}/live`;
}

let sale: SaleFixture;
let manager: TestUser;

const dashboard = (matchId: string, token = manager.token) =>
  t.request({ method: 'GET', url: `/admin/dashboard/match/${matchId}`, token });

beforeAll(async () => {
  manager = await createUser(t.deps, { roles: ['MATCH_MANAGER'] });
  sale = await createSale(t.deps, { sectors: 2, rows: 3, seatsPerRow: 10 });
}, 30_000);

describe('GET /admin/dashboard/match/{id} (E14-F2)', () => {
  it('returns KPIs whose values are the inventory, orders and payments as stored', async () => {
    await buy(t, stripe, sale, 3);
    await buy(t, stripe, sale, 2, sale.zoneIds[1]);
    await addToCart(t, await createFan(t.deps), sale, 2); // a cart hold
    const paying = await checkoutToPayment(t, await createFan(t.deps), sale, 1); // in payment
    await deliver(t, stripe, stripe.fail(paying.payment.payment_intent_id));
    // A seat set aside for a quota and one blocked by staff (their modules' flows, staged).
    await sql`UPDATE match_seat_inventory SET status = 'ALLOCATED'
               WHERE id = (SELECT id FROM match_seat_inventory WHERE match_id = ${sale.matchId}
                             AND status = 'AVAILABLE' ORDER BY snake_order DESC LIMIT 1)`.execute(
      t.deps.db,
    );
    await sql`UPDATE match_seat_inventory SET status = 'BLOCKED'
               WHERE id = (SELECT id FROM match_seat_inventory WHERE match_id = ${sale.matchId}
                             AND status = 'AVAILABLE' ORDER BY snake_order DESC LIMIT 1)`.execute(
      t.deps.db,
    );

    const res = await dashboard(sale.matchId);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    const { rows: inv } = await sql<{ status: string; hold_kind: string | null; n: number }>`
      SELECT status, hold_kind, count(*)::int AS n FROM match_seat_inventory
       WHERE match_id = ${sale.matchId} GROUP BY 1, 2`.execute(t.deps.db);
    const n = (status: string, kind?: string) =>
      inv
        .filter((r) => r.status === status && (kind === undefined || r.hold_kind === kind))
        .reduce((a, r) => a + r.n, 0);
    expect(body.totals.seats).toBe(60);
    expect(body.totals.sold).toBe(n('SOLD'));
    expect(body.totals.sold).toBe(5);
    expect(body.totals.available).toBe(n('AVAILABLE'));
    expect(body.totals.reserved).toEqual({
      carts: n('RESERVED', 'CART'),
      orders: n('RESERVED', 'ORDER'),
      quota: n('ALLOCATED') + n('RESERVED', 'QUOTA'),
      petrol: 0,
      total: n('RESERVED') + n('ALLOCATED'),
    });
    expect(body.totals.reserved).toMatchObject({ carts: 2, orders: 1, quota: 1 });
    expect(body.totals.other).toBe(n('BLOCKED'));
    const db = await soldFromDb(t, sale.matchId);
    expect(body.totals.revenue).toBe(db.paid - db.refunded);
    expect(body.totals.orders_completed).toBe(db.orders);
    // Per sector, every status as the inventory has it.
    const { rows: perSector } = await sql<{ code: string; status: string; n: number }>`
      SELECT ms.code, i.status, count(*)::int AS n FROM match_seat_inventory i
        JOIN match_sectors ms ON ms.id = i.match_sector_id
       WHERE i.match_id = ${sale.matchId} GROUP BY 1, 2`.execute(t.deps.db);
    for (const sector of body.sectors) {
      for (const [status, count] of Object.entries(sector.counts)) {
        const want = perSector.find((r) => r.code === sector.code && r.status === status)?.n ?? 0;
        expect(count, `${sector.code} ${status}`).toBe(want);
      }
    }
    // Payments: 2 succeeded, 1 failed; orders per minute over the last 5 minutes.
    expect(body.payments).toMatchObject({
      succeeded: 2,
      failed: 1,
      success_rate: 0.6667,
      failure_rate: 0.3333,
    });
    expect(body.pace.orders_per_minute).toBe(0.4);
    expect(body.pace.last_hour).toHaveLength(60);
    expect(body.pace.last_hour.at(-1)).toMatchObject({ orders: 2, tickets: 5 });
  });

  it('shows the waiting room: its length and admission rate as the queue module has them', async () => {
    const queued = await createSale(t.deps, { queued: true });
    await joinInOrder(t, queued.matchId, await createUsers(t.deps, 3));
    const body = (await dashboard(queued.matchId)).json();
    const queue = (
      await t.request({
        method: 'GET',
        url: `/admin/matches/${queued.matchId}/queue`,
        token: manager.token,
      })
    ).json();
    expect(body.queue).toEqual({
      enabled: true,
      open: true,
      waiting: 3,
      active: queue.counts.active,
      admitted_per_minute: queue.admitted_per_minute,
      total_admitted: queue.total_admitted,
    });
  });

  it('answers 404 for an unknown match and is for staff with report roles only', async () => {
    expect((await dashboard(crypto.randomUUID())).json().code).toBe('MATCH_NOT_FOUND');
    expect(
      (await t.request({ method: 'GET', url: `/admin/dashboard/match/${sale.matchId}` }))
        .statusCode,
    ).toBe(401);
    for (const role of ['FAN', 'SUPPORT_AGENT', 'PETROL_STAFF'] as const) {
      expect(
        (await dashboard(sale.matchId, (await createUser(t.deps, { roles: [role] })).token))
          .statusCode,
      ).toBe(403);
    }
    for (const role of ['FINANCE', 'SUPER_ADMIN'] as const) {
      expect(
        (await dashboard(sale.matchId, (await createUser(t.deps, { roles: [role] })).token))
          .statusCode,
      ).toBe(200);
    }
  });
});

describe('the live dashboard over WebSocket (E14-F2)', () => {
  it('pushes the figures when they change, to watchers on every instance (Redis pub/sub)', async () => {
    const [urlA, urlB] = [await liveUrl(sale.matchId), await liveUrl(sale.matchId)];
    const a1 = watch(urlA, manager.token);
    const a2 = watch(urlA, manager.token);
    const b1 = watch(urlB, manager.token);
    await Promise.all([a1.opened, a2.opened, b1.opened]);
    await waitFor(() => [a1, a2, b1].every((w) => w.updates.length > 0), { what: 'first figures' });
    const before = a1.updates.at(-1)!.totals.sold;
    expect(b1.updates.at(-1)!.totals.sold).toBe(before);

    // A sale through a third instance (the test's request app).
    await buy(t, stripe, sale, 2);
    for (const w of [a1, a2, b1]) {
      await waitFor(() => w.updates.at(-1)!.totals.sold === before + 2, {
        timeoutMs: 5_000,
        what: 'update',
      });
    }
    // Quiet: nothing changed, nothing is pushed.
    await sleep(INTERVAL_MS * 2);
    const counts = [a1, a2, b1].map((w) => w.updates.length);
    await sleep(INTERVAL_MS * 4);
    expect([a1, a2, b1].map((w) => w.updates.length)).toEqual(counts);
    for (const w of [a1, a2, b1]) w.socket.close();
  });

  it('computes once per interval per match: 100 watchers cost the database what one does', async () => {
    const isDashboardRead = (s: string) =>
      /FROM match_seat_inventory i\s+WHERE i\.match_id = \$\d+\s+GROUP BY 1, 2, 3/.test(s);
    const url = await liveUrl(sale.matchId);
    const url2 = await liveUrl(sale.matchId);
    const windowMs = INTERVAL_MS * 10;

    const one = watch(url, manager.token);
    await one.opened;
    await waitFor(() => one.updates.length > 0);
    // The computations run in the background loop: count every statement of the process.
    const single = await statementsOf(() => sleep(windowMs), { everywhere: true });

    const many = Array.from({ length: 100 }, (_, i) => watch(i % 2 ? url : url2, manager.token));
    await Promise.all(many.map((w) => w.opened));
    await waitFor(() => many.every((w) => w.updates.length > 0), { what: '100 watchers served' });
    const hundred = await statementsOf(() => sleep(windowMs), { everywhere: true });

    const reads1 = single.sql.filter(isDashboardRead).length;
    const reads100 = hundred.sql.filter(isDashboardRead).length;
    console.log(
      `dashboard cost over ${windowMs} ms (interval ${INTERVAL_MS} ms): 1 watcher ${reads1} computations, ` +
        `${single.sql.length} statements; 100 watchers on 2 instances ${reads100} computations, ${hundred.sql.length} statements`,
    );
    // At most one computation per interval, whatever the number of watchers (a loaded
    // machine may skip an interval, never add one).
    const intervals = windowMs / INTERVAL_MS;
    expect(reads1).toBeGreaterThan(0);
    expect(reads100).toBeGreaterThan(0);
    expect(reads1).toBeLessThanOrEqual(intervals + 1);
    expect(reads100).toBeLessThanOrEqual(intervals + 1);
    // And the statements of the whole process: those of one computation per interval.
    const perComputation = Math.ceil(single.sql.length / reads1);
    expect(hundred.sql.length).toBeLessThanOrEqual(
      (intervals + 1) * perComputation + perComputation,
    );
    for (const w of [one, ...many]) w.socket.close();
  });

  it('refuses watchers without a token, without the role, or of an unknown match', async () => {
    const url = await liveUrl(sale.matchId);
    await expect(watch(url, '').opened).rejects.toThrow('401');
    const fan = await createUser(t.deps);
    await expect(watch(url, fan.token).opened).rejects.toThrow('403');
    const unknown = url.replace(sale.matchId, crypto.randomUUID());
    await expect(watch(unknown, manager.token).opened).rejects.toThrow('404');
  });
});
