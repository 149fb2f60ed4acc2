import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import jsQRModule from 'jsqr';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { blacklistOib } from '../factories/blacklist.ts';
import { freshToken } from '../factories/users.ts';
import { tool } from '../harness/tools.ts';
import { paymentJobs } from '../../src/modules/payments/payments.jobs.ts';
import { runHoldSweep } from '../../src/modules/sales/sales.jobs.ts';
import {
  addSavedProfile,
  addToCart,
  checkoutToPayment,
  createFan,
  createSale,
  deliver,
  expectSignedTicket,
  holdersFor,
  jobsIn,
  manualHolder,
  MINUTE,
  nameHolders,
  useStripeTestContext,
  orderStatusOf,
  qrOpensAtOf,
  withClockAt,
} from './helpers.ts';

const { t, stripe } = await useStripeTestContext();

// jsqr is a CommonJS bundle: Node hands its module.exports (the function) to a default import.
const jsQR = jsQRModule as unknown as (typeof jsQRModule)['default'];

/** The emails queued for this address (the notifications outbox's email_logs rows). */
const emailsTo = (address: string) =>
  t.deps.db.selectFrom('email_logs').selectAll().where('recipient_email', '=', address).execute();

describe('purchase flow: listing → cart → holders → payment → tickets', () => {
  it('lists the match on sale with pre-sale and regular prices, and zones with the fan limit', async () => {
    const sale = await createSale(t.deps, {
      rows: 2,
      seatsPerRow: 10,
      price: 3000,
      presaleDiscountPercent: 10,
    });
    const list = await t.request({ method: 'GET', url: '/matches' });
    expect(list.statusCode).toBe(200);
    const listed = list.json().items.find((m: { id: string }) => m.id === sale.matchId);
    expect(listed).toMatchObject({
      sale_status: 'on_sale',
      is_presale: true,
      price_preview: { presale_from: 2700, regular_from: 3000 },
    });
    const fan = await createFan(t.deps);
    const zones = await t.request({
      method: 'GET',
      url: `/matches/${sale.matchId}/zones`,
      token: fan.token,
    });
    expect(zones.json().zones[0]).toMatchObject({
      id: sale.zoneId,
      available: 20,
      price: 2700,
      regular_price: 3000,
      max_quantity: 4,
    });

    // On the match day (Zagreb date) the full price applies.
    const kickOff = new Date(listed.kick_off_time);
    const saved = t.clock.now();
    t.clock.set(new Date(kickOff.getTime() - 2 * 3_600_000));
    try {
      const matchDay = await t.request({ method: 'GET', url: `/matches/${sale.matchId}/zones` });
      expect(matchDay.json()).toMatchObject({ is_presale: false, zones: [{ price: 3000 }] });
    } finally {
      t.clock.set(saved);
    }
  });

  it('sells adjacent seats, issues signed tickets once, and notifies the fan', async () => {
    const sale = await createSale(t.deps, { rows: 3, seatsPerRow: 10, price: 2500 });
    const fan = await createFan(t.deps);
    const friendOib = (await import('../../src/modules/identity/oib.ts')).generateOib();
    const friend = await addSavedProfile(t.deps, fan, {
      fullName: 'Marko Marić',
      dateOfBirth: '1988-08-08',
      oib: friendOib,
    });

    const add = await addToCart(t, fan, sale, 3);
    expect(add.statusCode).toBe(200);
    const { cart, warnings } = add.json();
    expect(warnings).toEqual([]);
    expect(cart.seats.map((s: { seat_number: number }) => s.seat_number)).toEqual([1, 2, 3]);
    expect(cart).toMatchObject({
      remaining_seconds: 1200,
      ticket_amount: 7500,
      fee_amount: 450,
      total_amount: 7950,
    });

    t.clock.advance(5 * MINUTE);
    const view = await t.request({ method: 'GET', url: '/cart', token: fan.token });
    expect(view.json().carts[0]).toMatchObject({ id: cart.id, remaining_seconds: 900 });

    // first holder locked to the buyer
    const locked = await nameHolders(t, fan, cart.id, [
      manualHolder(),
      manualHolder(),
      manualHolder(),
    ]);
    expect(locked.statusCode).toBe(400);
    expect(locked.json().code).toBe('HOLDER_LOCKED');
    const badOib = await t.request({
      method: 'POST',
      url: '/checkout/ticket-holders',
      token: fan.token,
      payload: {
        cart_id: cart.id,
        holders: [
          { source: 'DEFAULT_PROFILE' },
          { ...manualHolder(), oib: '12345678900' },
          manualHolder(),
        ],
      },
    });
    expect(badOib.json()).toMatchObject({
      code: 'OIB_INVALID',
      errors: [{ field: 'body.holders.1.oib' }],
    });

    const minor = { ...manualHolder('Mali Ivić', '2015-01-01'), email: 'kid@example.test' };
    const holders = await t.request({
      method: 'POST',
      url: '/checkout/ticket-holders',
      token: fan.token,
      payload: {
        cart_id: cart.id,
        holders: [
          { source: 'DEFAULT_PROFILE' },
          { source: 'SAVED_PROFILE', profile_id: friend },
          minor,
        ],
      },
    });
    expect(holders.statusCode).toBe(200);
    const order = holders.json();
    expect(order).toMatchObject({
      status: 'PENDING',
      total_amount: 7950,
      ticket_vat_amount: 357,
      fee_vat_amount: 90,
    });
    expect(order.items[2].holder).toMatchObject({ is_minor: true, email: fan.email });
    expect(order.items[1].holder.oib_masked).toBe(`*******${friendOib.slice(-4)}`);

    const pay = await t.request({
      method: 'POST',
      url: '/checkout/pay',
      token: fan.token,
      headers: { 'idempotency-key': `pay-${order.id}` },
      payload: { order_id: order.id },
    });
    expect(pay.statusCode).toBe(200);
    const payment = pay.json();
    expect(payment.client_secret).toMatch(/_secret_/);
    expect(stripe.paymentIntents.get(payment.payment_intent_id)?.amount).toBe(7950);
    // the hold now covers the payment window
    const hold = await t.deps.db
      .selectFrom('match_seat_inventory')
      .select(['hold_kind', 'hold_owner_id', 'held_until'])
      .where('hold_owner_id', '=', order.id)
      .execute();
    expect(hold).toHaveLength(3);
    expect(hold[0]!.held_until!.getTime()).toBe(t.clock.now().getTime() + 15 * MINUTE);

    const again = await t.request({
      method: 'POST',
      url: '/checkout/pay',
      token: fan.token,
      headers: { 'idempotency-key': `pay-${order.id}` },
      payload: { order_id: order.id },
    });
    expect(again.json().payment_intent_id).toBe(payment.payment_intent_id);
    expect(stripe.paymentIntents.size).toBeGreaterThanOrEqual(1);

    const other = await createFan(t.deps);
    const stolen = await t.request({
      method: 'POST',
      url: '/checkout/pay',
      token: other.token,
      payload: { order_id: order.id },
    });
    expect(stolen.statusCode).toBe(404);

    // a forged webhook is refused
    const event = stripe.succeed(payment.payment_intent_id);
    const forged = stripe.sign(event, { secret: 'whsec_forged' });
    const refused = await t.request({
      method: 'POST',
      url: '/webhooks/stripe',
      headers: forged.headers,
      payload: forged.payload,
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().code).toBe('WEBHOOK_SIGNATURE_INVALID');

    const ok = await deliver(t, stripe, event);
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ received: true, outcome: 'completed' });
    const dup = await deliver(t, stripe, event);
    expect(dup.json().outcome).toBe('duplicate');
    const secondEvent = await deliver(
      t,
      stripe,
      stripe.event('payment_intent.succeeded', payment.payment_intent_id),
    );
    expect(secondEvent.json().outcome).toBe('already_settled');
    const lateFailure = await deliver(
      t,
      stripe,
      stripe.event('payment_intent.payment_failed', payment.payment_intent_id),
    );
    expect(lateFailure.json().outcome).toBe('failure_after_success');

    const stored = await t.deps.db
      .selectFrom('orders')
      .selectAll()
      .where('id', '=', order.id)
      .executeTakeFirstOrThrow();
    expect(stored.status).toBe('COMPLETED');
    const seats = await t.deps.db
      .selectFrom('match_seat_inventory')
      .select('status')
      .where(
        'id',
        'in',
        order.items.map((i: { inventory_id: string }) => i.inventory_id),
      )
      .execute();
    expect(seats.every((s) => s.status === 'SOLD')).toBe(true);

    // Barcode and QR are shown from 5 hours before kick-off (E9-F2, test/tickets/visibility.test.ts).
    await withClockAt(t, await qrOpensAtOf(t, sale.matchId), async () => {
      // signed in again: the clock moved past the purchase's access tokens
      const fanToken = await freshToken(t.deps, fan);
      const otherToken = await freshToken(t.deps, other);
      const mine = await t.request({ method: 'GET', url: '/users/me/tickets', token: fanToken });
      const tickets = mine.json().items;
      expect(tickets).toHaveLength(3);
      for (const ticket of tickets) {
        expect(ticket.status).toBe('SOLD');
        expectSignedTicket(t, ticket, sale.matchId);
      }
      const holderRows = await t.deps.db
        .selectFrom('ticket_holders')
        .selectAll()
        .where(
          'ticket_id',
          'in',
          tickets.map((x: { id: string }) => x.id),
        )
        .execute();
      expect(holderRows).toHaveLength(3);
      expect(JSON.stringify(holderRows)).not.toContain(friendOib);

      expect(
        await t.request({ method: 'GET', url: `/tickets/${tickets[0].id}`, token: otherToken }),
      ).toMatchObject({ statusCode: 404 });
      const one = await t.request({
        method: 'GET',
        url: `/tickets/${tickets[0].id}`,
        token: fanToken,
      });
      expect(one.json().id).toBe(tickets[0].id);

      // the QR code decodes (jsQR and zbarimg) to the signed payload of the ticket
      const png = await t.request({
        method: 'GET',
        url: `/tickets/${tickets[0].id}/qr?format=png`,
        token: fanToken,
      });
      expect(png.headers['content-type']).toBe('image/png');
      const image = PNG.sync.read(png.rawPayload);
      const decoded = jsQR(new Uint8ClampedArray(image.data), image.width, image.height);
      expect(decoded?.data).toBe(tickets[0].qr_code_data);
      const zbarimg = tool('zbarimg'); // the cross-check runs where it is installed (always in CI)
      if (zbarimg) {
        const file = join(tmpdir(), `ticket-${tickets[0].id}.png`);
        await writeFile(file, png.rawPayload);
        const { stdout } = await promisify(execFile)(zbarimg, ['--raw', '-q', file]);
        expect(stdout.trim()).toBe(tickets[0].qr_code_data);
      }
      const svg = await t.request({
        method: 'GET',
        url: `/tickets/${tickets[0].id}/qr?format=svg`,
        token: fanToken,
      });
      expect(svg.headers['content-type']).toMatch(/^image\/svg\+xml/);
    });

    // The confirmation email and push are in the notifications outbox, due for delivery.
    const emails = await emailsTo(fan.email);
    expect(emails).toContainEqual(
      expect.objectContaining({
        template_key: 'order_confirmation',
        recipient_email: fan.email,
        status: 'QUEUED',
        next_attempt_at: expect.any(Date),
        variables_json: expect.objectContaining({
          order_number: stored.order_number,
          ticket_count: 3,
        }),
      }),
    );
    const pushes = await t.deps.db
      .selectFrom('push_logs')
      .selectAll()
      .where('user_id', '=', fan.id)
      .execute();
    expect(pushes).toContainEqual(
      expect.objectContaining({ user_id: fan.id, title: 'Your tickets are ready' }),
    );
  });

  it('keeps a failed payment retryable and completes on a later success', async () => {
    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 10 });
    const fan = await createFan(t.deps);
    const { order, payment } = await checkoutToPayment(t, fan, sale, 2);
    const failed = await deliver(t, stripe, stripe.fail(payment.payment_intent_id));
    expect(failed.json().outcome).toBe('payment_failed');
    expect(await orderStatusOf(t, order.id)).toBe('PAYMENT_FAILED');
    const retry = await t.request({
      method: 'POST',
      url: '/checkout/pay',
      token: fan.token,
      payload: { order_id: order.id },
    });
    expect(retry.json().payment_intent_id).toBe(payment.payment_intent_id);
    const success = await deliver(t, stripe, stripe.succeed(payment.payment_intent_id));
    expect(success.json().outcome).toBe('completed');
  });

  it('refunds a success that arrives after the hold expired and the seats were resold', async () => {
    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 2 });
    const late = await createFan(t.deps);
    const { order, payment } = await checkoutToPayment(t, late, sale, 2);
    t.clock.advance(21 * MINUTE);
    const next = await createFan(t.deps);
    const resold = await checkoutToPayment(t, next, sale, 2);
    expect(resold.cart.seats.map((s: { inventory_id: string }) => s.inventory_id).sort()).toEqual(
      order.items.map((i: { inventory_id: string }) => i.inventory_id).sort(),
    );

    const outcome = await deliver(t, stripe, stripe.succeed(payment.payment_intent_id));
    expect(outcome.json().outcome).toBe('refund_requested');
    const cancelled = await t.deps.db
      .selectFrom('orders')
      .select(['status', 'cancellation_reason'])
      .where('id', '=', order.id)
      .executeTakeFirstOrThrow();
    expect(cancelled).toEqual({ status: 'CANCELLED', cancellation_reason: 'SEATS_LOST' });
    const refundJobs = await jobsIn(t, 'payments.refund');
    expect(refundJobs).toHaveLength(1);
    expect(await emailsTo(late.email)).toContainEqual(
      expect.objectContaining({
        template_key: 'cancellation_refund_confirmation',
        recipient_email: late.email,
        next_attempt_at: expect.any(Date),
      }),
    );
    const refundJob = paymentJobs(t.deps)[0]!;
    await refundJob.handler(refundJobs[0] as never, {} as never);
    await refundJob.handler(refundJobs[0] as never, {} as never);
    expect(
      stripe.refunds.filter((r) => r.payment_intent === payment.payment_intent_id),
    ).toHaveLength(1);
    expect(await orderStatusOf(t, order.id)).toBe('REFUNDED');

    // the second fan's payment still completes normally
    expect(
      (await deliver(t, stripe, stripe.succeed(resold.payment.payment_intent_id))).json().outcome,
    ).toBe('completed');
  });

  it('completes a late success when the expired seats were not taken by anyone', async () => {
    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 4 });
    const fan = await createFan(t.deps);
    const { payment } = await checkoutToPayment(t, fan, sale, 2);
    t.clock.advance(30 * MINUTE);
    await runHoldSweep(t.deps);
    expect(
      (await deliver(t, stripe, stripe.succeed(payment.payment_intent_id))).json().outcome,
    ).toBe('completed');
  });

  it('makes expired holds available at once and the sweeper releases them', async () => {
    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 4 });
    const first = await createFan(t.deps);
    const second = await createFan(t.deps);
    const add = (fan: typeof first, quantity: number) =>
      t.request({
        method: 'POST',
        url: '/cart/add',
        token: fan.token,
        payload: { match_id: sale.matchId, match_sector_id: sale.zoneId, quantity },
      });
    expect((await add(first, 4)).statusCode).toBe(200);
    const none = await add(second, 1);
    expect(none.statusCode).toBe(409);
    expect(none.json()).toMatchObject({ code: 'SEATS_INSUFFICIENT', available: 0 });
    t.clock.advance(20 * MINUTE + 1000);
    // access tokens live 15 minutes: the fan logs in again
    second.token = await t.deps.tokens.sign({ userId: second.id, roles: ['FAN'] });
    expect((await add(second, 3)).statusCode).toBe(200);
    const swept = await runHoldSweep(t.deps);
    expect(swept.seats).toBe(1);
    const carts = await t.deps.db
      .selectFrom('carts')
      .select(['user_id', 'status'])
      .where('match_id', '=', sale.matchId)
      .execute();
    expect(carts).toContainEqual({ user_id: first.id, status: 'EXPIRED' });
    const cleared = await t.request({ method: 'DELETE', url: '/cart', token: second.token });
    expect(cleared.json()).toEqual({ released_seats: 3 });
    const zones = await t.request({ method: 'GET', url: `/matches/${sale.matchId}/zones` });
    expect(zones.json().zones[0].available).toBe(4);
  });

  it('blocks a blacklisted holder with the MUP message and logs the attempt', async () => {
    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 6 });
    const fan = await createFan(t.deps);
    const banned = manualHolder('Zabranjeni Navijač');
    const blacklistId = await blacklistOib(t, banned.oib);
    const add = await addToCart(t, fan, sale, 2);
    const res = await t.request({
      method: 'POST',
      url: '/checkout/ticket-holders',
      token: fan.token,
      headers: { 'user-agent': 'HNS-App/1.0 (test)' },
      payload: { cart_id: add.json().cart.id, holders: [{ source: 'DEFAULT_PROFILE' }, banned] },
    });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: 'BLACKLISTED', holder_positions: [2] });
    expect(res.json().message_hr).toContain('MUP');
    expect(res.json().message_en).toContain('Ministry of the Interior');
    const logs = await t.deps.db
      .selectFrom('violation_logs')
      .selectAll()
      .where('match_id', '=', sale.matchId)
      .execute();
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({
      user_id: fan.id,
      blacklist_id: blacklistId,
      user_agent: 'HNS-App/1.0 (test)',
      action_type: 'PURCHASE_ATTEMPT',
    });
    expect(logs[0]!.ip_address).toBeTruthy();
    const orders = await t.deps.db
      .selectFrom('orders')
      .select('id')
      .where('match_id', '=', sale.matchId)
      .execute();
    expect(orders).toHaveLength(0);
  });

  it('holds the limit of 4 per fan and match across orders, phases and concurrent requests', async () => {
    const sale = await createSale(t.deps, { rows: 4, seatsPerRow: 10 });
    const fan = await createFan(t.deps);
    const { payment } = await checkoutToPayment(t, fan, sale, 3);
    await deliver(t, stripe, stripe.succeed(payment.payment_intent_id));

    // a later phase of the same match: the 3 tickets still count
    await t.deps.db
      .updateTable('sales_phases')
      .set({ end_at: new Date(t.clock.now().getTime() + 60_000) })
      .where('id', '=', sale.phaseId)
      .execute();
    t.clock.advance(2 * MINUTE);
    await t.deps.db
      .insertInto('sales_phases')
      .values({
        match_id: sale.matchId,
        phase_type: 'GENERAL_PUBLIC',
        name: 'Second wave',
        start_at: t.clock.now(),
        end_at: new Date(t.clock.now().getTime() + 86_400_000),
      })
      .execute();
    const add = (quantity: number, token = fan.token) =>
      t.request({
        method: 'POST',
        url: '/cart/add',
        token,
        payload: { match_id: sale.matchId, match_sector_id: sale.zoneId, quantity },
      });
    const zones = await t.request({
      method: 'GET',
      url: `/matches/${sale.matchId}/zones`,
      token: fan.token,
    });
    expect(zones.json().zones[0].max_quantity).toBe(1);
    const tooMany = await add(2);
    expect(tooMany.statusCode).toBe(409);
    expect(tooMany.json()).toMatchObject({ code: 'PURCHASE_LIMIT_EXCEEDED', remaining: 1 });
    expect((await add(1)).statusCode).toBe(200);
    expect((await add(1)).json().code).toBe('PURCHASE_LIMIT_EXCEEDED');

    // six concurrent single-seat additions of a new fan: exactly four succeed
    const racer = await createFan(t.deps);
    const results = await Promise.all(Array.from({ length: 6 }, () => add(1, racer.token)));
    expect(results.filter((r) => r.statusCode === 200)).toHaveLength(4);
    expect(results.filter((r) => r.json().code === 'PURCHASE_LIMIT_EXCEEDED')).toHaveLength(2);
    const cart = await t.request({ method: 'GET', url: '/cart', token: racer.token });
    expect(cart.json().carts[0].seats).toHaveLength(4);
  });

  it('requires queue admission for a queued sale and starts the cart clock at the window start', async () => {
    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 10, queued: true });
    const fan = await createFan(t.deps);
    const add = () =>
      t.request({
        method: 'POST',
        url: '/cart/add',
        token: fan.token,
        payload: { match_id: sale.matchId, match_sector_id: sale.zoneId, quantity: 2 },
      });
    const refused = await add();
    expect(refused.statusCode).toBe(403);
    expect(refused.json().code).toBe('QUEUE_ADMISSION_REQUIRED');
    const now = t.clock.now();
    const started = new Date(now.getTime() - 5 * MINUTE);
    await t.deps.db
      .insertInto('queue_entries')
      .values({
        user_id: fan.id,
        match_id: sale.matchId,
        position: 1,
        status: 'ACTIVE',
        joined_at: started,
        window_started_at: started,
        window_expires_at: new Date(started.getTime() + 20 * MINUTE),
        last_heartbeat: now,
        grace_period_expires_at: new Date(now.getTime() + MINUTE),
      })
      .execute();
    const ok = await add();
    expect(ok.statusCode).toBe(200);
    expect(ok.json().cart.remaining_seconds).toBe(15 * 60);
    const { order } = await (async () => {
      const holders = await nameHolders(t, fan, ok.json().cart.id, holdersFor(2));
      return { order: holders.json() };
    })();
    const pay = await t.request({
      method: 'POST',
      url: '/checkout/pay',
      token: fan.token,
      payload: { order_id: order.id },
    });
    expect(
      (await deliver(t, stripe, stripe.succeed(pay.json().payment_intent_id))).json().outcome,
    ).toBe('completed');
    const entry = await t.deps.db
      .selectFrom('queue_entries')
      .select('status')
      .where('user_id', '=', fan.id)
      .executeTakeFirstOrThrow();
    expect(entry.status).toBe('COMPLETED');
    const stored = await t.deps.db
      .selectFrom('orders')
      .select('queue_entry_id')
      .where('id', '=', order.id)
      .executeTakeFirstOrThrow();
    expect(stored.queue_entry_id).toBeTruthy();
  });

  it('guards payment start: idempotency keys, changed carts, unsigned and unknown webhooks', async () => {
    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 10 });
    const fan = await createFan(t.deps);
    const first = await checkoutToPayment(t, fan, sale, 1);
    const add = await addToCart(t, fan, sale, 1);
    const holders = await nameHolders(t, fan, add.json().cart.id, holdersFor(1));
    const order = holders.json();
    // the key of the first payment cannot start another order's payment
    const firstKey = 'key-of-the-first-order';
    await t.deps.db
      .updateTable('orders')
      .set({ idempotency_key: firstKey })
      .where('id', '=', first.order.id)
      .execute();
    const reused = await t.request({
      method: 'POST',
      url: '/checkout/pay',
      token: fan.token,
      headers: { 'idempotency-key': firstKey },
      payload: { order_id: order.id },
    });
    expect(reused.statusCode).toBe(422);
    expect(reused.json().code).toBe('IDEMPOTENCY_KEY_REUSED');

    // a seat added after naming the holders needs a holder before paying
    await addToCart(t, fan, sale, 1);
    const changed = await t.request({
      method: 'POST',
      url: '/checkout/pay',
      token: fan.token,
      payload: { order_id: order.id },
    });
    expect(changed.json().code).toBe('HOLDERS_MISMATCH');

    const unsigned = await t.request({
      method: 'POST',
      url: '/webhooks/stripe',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(
        stripe.event('payment_intent.succeeded', first.payment.payment_intent_id),
      ),
    });
    expect(unsigned.statusCode).toBe(400);
    expect(unsigned.json().code).toBe('WEBHOOK_SIGNATURE_INVALID');
    const other = await deliver(t, stripe, {
      ...stripe.event('payment_intent.succeeded', first.payment.payment_intent_id),
      type: 'charge.refunded',
    } as never);
    expect(other.json().outcome).toBe('ignored');
    expect(await orderStatusOf(t, first.order.id)).toBe('PAYMENT_PENDING');
  });
});
