import { describe, expect, it } from 'vitest';
import { generateOib } from '../../src/modules/identity/oib.ts';
import { auditMatchInvariants } from '../../src/modules/integrity/integrity.service.ts';
import { deliverDocumentBatch } from '../../src/modules/invoicing/documents.delivery.ts';
import { runMatchCancellation } from '../../src/modules/matches/cancellation.service.ts';
import { runHoldSweep } from '../../src/modules/sales/sales.jobs.ts';
import { createUser, type TestUser } from '../factories/users.ts';
import { useInvoicingContext } from '../invoicing/helpers.ts';
import { createSale, manualHolder, orderStatusOf } from '../sales/helpers.ts';
import { createQuotaViaApi, inventoryStatuses, quotaInvariantViolations } from './helpers.ts';

/**
 * A deferred quota claim paid against a payment offer (E7-F5 → E8-F4): claim → DEFERRED
 * order → offer → PAID → the order COMPLETED with its tickets, its invoice requested and
 * delivered, audit-invariants clean.
 */
const { t } = await useInvoicingContext();

const call = (user: TestUser, method: 'GET' | 'POST', url: string, payload?: object) =>
  t.request({ method, url, token: user.token, ...(payload ? { payload } : {}) });

async function deferredClaim(manager: TestUser, holder: TestUser, quantity: number) {
  const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 6, price: 3000 });
  const quota = await createQuotaViaApi(t, manager, {
    match_id: sale.matchId,
    sector_ids: [sale.zoneId],
    total_quantity: 4,
    recipient_email: holder.email,
    discount_percent: 50,
    deferred_payment: true,
  });
  const base = `/quota-portal/quotas/${quota.id}`;
  const claim = (await call(holder, 'POST', `${base}/select-seats`, { quantity })).json();
  const named = await call(holder, 'POST', `${base}/ticket-holders`, {
    claim_id: claim.id,
    holders: Array.from({ length: quantity }, (_, i) => manualHolder(`Gost ${i + 1}`)),
  });
  expect(named.statusCode, named.body).toBe(200);
  const pay = await call(holder, 'POST', `${base}/payment`, { claim_id: claim.id });
  expect(pay.statusCode, pay.body).toBe(200);
  expect(pay.json()).toMatchObject({ payment_status: 'DEFERRED', payment: null });
  return {
    sale,
    quota,
    claimId: claim.id as string,
    orderId: named.json().order_id as string,
    total: named.json().total as number,
    inventoryIds: claim.seats.map((s: { inventory_id: string }) => s.inventory_id) as string[],
  };
}

/** A new debtor and finance's payment offer to it of `orderIds`. */
async function offerOf(finance: TestUser, debtorName: string, orderIds: string[]) {
  const debtor = (
    await call(finance, 'POST', '/admin/debtors', {
      name: debtorName,
      oib: generateOib(),
      payment_terms_days: 15,
    })
  ).json();
  return (
    await call(finance, 'POST', '/admin/payment-offers', {
      debtor_id: debtor.id,
      order_ids: orderIds,
    })
  ).json();
}

