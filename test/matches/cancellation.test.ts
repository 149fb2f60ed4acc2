import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { auditMatchInvariants } from '../../src/modules/integrity/integrity.service.ts';
import { runMatchCancellation } from '../../src/modules/matches/cancellation.service.ts';
import { emailTemplatesSeed } from '../../src/modules/notifications/email-templates.ts';
import { inventoryOf, sellSeat } from '../factories/inventory.ts';
import { createLockedMatch } from '../factories/matches.ts';
import { createUser, freshToken, type TestUser } from '../factories/users.ts';
import {
  addToCart,
  checkoutToPayment,
  createFan,
  createSale,
  deliver,
  holdersFor,
  manualHolder,
  nameHolders,
  qrOpensAtOf,
  withClockAt,
} from '../sales/helpers.ts';
import { runRefundJobs, settleRefunds } from '../sales/refund-helpers.ts';
import {
  buy,
  type Paid,
  cancel,
  cancellationEmails,
  cancellationPushes,
  expectInvariants,
  report,
  systemRefunds,
  ticketStatusCounts,
} from './cancellation-helpers.ts';
import { useStripeTestContext } from '../sales/helpers.ts';

const { t, stripe } = await useStripeTestContext({ seeds: [emailTemplatesSeed] });

let superAdmin: TestUser;
let manager: TestUser;
beforeAll(async () => {
  superAdmin = await createUser(t.deps, { roles: ['SUPER_ADMIN'] });
  manager = await createUser(t.deps, { roles: ['MATCH_MANAGER'] });
});

const matchRow = (id: string) =>
  t.deps.db.selectFrom('matches').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

describe('who may cancel (E2-F7)', () => {
  it('a PUBLISHED or ACTIVE match needs a SUPER_ADMIN: a match manager gets 403, nothing changes', async () => {
    for (const status of ['PUBLISHED', 'ACTIVE'] as const) {
      const match = await createLockedMatch(t.deps, { status });
      const res = await cancel(t, manager, match.matchId);
      expect(res.statusCode).toBe(403);
      expect(res.json().code).toBe('FORBIDDEN');
      expect((await matchRow(match.matchId)).status).toBe(status);
      const support = await createUser(t.deps, { roles: ['SUPPORT_AGENT'] });
      expect((await cancel(t, support, match.matchId)).statusCode).toBe(403);
      const ok = await cancel(t, superAdmin, match.matchId, 'stadium unsafe');
      expect(ok.statusCode).toBe(200);
      expect(ok.json()).toMatchObject({
        status: 'CANCELLED',
        cancellation_reason: 'stadium unsafe',
      });
    }
  });

  it('a DRAFT match needs a match manager; a second cancellation is 409, a closed match 400', async () => {
    const draft = await createLockedMatch(t.deps, { status: 'DRAFT' });
    const res = await cancel(t, manager, draft.matchId, 'never mind');
    expect(res.statusCode).toBe(200);
    const row = await matchRow(draft.matchId);
    expect(row).toMatchObject({ status: 'CANCELLED', cancelled_by: manager.id });
    expect((await cancel(t, manager, draft.matchId)).json().code).toBe('MATCH_ALREADY_CANCELLED');
    const closed = await createLockedMatch(t.deps, { status: 'CLOSED' });
    expect((await cancel(t, superAdmin, closed.matchId)).json().code).toBe(
      'INVALID_STATUS_TRANSITION',
    );
    // the change log has its CANCEL entry
    const logs = await t.deps.db
      .selectFrom('match_audit_logs')
      .select('change_type')
      .where('match_id', '=', draft.matchId)
      .execute();
    expect(logs.map((l) => l.change_type)).toContain('CANCEL');
    // a DRAFT match has nothing to refund: the job finishes at once
    expect((await runMatchCancellation(t.deps, draft.matchId)).status).toBe('DONE');
  });
});

