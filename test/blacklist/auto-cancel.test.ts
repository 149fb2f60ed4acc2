import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { auditMatchInvariants } from '../../src/modules/integrity/integrity.service.ts';
import { generateOib } from '../../src/modules/identity/oib.ts';
import { getPiiCipher } from '../../src/platform/crypto.ts';
import { createUser } from '../factories/users.ts';
import {
  checkoutToPayment,
  createFan,
  createSale,
  deliver,
  manualHolder,
  useStripeTestContext,
  type Fan,
  type SaleFixture,
} from '../sales/helpers.ts';
import { csvOf } from './helpers.ts';

const { t, stripe } = await useStripeTestContext();

/** A paid order: its id and its ticket ids in position order. */
async function buy(fan: Fan, sale: SaleFixture, holders: unknown[]) {
  const { order, payment } = await checkoutToPayment(t, fan, sale, holders.length, holders);
  const paid = await deliver(t, stripe, stripe.succeed(payment.payment_intent_id));
  expect(paid.statusCode).toBe(200);
  const tickets = await t.deps.db
    .selectFrom('tickets as tk')
    .innerJoin('order_items as i', (j) =>
      j
        .onRef('i.order_id', '=', 'tk.order_id')
        .onRef('i.match_seat_inventory_id', '=', 'tk.match_seat_inventory_id'),
    )
    .select(['tk.id'])
    .where('tk.order_id', '=', order.id)
    .orderBy('i.position')
    .execute();
  return { orderId: order.id as string, ticketIds: tickets.map((x) => x.id) };
}

const asHolder = (person: Fan, name = 'Zabranjeni Navijač') => ({
  ...manualHolder(name),
  oib: person.oib,
  email: person.email,
});

async function ticketsOf(ids: string[]) {
  return t.deps.db
    .selectFrom('tickets as tk')
    .innerJoin('match_seat_inventory as s', 's.id', 'tk.match_seat_inventory_id')
    .select(['tk.id', 'tk.status', 'tk.cancellation_reason', 'tk.cancelled_by', 's.status as seat'])
    .where('tk.id', 'in', ids)
    .execute();
}

const supervisor = () => createUser(t.deps, { roles: ['SUPPORT_SUPERVISOR'] });