describe('a deferred quota claim paid through a payment offer', () => {
  it('claim DEFERRED → offer → PAID: orders completed with tickets, invoices queued, invariants clean', async () => {
    const manager = await createUser(t.deps, { roles: ['MATCH_MANAGER'] });
    const holder = await createUser(t.deps, {
      roles: ['QUOTA_HOLDER'],
      email: 'sponzor-deferred@example.test',
    });
    const finance = await createUser(t.deps, { roles: ['FINANCE'] });
    const first = await deferredClaim(manager, holder, 2);
    const second = await deferredClaim(manager, holder, 1);
    for (const c of [first, second]) {
      expect(await orderStatusOf(t, c.orderId)).toBe('DEFERRED');
      expect(c.total).toBeGreaterThan(0);
    }
    // The sweep leaves DEFERRED orders alone; the invariants hold in that state too.
    await runHoldSweep(t.deps);
    expect(await orderStatusOf(t, first.orderId)).toBe('DEFERRED');
    const before = await auditMatchInvariants(t.deps, first.sale.matchId);
    expect(before.invariants.filter((i) => i.violations > 0)).toEqual([]);

    // Finance offers both orders to the sponsor's debtor account.
    const debtor = (
      await call(finance, 'POST', '/admin/debtors', {
        name: 'Sponzor d.o.o.',
        oib: generateOib(),
        email: 'racuni@sponzor.hr',
        payment_terms_days: 15,
      })
    ).json();
    const created = await call(finance, 'POST', '/admin/payment-offers', {
      debtor_id: debtor.id,
      order_ids: [first.orderId, second.orderId],
    });
    expect(created.statusCode, created.body).toBe(201);
    const offer = created.json();
    expect(offer).toMatchObject({ status: 'SENT', total_amount: first.total + second.total });
    // Still DEFERRED while the offer is open: nothing sold, no invoice.
    expect(await orderStatusOf(t, first.orderId)).toBe('DEFERRED');

    const paid = await call(finance, 'POST', `/admin/payment-offers/${offer.id}/paid`);
    expect(paid.statusCode, paid.body).toBe(200);
    expect(paid.json()).toMatchObject({ status: 'PAID' });

    for (const c of [first, second]) {
      expect(await orderStatusOf(t, c.orderId)).toBe('COMPLETED');
      const tickets = await t.deps.db
        .selectFrom('tickets')
        .select(['id', 'status', 'owner_user_id', 'match_seat_inventory_id'])
        .where('order_id', '=', c.orderId)
        .execute();
      expect(tickets).toHaveLength(c.inventoryIds.length);
      expect(tickets.every((tk) => tk.status === 'SOLD' && tk.owner_user_id === holder.id)).toBe(
        true,
      );
      const inv = await inventoryStatuses(t, c.inventoryIds);
      for (const row of inv.values()) expect(row.status).toBe('SOLD');
      const claim = await t.deps.db
        .selectFrom('quota_claim_carts')
        .select(['status', 'payment_status'])
        .where('id', '=', c.claimId)
        .executeTakeFirstOrThrow();
      expect(claim).toEqual({ status: 'COMPLETED', payment_status: 'PAID' });
      const seats = await t.deps.db
        .selectFrom('quota_seats')
        .select(['status', 'ticket_id'])
        .where('claim_cart_id', '=', c.claimId)
        .execute();
      expect(seats.every((s) => s.status === 'SOLD' && s.ticket_id !== null)).toBe(true);
    }

    // Each order's invoice is requested, then delivered for its exact total.
    const requests = await t.deps.db
      .selectFrom('e_racuni_requests')
      .select('local_reference_id')
      .where('document_type', '=', 'INVOICE')
      .where('local_reference_id', 'in', [first.orderId, second.orderId])
      .execute();
    expect(requests).toHaveLength(2);
    while ((await deliverDocumentBatch(t.deps)) > 0);
    const invoices = await t.deps.db
      .selectFrom('e_racuni_documents')
      .select('total_amount')
      .where('document_type', '=', 'INVOICE')
      .where('local_reference_id', 'in', [first.orderId, second.orderId])
      .execute();
    expect(invoices.map((i) => i.total_amount).sort()).toEqual([first.total, second.total].sort());

    expect(await quotaInvariantViolations(t)).toEqual([]);
    for (const c of [first, second]) {
      const report = await auditMatchInvariants(t.deps, c.sale.matchId);
      expect(report.invariants.filter((i) => i.violations > 0)).toEqual([]);
    }
  });

  it('a cancelled match closes its DEFERRED claim: seats back to the quota, the offer marked PAID then completes nothing', async () => {
    const manager = await createUser(t.deps, { roles: ['MATCH_MANAGER'] });
    const holder = await createUser(t.deps, {
      roles: ['QUOTA_HOLDER'],
      email: 'sponzor-cancelled@example.test',
    });
    const finance = await createUser(t.deps, { roles: ['FINANCE'] });
    const superAdmin = await createUser(t.deps, { roles: ['SUPER_ADMIN'] });
    const c = await deferredClaim(manager, holder, 2);
    const offer = await offerOf(finance, 'Sponzor 3 d.o.o.', [c.orderId]);
    const cancelled = await call(superAdmin, 'POST', `/admin/matches/${c.sale.matchId}/cancel`, {
      reason: 'nevrijeme',
    });
    expect(cancelled.statusCode, cancelled.body).toBe(200);
    expect((await runMatchCancellation(t.deps, c.sale.matchId)).status).toBe('DONE');
    const order = await t.deps.db
      .selectFrom('orders')
      .select(['status', 'cancellation_reason'])
      .where('id', '=', c.orderId)
      .executeTakeFirstOrThrow();
    // the claim closed by the quotas module in the cancelling transaction, its seats back
    // to the quota (ALLOCATED, no hold), the order abandoned with it
    expect(order).toEqual({ status: 'CANCELLED', cancellation_reason: 'QUOTA_CLAIM_ABANDONED' });
    const inv = await inventoryStatuses(t, c.inventoryIds);
    for (const row of inv.values()) expect(row.status).toBe('ALLOCATED');
    const claim = await t.deps.db
      .selectFrom('quota_claim_carts')
      .select('status')
      .where('id', '=', c.claimId)
      .executeTakeFirstOrThrow();
    expect(claim.status).toBe('ABANDONED');

    const paid = await call(finance, 'POST', `/admin/payment-offers/${offer.id}/paid`);
    expect(paid.statusCode, paid.body).toBe(200);
    expect(await orderStatusOf(t, c.orderId)).toBe('CANCELLED');
    const tickets = await t.deps.db
      .selectFrom('tickets')
      .select('id')
      .where('order_id', '=', c.orderId)
      .execute();
    expect(tickets).toEqual([]);
    const report = await auditMatchInvariants(t.deps, c.sale.matchId);
    expect(
      report.invariants.filter((i) => i.violations > 0).map((i) => [i.name, i.sample]),
    ).toEqual([]);
  });

  it('a DEFERRED order whose offer is still open is named by the invariants once its offer is PAID behind its back', async () => {
    const manager = await createUser(t.deps, { roles: ['MATCH_MANAGER'] });
    const holder = await createUser(t.deps, {
      roles: ['QUOTA_HOLDER'],
      email: 'sponzor-audit@example.test',
    });
    const c = await deferredClaim(manager, holder, 1);
    const finance = await createUser(t.deps, { roles: ['FINANCE'] });
    const offer = await offerOf(finance, 'Sponzor 2 d.o.o.', [c.orderId]);
    // The offer row marked PAID without the order's completion, and a seat released behind
    // the order's back: both invariants name the order.
    await t.deps.db
      .updateTable('payment_offers')
      .set({ status: 'PAID' })
      .where('id', '=', offer.id)
      .execute();
    await t.deps.db
      .updateTable('match_seat_inventory')
      .set({ hold_owner_id: null, hold_kind: null, status: 'ALLOCATED', held_until: null })
      .where('id', '=', c.inventoryIds[0]!)
      .execute();
    const report = await auditMatchInvariants(t.deps, c.sale.matchId);
    const named = (name: string) => report.invariants.find((i) => i.name === name)!;
    expect(named('deferred_order_in_paid_offer')).toMatchObject({ violations: 1 });
    expect(named('deferred_order_without_its_seats')).toMatchObject({ violations: 1 });
    expect(named('deferred_order_in_paid_offer').sample).toEqual([c.orderId]);
  });
});