describe('cancelling a match on sale (E2-F7)', () => {
  it('releases carts, refuses cart and pay, refunds a late payment, then refunds every order in full once and tells everyone once', async () => {
    const sale = await createSale(t.deps, { rows: 2, seatsPerRow: 10 });
    const a = await buy(t, stripe, sale, 2);
    const b = await buy(t, stripe, sale, 1);
    const c = await buy(t, stripe, sale, 3);
    // an open cart, an order whose payment started, an order with holders named
    const carting = await createFan(t.deps);
    const cart = (await addToCart(t, carting, sale, 2)).json().cart;
    const paying = await createFan(t.deps);
    const started = await checkoutToPayment(t, paying, sale, 1);
    const naming = await createFan(t.deps);
    const namingCart = (await addToCart(t, naming, sale, 1)).json().cart;
    const pending = (await nameHolders(t, naming, namingCart.id, holdersFor(1))).json();

    const res = await cancel(t, superAdmin, sale.matchId, 'storm damage');
    expect(res.statusCode).toBe(200);

    // in the same transaction: carts released, open orders cancelled, holds gone
    const carts = await t.deps.db
      .selectFrom('carts')
      .select(['id', 'status'])
      .where('match_id', '=', sale.matchId)
      .where('id', 'in', [cart.id, namingCart.id])
      .execute();
    expect(carts.map((x) => x.status)).toEqual(['RELEASED', 'RELEASED']);
    const held = await t.deps.db
      .selectFrom('match_seat_inventory')
      .select('id')
      .where('match_id', '=', sale.matchId)
      .where('status', '=', 'RESERVED')
      .execute();
    expect(held).toEqual([]);
    const openOrders = await t.deps.db
      .selectFrom('orders')
      .select(['id', 'status', 'cancellation_reason'])
      .where('id', 'in', [started.order.id, pending.id])
      .execute();
    for (const o of openOrders) {
      expect(o).toMatchObject({ status: 'CANCELLED', cancellation_reason: 'MATCH_CANCELLED' });
    }

    // nothing more is sold: cart and pay refused with a stable code
    const late = await createFan(t.deps);
    const add = await addToCart(t, late, sale, 1);
    expect(add.statusCode).toBe(409);
    expect(add.json().code).toBe('MATCH_CANCELLED');
    const pay = await t.request({
      method: 'POST',
      url: '/checkout/pay',
      token: naming.token,
      payload: { order_id: pending.id },
    });
    expect(pay.statusCode).toBe(409);
    expect(pay.json().code).toBe('MATCH_CANCELLED');

    // the payment that started before succeeds afterwards: refunded, no ticket
    const hook = await deliver(t, stripe, stripe.succeed(started.payment.payment_intent_id));
    expect(hook.json().outcome).toBe('refund_requested');
    const lateOrder = await t.deps.db
      .selectFrom('orders')
      .select(['status', 'cancellation_reason'])
      .where('id', '=', started.order.id)
      .executeTakeFirstOrThrow();
    expect(lateOrder).toEqual({
      status: 'CANCELLED',
      cancellation_reason: 'PAID_AFTER_MATCH_CANCELLED',
    });
    const lateTickets = await t.deps.db
      .selectFrom('tickets')
      .select('id')
      .where('order_id', '=', started.order.id)
      .execute();
    expect(lateTickets).toEqual([]);
    const latePayment = await t.deps.db
      .selectFrom('payments')
      .select(['refund_requested_at', 'refund_reason'])
      .where('order_id', '=', started.order.id)
      .executeTakeFirstOrThrow();
    expect(latePayment.refund_reason).toBe('PAID_AFTER_MATCH_CANCELLED');
    expect(latePayment.refund_requested_at).not.toBeNull();

    // the report is there at once (job not run yet)
    const before = (await report(t, manager, sale.matchId)).json();
    expect(before).toMatchObject({
      status: 'RUNNING',
      reason: 'storm damage',
      cancelled_orders: 2,
    });
    expect(before.tickets).toMatchObject({ cancelled: 0, still_valid: 6 });

    // the job
    const run = await runMatchCancellation(t.deps, sale.matchId);
    expect(run).toMatchObject({ status: 'DONE', refunded: 3 });
    const refunds = await systemRefunds(t, sale.matchId);
    expect(refunds.map((r) => r.order_id).sort()).toEqual([a.orderId, b.orderId, c.orderId].sort());
    for (const r of refunds) {
      // in full, fee included
      expect(r.refund_amount).toBe(r.total_amount);
      expect(r.fee_retained).toBe(0);
    }
    expect(await ticketStatusCounts(t, sale.matchId)).toEqual({ CANCELLED_MATCH_CANCELLED: 6 });

    // the QR code no longer admits
    await withClockAt(t, await qrOpensAtOf(t, sale.matchId), async () => {
      const qr = await t.request({
        method: 'GET',
        url: `/tickets/${a.ticketIds[0]}/qr`,
        token: await freshToken(t.deps, a.fan),
      });
      expect(qr.statusCode).toBe(409);
      expect(qr.json().code).toBe('TICKET_NOT_VALID');
    });
    const seats = await t.deps.db
      .selectFrom('tickets as tk')
      .innerJoin('match_seat_inventory as i', 'i.id', 'tk.match_seat_inventory_id')
      .select('i.status')
      .where('tk.match_id', '=', sale.matchId)
      .execute();
    expect(new Set(seats.map((s) => s.status))).toEqual(new Set(['BLOCKED']));

    // everyone told once: the three buyers, and the named holders (one shared email)
    const emails = await cancellationEmails(t, sale.matchId);
    const expected = new Set([a.fan.email, b.fan.email, c.fan.email, manualHolder().email]);
    expect(new Set(emails.map((e) => e.recipient_email))).toEqual(expected);
    expect(emails.every((e) => e.n === 1)).toBe(true);
    const pushes = await cancellationPushes(t, sale.matchId);
    expect(pushes.map((p) => p.user_id).sort()).toEqual([a.fan.id, b.fan.id, c.fan.id].sort());
    expect(pushes.every((p) => p.n === 1)).toBe(true);

    // a second run (a redelivered job) changes nothing
    expect(await runMatchCancellation(t.deps, sale.matchId)).toMatchObject({
      status: 'DONE',
      refunded: 0,
      notified: 0,
    });
    expect(await systemRefunds(t, sale.matchId)).toHaveLength(3);
    expect(await cancellationEmails(t, sale.matchId)).toEqual(emails);

    // the money goes back at Stripe through the refunds' job, once per order
    await runRefundJobs(t);
    await settleRefunds(t, stripe);
    const settled = await systemRefunds(t, sale.matchId);
    expect(settled.every((r) => r.status === 'COMPLETED')).toBe(true);
    const stripeRefunds = stripe.refunds.filter((r) =>
      settled.some((s) => s.id === r.metadata?.refund_id),
    );
    expect(stripeRefunds).toHaveLength(3);

    // the report, JSON and CSV
    const json = (await report(t, manager, sale.matchId)).json();
    const total = a.totalAmount + b.totalAmount + c.totalAmount;
    expect(json).toMatchObject({
      status: 'DONE',
      tickets: { cancelled: 6, still_valid: 0 },
      refunds: {
        orders_total: 3,
        count: 3,
        amount: total,
        by_status: [{ status: 'COMPLETED', count: 3, amount: total }],
      },
      notifications: { people: 4, told: 4 },
    });
    expect(json.refunds.fee_amount).toBeGreaterThan(0);
    expect(json.notifications.emails.queued + json.notifications.emails.sent).toBe(4);
    for (const [query, accept] of [
      ['?format=csv', undefined],
      ['', 'text/csv'],
    ] as const) {
      const csv = await report(t, manager, sale.matchId, query, accept);
      expect(csv.statusCode).toBe(200);
      expect(csv.headers['content-type']).toMatch(/^text\/csv/);
      const rows = parse(csv.body, { columns: true }) as Array<Record<string, string>>;
      const line = (section: string, status: string) =>
        rows.find((r) => r.section === section && r.status === status);
      expect(line('tickets', 'CANCELLED_MATCH_CANCELLED')?.count).toBe('6');
      expect(line('refunds', 'COMPLETED')).toMatchObject({
        count: '3',
        amount_cents: String(total),
      });
      expect(line('notifications', 'TOLD')?.count).toBe('4');
    }
    // the report is for staff only
    expect((await report(t, a.fan, sale.matchId)).statusCode).toBe(403);

    await expectInvariants(t, sale.matchId);
  });

  it('the waiting room closes and its fans are told', async () => {
    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 4, queued: true });
    const fans = await Promise.all([createFan(t.deps), createFan(t.deps)]);
    for (const fan of fans) {
      const join = await t.request({
        method: 'POST',
        url: `/queue/${sale.matchId}/join`,
        token: fan.token,
      });
      expect([200, 201]).toContain(join.statusCode);
    }
    expect((await cancel(t, superAdmin, sale.matchId)).statusCode).toBe(200);
    const entries = await t.deps.db
      .selectFrom('queue_entries')
      .select('status')
      .where('match_id', '=', sale.matchId)
      .execute();
    expect(entries.map((e) => e.status)).toEqual(['LEFT', 'LEFT']);
    const settings = await t.deps.db
      .selectFrom('queue_settings')
      .select('enabled')
      .where('match_id', '=', sale.matchId)
      .executeTakeFirstOrThrow();
    expect(settings.enabled).toBe(false);
    const pushes = await t.deps.db
      .selectFrom('push_logs')
      .select('user_id')
      .where('notification_type', '=', 'queue_closed')
      .where(
        'user_id',
        'in',
        fans.map((f) => f.id),
      )
      .execute();
    expect(new Set(pushes.map((p) => p.user_id))).toEqual(new Set(fans.map((f) => f.id)));
    const again = await t.request({
      method: 'POST',
      url: `/queue/${sale.matchId}/join`,
      token: fans[0]!.token,
    });
    expect(again.statusCode).toBe(409);
    expect((await report(t, manager, sale.matchId)).json().queue_removed).toBe(2);
  });
});

