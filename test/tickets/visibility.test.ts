import jsQRModule from 'jsqr';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { runQrReadyNotices } from '../../src/modules/tickets/tickets.jobs.ts';
import { freshToken } from '../factories/users.ts';
import { pushJobs } from '../queue/helpers.ts';
import {
  checkoutToPayment,
  createFan,
  createSale,
  deliver,
  expectSignedTicket,
  useStripeTestContext,
  withClockAt,
  type Fan,
} from '../sales/helpers.ts';

/** What a ticket shows and when (E9-F2): order info, then the seat, then barcode and QR. */

const { t, stripe } = await useStripeTestContext();

// jsqr is a CommonJS bundle: Node hands its module.exports (the function) to a default import.
const jsQR = jsQRModule as unknown as (typeof jsQRModule)['default'];

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** A fan with paid tickets (one unless told) of a match kicking off in 30 days (or given). */
async function boughtTicket(
  options: {
    kickOff?: Date;
    sale?: Awaited<ReturnType<typeof createSale>>;
    quantity?: number;
  } = {},
) {
  const kickOff = options.kickOff ?? new Date(t.clock.now().getTime() + 30 * DAY);
  const sale = options.sale ?? (await createSale(t.deps, { rows: 2, seatsPerRow: 10, kickOff }));
  const fan = await createFan(t.deps);
  const { order, payment } = await checkoutToPayment(t, fan, sale, options.quantity ?? 1);
  expect((await deliver(t, stripe, stripe.succeed(payment.payment_intent_id))).statusCode).toBe(
    200,
  );
  const row = await t.deps.db
    .selectFrom('tickets')
    .select(['id', 'barcode', 'qr_code_data'])
    .where('order_id', '=', order.id)
    .executeTakeFirstOrThrow();
  return { sale, fan, order, kickOff, ticket: row };
}

// Signed in at the clock's now: the tests move the clock weeks past the purchase.
const getTicket = async (fan: Fan, id: string) =>
  t.request({ method: 'GET', url: `/tickets/${id}`, token: await freshToken(t.deps, fan) });
const getQr = async (fan: Fan, id: string, format = 'png') =>
  t.request({
    method: 'GET',
    url: `/tickets/${id}/qr?format=${format}`,
    token: await freshToken(t.deps, fan),
  });
const myTickets = async (fan: Fan) =>
  (
    await t.request({
      method: 'GET',
      url: '/users/me/tickets',
      token: await freshToken(t.deps, fan),
    })
  ).json().items;

