import jsQRModule from 'jsqr';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { freshToken } from '../factories/users.ts';
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
const jsQR = jsQRModule as unknown as typeof import('jsqr').default;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** A fan with one paid ticket of a match kicking off in 30 days. */
async function boughtTicket() {
  const kickOff = new Date(t.clock.now().getTime() + 30 * DAY);
  const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 6, kickOff });
  const fan = await createFan(t.deps);
  const { order, payment } = await checkoutToPayment(t, fan, sale, 1);
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
});