describe('tickets nobody paid for, tickets given away (E2-F7)', () => {
  it('a free ticket (a 100 % quota claim) is cancelled with nothing to refund; a buyer who gave the ticket away is told too', async () => {
    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 4 });
    const paid = await buy(t, stripe, sale, 1);
    const buyer = await createFan(t.deps);
    const free = (await inventoryOf(t.deps.db, sale.zoneId)).find((i) => i.status === 'AVAILABLE')!;
    const { ticketId } = await sellSeat(t.deps.db, {
      matchId: sale.matchId,
      inventoryId: free.id,
      buyerId: buyer.id,
      holderEmail: 'guest@example.test',
    });
    // the paid ticket went to someone else (as a transfer leaves it): both are told
    const receiver = await createFan(t.deps);
    await t.deps.db
      .updateTable('tickets')
      .set({ owner_user_id: receiver.id })
      .where('id', '=', paid.ticketIds[0]!)
      .execute();
    await t.deps.db
      .updateTable('ticket_holders')
      .set({ email: receiver.email })
      .where('ticket_id', '=', paid.ticketIds[0]!)
      .execute();
    expect((await cancel(t, superAdmin, sale.matchId)).statusCode).toBe(200);
    expect((await runMatchCancellation(t.deps, sale.matchId)).status).toBe('DONE');
    expect(await ticketStatusCounts(t, sale.matchId)).toEqual({ CANCELLED_MATCH_CANCELLED: 2 });
    const pushed = (await cancellationPushes(t, sale.matchId)).map((p) => p.user_id);
    expect(pushed).toEqual(expect.arrayContaining([paid.fan.id, receiver.id]));
    expect((await systemRefunds(t, sale.matchId)).map((r) => r.order_id)).toEqual([paid.orderId]);
    const row = await t.deps.db
      .selectFrom('tickets')
      .select(['status', 'cancellation_reason'])
      .where('id', '=', ticketId)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({
      status: 'CANCELLED_MATCH_CANCELLED',
      cancellation_reason: 'MATCH_CANCELLED',
    });
    // its holder is told too
    const emails = await cancellationEmails(t, sale.matchId);
    expect(emails.map((e) => e.recipient_email)).toEqual(
      expect.arrayContaining(['guest@example.test', paid.fan.email, receiver.email]),
    );
    expect(emails.every((e) => e.n === 1)).toBe(true);
    // the factory's order is a bare one (an amount, no lines): only its own checks object
    const audit = await auditMatchInvariants(t.deps, sale.matchId);
    const bare = ['completed_order_without_payment', 'completed_order_without_its_tickets'];
    expect(audit.invariants.filter((i) => i.violations > 0 && !bare.includes(i.name))).toEqual([]);
  });
});