describe('tiered ticket visibility (E9-F2)', () => {
  it('shows the order only, then the seat, then barcode and QR, each from its exact instant', async () => {
    const { sale, fan, order, kickOff, ticket } = await boughtTicket();
    const seatAt = new Date(kickOff.getTime() - 4 * DAY);
    const qrAt = new Date(kickOff.getTime() - 5 * HOUR);
    const visibility = (tier: string) => ({
      tier,
      seat_visible_at: seatAt.toISOString(),
      qr_opens_at: qrAt.toISOString(),
    });

    // > 4 days before: order info only — no seat, no barcode, no QR (right after purchase
    // and 1 ms before the seat tier)
    for (const at of [t.clock.now(), new Date(seatAt.getTime() - 1)]) {
      await withClockAt(t, at, async () => {
        const res = await getTicket(fan, ticket.id);
        expect(res.statusCode).toBe(200);
        expect(res.json()).toMatchObject({
          id: ticket.id,
          order_id: order.id,
          order_number: order.order_number,
          match: { id: sale.matchId, kick_off_time: kickOff.toISOString() },
          status: 'SOLD',
          seat: null,
          barcode: null,
          qr_code_data: null,
          visibility: visibility('ORDER_INFO'),
          holder: { full_name: expect.any(String) },
        });
        expect(await myTickets(fan)).toEqual([res.json()]);
        const qr = await getQr(fan, ticket.id);
        expect(qr.statusCode).toBe(403);
        expect(qr.json()).toMatchObject({
          code: 'QR_NOT_YET_AVAILABLE',
          opens_at: qrAt.toISOString(),
        });
      });
    }

    // 4 days to 5 hours: the seat, still no barcode or QR
    for (const at of [seatAt, new Date(qrAt.getTime() - 1)]) {
      await withClockAt(t, at, async () => {
        const res = await getTicket(fan, ticket.id);
        expect(res.json()).toMatchObject({
          seat: { sector_code: expect.any(String), row: expect.any(String), seat_number: 1 },
          barcode: null,
          qr_code_data: null,
          visibility: visibility('SEAT'),
        });
        expect(await myTickets(fan)).toEqual([res.json()]);
        const qr = await getQr(fan, ticket.id, 'svg');
        expect(qr.statusCode).toBe(403);
        expect(qr.json()).toMatchObject({
          code: 'QR_NOT_YET_AVAILABLE',
          opens_at: qrAt.toISOString(),
        });
      });
    }

    // from 5 hours before (the instant itself) and after kick-off: the full ticket
    for (const at of [qrAt, kickOff, new Date(kickOff.getTime() + 3 * HOUR)]) {
      await withClockAt(t, at, async () => {
        const res = await getTicket(fan, ticket.id);
        expect(res.json()).toMatchObject({
          seat: { seat_number: 1 },
          barcode: ticket.barcode,
          qr_code_data: ticket.qr_code_data,
          visibility: visibility('FULL'),
        });
        expectSignedTicket(t, res.json(), sale.matchId);
        expect(await myTickets(fan)).toEqual([res.json()]);
        const png = await getQr(fan, ticket.id);
        expect(png.statusCode).toBe(200);
        expect(png.headers['content-type']).toBe('image/png');
        const image = PNG.sync.read(png.rawPayload);
        const decoded = jsQR(new Uint8ClampedArray(image.data), image.width, image.height);
        expect(decoded?.data).toBe(ticket.qr_code_data);
      });
    }
  });

  it('never shows the code of a ticket that no longer admits, and hides nothing of another fan but 404', async () => {
    const { fan, kickOff, ticket } = await boughtTicket();
    const other = await createFan(t.deps);
    // no code path cancels tickets yet (issue 19 cancellation): the row is set directly
    await t.deps.db
      .updateTable('tickets')
      .set({ status: 'CANCELLED' })
      .where('id', '=', ticket.id)
      .execute();
    await withClockAt(t, new Date(kickOff.getTime() - HOUR), async () => {
      const res = await getTicket(fan, ticket.id);
      expect(res.json()).toMatchObject({
        status: 'CANCELLED',
        seat: { seat_number: 1 },
        barcode: null,
        qr_code_data: null,
        visibility: { tier: 'FULL' },
      });
      const qr = await getQr(fan, ticket.id);
      expect(qr.statusCode).toBe(409);
      expect(qr.json().code).toBe('TICKET_NOT_VALID');
      // another fan's ticket is a plain 404, QR included, whatever the tier
      expect((await getTicket(other, ticket.id)).statusCode).toBe(404);
      expect((await getQr(other, ticket.id)).json().code).toBe('NOT_FOUND');
    });
    expect((await getQr(other, ticket.id)).json().code).toBe('NOT_FOUND');
  });

  it('tells each owner once, by push, when the QR opens; later buyers and kicked-off matches are only marked', async () => {
    // before the other tests' matches (30 days), and within the sale phase (10 days)
    const kickOff = new Date(t.clock.now().getTime() + 9 * DAY);
    const qrAt = new Date(kickOff.getTime() - 5 * HOUR);
    const first = await boughtTicket({ kickOff, quantity: 2 });
    const sale = first.sale;
    const others = [];
    for (let i = 0; i < 6; i++) others.push(await boughtTicket({ sale }));
    // one of the first buyer's tickets moves to a friend: the friend is told for it
    const friend = await createFan(t.deps);
    const [moved] = await t.deps.db
      .selectFrom('tickets')
      .select('id')
      .where('order_id', '=', first.order.id)
      .orderBy('id')
      .execute();
    const transfer = await t.request({
      method: 'POST',
      url: `/tickets/${moved!.id}/transfer`,
      token: first.fan.token,
      payload: {
        full_name: 'Petra Perić',
        oib: friend.oib,
        email: friend.email,
        date_of_birth: '1992-02-02',
        nationality: 'HR',
      },
    });
    expect(transfer.statusCode).toBe(200);
    // a later match is not due
    const later = await boughtTicket({ kickOff: new Date(kickOff.getTime() + 7 * DAY) });
    const pushes = () => pushJobs(t.deps, 'ticket_qr_ready', sale.matchId);

    // 1 ms before the QR opens: nothing is due
    await withClockAt(t, new Date(qrAt.getTime() - 1), async () => {
      expect(await runQrReadyNotices(t.deps)).toEqual({ tickets: 0, pushes: 0 });
    });
    expect(await pushes()).toEqual([]);

    // at the instant, four runs at once (workers racing): every owner told exactly once
    await withClockAt(t, qrAt, async () => {
      const runs = await Promise.all([1, 2, 3, 4].map(() => runQrReadyNotices(t.deps)));
      expect(runs.reduce((n, r) => n + r.tickets, 0)).toBe(8);
      expect(runs.reduce((n, r) => n + r.pushes, 0)).toBe(8);
      expect(await runQrReadyNotices(t.deps)).toEqual({ tickets: 0, pushes: 0 });
    });
    const told = await pushes();
    const owners = [first.fan, friend, ...others.map((x) => x.fan)].map((f) => f.id);
    expect(told.map((p) => p.user_id).sort()).toEqual(owners.sort());
    expect(told.find((p) => p.user_id === first.fan.id)).toMatchObject({
      title: 'Your QR code is ready',
      body: expect.stringMatching(/, kick-off \d{2}:\d{2}: show it at the gate$/),
      data: { match_id: sale.matchId, deeplink: `hns://matches/${sale.matchId}/tickets` },
    });
    expect(await pushJobs(t.deps, 'ticket_qr_ready', later.sale.matchId)).toEqual([]);

    // bought after the QR opened (its purchase said so), or a match that kicked off unseen:
    // marked, nobody pushed
    await withClockAt(t, new Date(qrAt.getTime() + HOUR), async () => {
      const late = await boughtTicket({ sale });
      expect(await runQrReadyNotices(t.deps)).toEqual({ tickets: 1, pushes: 0 });
      expect(await pushJobs(t.deps, 'ticket_qr_ready', sale.matchId)).toHaveLength(8);
      expect(late.ticket.id).toBeTruthy();
    });
    await withClockAt(t, new Date(later.kickOff.getTime() + HOUR), async () => {
      expect(await runQrReadyNotices(t.deps)).toEqual({ tickets: 1, pushes: 0 });
    });
    expect(await pushJobs(t.deps, 'ticket_qr_ready', later.sale.matchId)).toEqual([]);
    const pending = await t.deps.db
      .selectFrom('tickets')
      .select('id')
      .where('qr_ready_notified_at', 'is', null)
      .where('match_id', 'in', [sale.matchId, later.sale.matchId])
      .execute();
    expect(pending).toEqual([]);
  });
});