describe('auto-cancel on blacklist entry (E11-F4)', () => {
  it('lists the tickets on entry, then on confirmation cancels whole orders of the buyer and the holder’s own ticket, without refund', async () => {
    const [saleA, saleB] = [await createSale(t.deps), await createSale(t.deps)];
    const banned = await createFan(t.deps);
    const friend = await createFan(t.deps);
    const bystander = await createFan(t.deps);
    // banned buys two (themselves and Ana), friend buys two (themselves and banned)
    const a = await buy(banned, saleA, [{ source: 'DEFAULT_PROFILE' }, manualHolder('Ana Anić')]);
    const b = await buy(friend, saleB, [{ source: 'DEFAULT_PROFILE' }, asHolder(banned)]);
    const c = await buy(bystander, saleA, [{ source: 'DEFAULT_PROFILE' }]);
    const sup = await supervisor();
    const agent = await createUser(t.deps, { roles: ['SUPPORT_AGENT'] });

    // Query runs, warning displayed with the ticket details: nothing cancelled yet
    const created = await t.request({
      method: 'POST',
      url: '/admin/blacklist',
      token: sup.token,
      payload: { oib: banned.oib, first_name: 'Zabranjeni', last_name: 'Navijač' },
    });
    expect(created.statusCode).toBe(201);
    const entry = created.json();
    expect(entry.affected.ticket_count).toBe(3);
    expect(entry.affected.confirm).toBe(`/admin/blacklist/${entry.id}/cancel-tickets`);
    expect(
      entry.affected.tickets
        .map((x: { ticket_id: string; role: string }) => [x.ticket_id, x.role])
        .sort(),
    ).toEqual(
      [
        [a.ticketIds[0], 'BUYER'],
        [a.ticketIds[1], 'BUYER'],
        [b.ticketIds[1], 'HOLDER'],
      ].sort(),
    );
    expect(entry.affected.tickets[0]).toMatchObject({ match_name: expect.any(String) });
    expect(created.body).not.toContain(banned.oib);
    expect(
      (await ticketsOf([...a.ticketIds, ...b.ticketIds])).every((x) => x.status === 'SOLD'),
    ).toBe(true);

    const preview = await t.request({
      method: 'GET',
      url: `/admin/blacklist/${entry.id}/tickets`,
      token: agent.token,
    });
    expect(preview.statusCode).toBe(200);
    expect(preview.json().ticket_count).toBe(3);

    // Only a supervisor (or super admin) confirms
    const confirmAs = (token: string, id = entry.id) =>
      t.request({ method: 'POST', url: `/admin/blacklist/${id}/cancel-tickets`, token });
    expect((await confirmAs(agent.token)).statusCode).toBe(403);
    expect((await confirmAs(banned.token)).statusCode).toBe(403);
    const unknown = await confirmAs(sup.token, crypto.randomUUID());
    expect([unknown.statusCode, unknown.json().code]).toEqual([404, 'NOT_FOUND']);
    const badId = await confirmAs(sup.token, 'nope');
    expect([badId.statusCode, badId.json().code]).toEqual([400, 'VALIDATION_FAILED']);

    const confirmed = await confirmAs(sup.token);
    expect(confirmed.statusCode).toBe(200);
    expect(confirmed.json()).toMatchObject({ refunds_created: 0 });
    expect(confirmed.json().cancelled_ticket_ids.sort()).toEqual(
      [a.ticketIds[0], a.ticketIds[1], b.ticketIds[1]].sort(),
    );

    // Correct scope cancelled: buyer = whole order, holder = single ticket
    const rows = new Map(
      (await ticketsOf([...a.ticketIds, ...b.ticketIds, ...c.ticketIds])).map((r) => [r.id, r]),
    );
    for (const id of a.ticketIds) {
      expect(rows.get(id)).toMatchObject({
        status: 'CANCELLED_BLACKLIST',
        cancellation_reason: 'BLACKLIST_BUYER',
        cancelled_by: sup.id,
        seat: 'AVAILABLE',
      });
    }
    expect(rows.get(b.ticketIds[1]!)).toMatchObject({
      status: 'CANCELLED_BLACKLIST',
      cancellation_reason: 'BLACKLIST_HOLDER',
      seat: 'AVAILABLE',
    });
    expect(rows.get(b.ticketIds[0]!)).toMatchObject({ status: 'SOLD', seat: 'SOLD' });
    expect(rows.get(c.ticketIds[0]!)).toMatchObject({ status: 'SOLD', seat: 'SOLD' });

    // No refund created; the orders stay paid
    const refunds = await t.deps.db
      .selectFrom('refunds')
      .select('id')
      .where('order_id', 'in', [a.orderId, b.orderId])
      .execute();
    expect(refunds).toEqual([]);
    const payments = await t.deps.db
      .selectFrom('payments')
      .select(['refund_requested_at'])
      .where('order_id', 'in', [a.orderId, b.orderId])
      .execute();
    expect(payments.every((p) => p.refund_requested_at === null)).toBe(true);
    const orders = await t.deps.db
      .selectFrom('orders')
      .select(['id', 'status'])
      .where('id', 'in', [a.orderId, b.orderId])
      .execute();
    expect(orders.every((o) => o.status === 'COMPLETED')).toBe(true);

    // Buyer and holders told (outbox rows in the same transaction)
    const emails = await t.deps.db
      .selectFrom('email_logs')
      .select(['recipient_email'])
      .where('template_key', '=', 'tickets_cancelled_blacklist')
      .execute();
    expect(emails.map((e) => e.recipient_email).sort()).toEqual(
      [banned.email, 'ana@example.test', friend.email, banned.email].sort(),
    );
    const pushes = await t.deps.db
      .selectFrom('push_logs')
      .select(['user_id'])
      .where('notification_type', '=', 'ticket_cancelled')
      .execute();
    expect(pushes.map((p) => p.user_id).sort()).toEqual([banned.id, friend.id].sort());

    // Everything audited, OIB masked
    const trail = await t.deps.db
      .selectFrom('blacklist_audit_logs')
      .select(['action', 'changes_json'])
      .where('blacklist_id', '=', entry.id)
      .orderBy('created_at')
      .execute();
    expect(trail.map((x) => x.action)).toEqual(['CREATE', 'UPDATE']);
    expect(
      (trail[1]!.changes_json as { tickets_cancelled: string[] }).tickets_cancelled,
    ).toHaveLength(3);
    const { rows: events } = await sql<{ action: string; subject: string }>`
      SELECT event->>'action' AS action, event->'subject'->>'id' AS subject FROM audit_outbox
       WHERE event->>'action' IN ('tickets_cancelled_blacklist', 'blacklist_tickets_cancelled')`.execute(
      t.deps.db,
    );
    expect(events.map((e) => `${e.action}:${e.subject}`).sort()).toEqual(
      [
        `tickets_cancelled_blacklist:${a.orderId}`,
        `tickets_cancelled_blacklist:${b.orderId}`,
        `blacklist_tickets_cancelled:${entry.id}`,
      ].sort(),
    );
    const { rows: dump } = await sql<{ d: string }>`
      SELECT string_agg(event::text, '') AS d FROM audit_outbox`.execute(t.deps.db);
    expect(dump[0]!.d).not.toContain(banned.oib);

    // After: nothing left to confirm; a second confirmation changes nothing
    const after = await t.request({
      method: 'GET',
      url: `/admin/blacklist/${entry.id}/tickets`,
      token: agent.token,
    });
    expect(after.json()).toMatchObject({ ticket_count: 0, confirm: null });
    expect(after.json().tickets_cancelled_at).not.toBeNull();
    expect((await confirmAs(sup.token)).json().cancelled_ticket_ids).toEqual([]);

    // The invariant holds on both matches
    for (const sale of [saleA, saleB]) {
      const report = await auditMatchInvariants(t.deps, sale.matchId);
      expect(report.invariants.filter((i) => i.violations > 0)).toEqual([]);
    }

    // A lifted ban has nothing to confirm
    await t.request({
      method: 'POST',
      url: `/admin/blacklist/${entry.id}/remove`,
      token: sup.token,
      payload: { reason: 'Court decision overturned' },
    });
    const lifted = await confirmAs(sup.token);
    expect([lifted.statusCode, lifted.json().code]).toEqual([409, 'BLACKLIST_ENTRY_NOT_ACTIVE']);
  });

  it('the invariant names a valid ticket left to a person whose cancellation was confirmed', async () => {
    const sale = await createSale(t.deps);
    const banned = await createFan(t.deps);
    const sup = await supervisor();
    const created = await t.request({
      method: 'POST',
      url: '/admin/blacklist',
      token: sup.token,
      payload: { oib: banned.oib, first_name: 'A', last_name: 'B' },
    });
    await t.request({
      method: 'POST',
      url: `/admin/blacklist/${created.json().id}/cancel-tickets`,
      token: sup.token,
    });
    // A ticket written behind the application's back (no checks): the auditor finds it.
    const { issueTickets } = await import('../factories/tickets.ts');
    const [ticket] = await issueTickets(t.deps, {
      matchId: sale.matchId,
      buyerId: (await createUser(t.deps)).id,
      holderOibs: [banned.oib],
    });
    const report = await auditMatchInvariants(t.deps, sale.matchId);
    expect(
      report.invariants.find((i) => i.name === 'blacklisted_person_with_valid_ticket'),
    ).toMatchObject({ violations: 1, sample: [ticket!.id] });
  });

  it('cancels an open order naming the person; its late payment is refunded, never completed', async () => {
    const sale = await createSale(t.deps);
    const buyer = await createFan(t.deps);
    const banned = await createFan(t.deps);
    const { order, payment } = await checkoutToPayment(t, buyer, sale, 2, [
      { source: 'DEFAULT_PROFILE' },
      asHolder(banned),
    ]);
    const sup = await supervisor();
    const created = await t.request({
      method: 'POST',
      url: '/admin/blacklist',
      token: sup.token,
      payload: { oib: banned.oib, first_name: 'A', last_name: 'B' },
    });
    expect(created.json().affected).toMatchObject({
      ticket_count: 0,
      open_orders: [{ order_id: order.id, role: 'HOLDER', status: 'PAYMENT_PENDING' }],
    });
    const confirmed = await t.request({
      method: 'POST',
      url: `/admin/blacklist/${created.json().id}/cancel-tickets`,
      token: sup.token,
    });
    expect(confirmed.json().cancelled_order_ids).toEqual([order.id]);
    const cancelled = await t.deps.db
      .selectFrom('orders')
      .select(['status', 'cancellation_reason'])
      .where('id', '=', order.id)
      .executeTakeFirstOrThrow();
    expect(cancelled).toEqual({ status: 'CANCELLED', cancellation_reason: 'ORDER_BLACKLISTED' });
    const held = await t.deps.db
      .selectFrom('match_seat_inventory')
      .select('status')
      .where('hold_owner_id', '=', order.id)
      .execute();
    expect(held).toEqual([]);

    const paid = await deliver(t, stripe, stripe.succeed(payment.payment_intent_id));
    expect(paid.statusCode).toBe(200);
    const tickets = await t.deps.db
      .selectFrom('tickets')
      .select('id')
      .where('order_id', '=', order.id)
      .execute();
    expect(tickets).toEqual([]);
    const after = await t.deps.db
      .selectFrom('orders')
      .innerJoin('payments', 'payments.order_id', 'orders.id')
      .select(['orders.status', 'payments.refund_requested_at'])
      .where('orders.id', '=', order.id)
      .executeTakeFirstOrThrow();
    expect(after.status).toBe('CANCELLED');
    expect(after.refund_requested_at).not.toBeNull();
  });

  it('an import shows one combined list and one confirmation cancels them all', async () => {
    const sale = await createSale(t.deps);
    const [p1, p2] = [await createFan(t.deps), await createFan(t.deps)];
    const friend = await createFan(t.deps);
    const one = await buy(p1, sale, [{ source: 'DEFAULT_PROFILE' }]);
    const two = await buy(friend, sale, [{ source: 'DEFAULT_PROFILE' }, asHolder(p2)]);
    const sup = await supervisor();
    const res = await t.request({
      method: 'POST',
      url: '/admin/blacklist/import',
      headers: { 'content-type': 'text/csv' },
      payload: csvOf([
        [p1.oib, 'Prvi', 'Zabranjeni'],
        [p2.oib, 'Drugi', 'Zabranjeni'],
        [generateOib(), 'Treći', 'Bezkarata'],
      ]),
      token: sup.token,
    });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body.affected.ticket_count).toBe(2);
    expect(body.affected.confirm).toBe(`/admin/blacklist/imports/${body.batch_id}/cancel-tickets`);
    const agent = await createUser(t.deps, { roles: ['SUPPORT_AGENT'] });
    const url = `/admin/blacklist/imports/${body.batch_id}/cancel-tickets`;
    expect((await t.request({ method: 'POST', url, token: agent.token })).statusCode).toBe(403);
    const confirmed = await t.request({ method: 'POST', url, token: sup.token });
    expect(confirmed.statusCode).toBe(200);
    expect(confirmed.json().cancelled_ticket_ids.sort()).toEqual(
      [one.ticketIds[0], two.ticketIds[1]].sort(),
    );
    const statuses = await ticketsOf([...one.ticketIds, ...two.ticketIds]);
    expect(statuses.filter((s) => s.status === 'SOLD').map((s) => s.id)).toEqual([
      two.ticketIds[0],
    ]);
    const batch = await t.deps.db
      .selectFrom('blacklist_import_batches')
      .select(['tickets_cancelled_at', 'tickets_cancelled_by'])
      .where('id', '=', body.batch_id)
      .executeTakeFirstOrThrow();
    expect(batch.tickets_cancelled_by).toBe(sup.id);
    const report = await t.request({
      method: 'GET',
      url: `/admin/blacklist/imports/${body.batch_id}`,
      token: agent.token,
    });
    expect(report.json().affected).toMatchObject({ ticket_count: 0, confirm: null });
    const missing = await t.request({
      method: 'POST',
      url: `/admin/blacklist/imports/${crypto.randomUUID()}/cancel-tickets`,
      token: sup.token,
    });
    expect(missing.statusCode).toBe(404);
  });

  it('a confirmation racing transfers and purchases naming the person leaves them no valid ticket', async () => {
    const sup = await supervisor();
    const pii = getPiiCipher(t.deps.config);
    for (let round = 0; round < 3; round += 1) {
      const banned = await createFan(t.deps);
      const sales = [await createSale(t.deps), await createSale(t.deps), await createSale(t.deps)];
      // Holders of a ticket each (one per match) who hand it to the person…
      const owners = await Promise.all(sales.map(() => createFan(t.deps)));
      const owned = [];
      for (let i = 0; i < sales.length; i += 1) {
        owned.push(
          (await buy(owners[i]!, sales[i]!, [{ source: 'DEFAULT_PROFILE' }])).ticketIds[0]!,
        );
      }
      // …and buyers with a cart naming them (another seat of the same matches).
      const buyers = await Promise.all(sales.map(() => createFan(t.deps)));
      const carts = await Promise.all(
        sales.map((sale, i) =>
          t.request({
            method: 'POST',
            url: '/cart/add',
            token: buyers[i]!.token,
            payload: { match_id: sale.matchId, match_sector_id: sale.zoneId, quantity: 2 },
          }),
        ),
      );
      const intents: string[] = [];
      const ban = (async () => {
        const created = await t.request({
          method: 'POST',
          url: '/admin/blacklist',
          token: sup.token,
          payload: { oib: banned.oib, first_name: 'Z', last_name: 'N' },
        });
        return t.request({
          method: 'POST',
          url: `/admin/blacklist/${created.json().id}/cancel-tickets`,
          token: sup.token,
        });
      })();
      const transfers = owned.map((ticketId, i) =>
        t.request({
          method: 'POST',
          url: `/tickets/${ticketId}/transfer`,
          token: owners[i]!.token,
          payload: {
            full_name: 'Zabranjeni Navijač',
            oib: banned.oib,
            email: banned.email,
            date_of_birth: '1990-01-01',
            nationality: 'HR',
          },
        }),
      );
      const purchases = buyers.map(async (fan, i) => {
        const holders = await t.request({
          method: 'POST',
          url: '/checkout/ticket-holders',
          token: fan.token,
          payload: {
            cart_id: carts[i]!.json().cart.id,
            holders: [{ source: 'DEFAULT_PROFILE' }, { ...manualHolder(), oib: banned.oib }],
          },
        });
        if (holders.statusCode !== 200) return holders.statusCode;
        const pay = await t.request({
          method: 'POST',
          url: '/checkout/pay',
          token: fan.token,
          payload: { order_id: holders.json().id },
        });
        if (pay.statusCode === 200) intents.push(pay.json().payment_intent_id);
        return pay.statusCode;
      });
      const [confirmed, ...outcomes] = await Promise.all([ban, ...transfers, ...purchases]);
      expect(confirmed!.statusCode).toBe(200);
      for (const o of outcomes) {
        const code = typeof o === 'number' ? o : o.statusCode;
        expect([200, 403, 409]).toContain(code);
      }
      // Every payment that was started now succeeds at Stripe.
      for (const intent of intents) {
        expect((await deliver(t, stripe, stripe.succeed(intent))).statusCode).toBe(200);
      }
      const { rows } = await sql<{ id: string }>`
        SELECT t.id FROM tickets t JOIN ticket_holders h ON h.ticket_id = t.id
         WHERE h.oib_blind_index = ${pii.blindIndex(banned.oib)} AND t.status IN ('SOLD', 'ATTENDED')`.execute(
        t.deps.db,
      );
      expect(rows).toEqual([]);
      for (const sale of sales) {
        const report = await auditMatchInvariants(t.deps, sale.matchId);
        expect(report.invariants.filter((i) => i.violations > 0)).toEqual([]);
      }
    }
  });
});