describe('the cancellation job is resumable (E2-F7)', () => {
  it('a run that dies mid-way is continued by the next: each order refunded once, each person told once', async () => {
    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 10 });
    const paid: Paid[] = [];
    for (let i = 0; i < 5; i++) paid.push(await buy(t, stripe, sale, 1));
    expect((await cancel(t, superAdmin, sale.matchId)).statusCode).toBe(200);

    let steps = 0;
    await expect(
      runMatchCancellation(t.deps, sale.matchId, {
        batchSize: 1,
        concurrency: 1,
        onBatch: (kind) => {
          if (kind === 'refunded' && ++steps === 2) throw new Error('worker killed');
        },
      }),
    ).rejects.toThrow('worker killed');
    expect(await systemRefunds(t, sale.matchId)).toHaveLength(2);
    const live = (await report(t, manager, sale.matchId)).json();
    expect(live).toMatchObject({
      status: 'RUNNING',
      refunds: { count: 2 },
      tickets: { cancelled: 2 },
    });

    // its lease still holds: another run leaves it alone until it lapses
    expect((await runMatchCancellation(t.deps, sale.matchId)).status).toBe('BUSY');
    t.clock.advance(31_000);
    // two runs at once: one works, the other finds it busy
    const runs = await Promise.all([
      runMatchCancellation(t.deps, sale.matchId),
      runMatchCancellation(t.deps, sale.matchId),
    ]);
    expect(runs.map((r) => r.status).sort()).toEqual(['BUSY', 'DONE']);
    const refunds = await systemRefunds(t, sale.matchId);
    expect(refunds.map((r) => r.order_id).sort()).toEqual(paid.map((p) => p.orderId).sort());
    const emails = await cancellationEmails(t, sale.matchId);
    expect(emails).toHaveLength(5);
    expect(emails.every((e) => e.n === 1)).toBe(true);
    await expectInvariants(t, sale.matchId);

    // audit-invariants names a ticket left valid and an order without its refund
    const other = refunds.find((r) => r.order_id !== paid[0]!.orderId)!;
    await t.deps.db
      .updateTable('tickets')
      .set({ status: 'SOLD' })
      .where('id', '=', paid[0]!.ticketIds[0]!)
      .execute();
    await t.deps.db.deleteFrom('refund_tickets').where('refund_id', '=', other.id).execute();
    await t.deps.db.deleteFrom('credit_note_requests').where('refund_id', '=', other.id).execute();
    await t.deps.db.deleteFrom('refunds').where('id', '=', other.id).execute();
    const audit = await auditMatchInvariants(t.deps, sale.matchId);
    const named = Object.fromEntries(audit.invariants.map((i) => [i.name, i.sample]));
    expect(named.cancelled_match_valid_ticket).toEqual([paid[0]!.ticketIds[0]]);
    expect(named.cancelled_match_order_not_refunded_once).toEqual([other.order_id]);
    expect(named.cancelled_match_ticket_without_system_refund).toHaveLength(1);
  });
});
