import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateOib } from '../../src/modules/identity/oib.ts';
import { NO_REASON_NEEDED } from '../../src/modules/support/refund-requests.service.ts';
import { STRIPE_REFUND_QUEUE } from '../../src/modules/sales/ticket-returns.ts';
import type { TestUser } from '../factories/users.ts';
import { jobsIn, useStripeTestContext } from '../sales/helpers.ts';
import {
  runRefundJobs,
  seatStatusesOf,
  settleRefunds,
  ticketStatuses,
} from '../sales/refund-helpers.ts';
import { auditEvents } from '../harness/audit.ts';
import { buy, expectAccess, HOUR, roleMatrix, staff, type Bought } from './helpers.ts';

// Tickets are 2500 + 150 fee: two (5000) are under the threshold, three (7500) above it.
const { t, stripe } = await useStripeTestContext({ env: { REFUND_APPROVAL_THRESHOLD: '6000' } });

let agent: TestUser;
let supervisor: TestUser;
beforeAll(async () => {
  agent = await staff(t, ['SUPPORT_AGENT']);
  supervisor = await staff(t, ['SUPPORT_SUPERVISOR']);
});

const soon = () => new Date(t.clock.now().getTime() + 24 * HOUR);

const asBuyer = (bought: Bought, extra: Record<string, unknown> = {}) => ({
  requested_by_name: bought.buyerName,
  requested_by_contact: bought.fan.email,
  ...extra,
});

const requestRefund = (
  token: string | undefined,
  orderId: string,
  payload: Record<string, unknown>,
) => t.request({ method: 'POST', url: `/admin/orders/${orderId}/refund-request`, token, payload });

const decide = (
  token: string | undefined,
  id: string,
  verb: 'approve' | 'reject',
  payload?: unknown,
) =>
  t.request({
    method: 'POST',
    url: `/admin/refund-requests/${id}/${verb}`,
    token,
    ...(payload ? { payload } : {}),
  });

async function rowCounts() {
  const { rows } = await sql<{ refunds: number; requests: number }>`
    SELECT (SELECT count(*) FROM refunds)::int AS refunds,
           (SELECT count(*) FROM support_refund_requests)::int AS requests`.execute(t.deps.db);
  return rows[0]!;
}

describe('support refund requests (E10-F3)', () => {
  it('48 h or more before kick-off: processed without a reason, whatever the amount', async () => {
    const bought = await buy(t, stripe, 3);
    const res = await requestRefund(agent.token, bought.orderId, asBuyer(bought));
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      order_id: bought.orderId,
      agent_id: agent.id,
      within_48h: false,
      requires_supervisor: false,
      refund: {
        source: 'SUPPORT',
        status: 'PROCESSING',
        refund_amount: 7500,
        fee_retained: 450,
        reason: NO_REASON_NEEDED,
        requested_by: agent.id,
        ticket_ids: [...bought.ticketIds].sort(),
      },
    });
    // the refunds' own path: tickets refunded, seats back on sale, Stripe job queued
    expect(await ticketStatuses(t, bought.ticketIds)).toEqual(['REFUNDED', 'REFUNDED', 'REFUNDED']);
    expect(await seatStatusesOf(t, bought.ticketIds)).toEqual([
      'AVAILABLE',
      'AVAILABLE',
      'AVAILABLE',
    ]);
    const refundId = res.json().refund.id as string;
    expect(await jobsIn(t, STRIPE_REFUND_QUEUE)).toContainEqual({ refund_id: refundId });
    const request = await t.deps.db
      .selectFrom('support_refund_requests')
      .selectAll()
      .where('refund_id', '=', refundId)
      .executeTakeFirstOrThrow();
    expect(request).toMatchObject({
      id: res.json().id,
      order_id: bought.orderId,
      requested_by_name: bought.buyerName,
      requested_by_contact: bought.fan.email,
      within_48h: false,
      requires_supervisor: false,
      agent_id: agent.id,
    });
    // refund processed: Stripe refunds it and the order is fully refunded
    await runRefundJobs(t);
    await settleRefunds(t, stripe);
    const refund = await t.deps.db
      .selectFrom('refunds')
      .select(['status'])
      .where('id', '=', refundId)
      .executeTakeFirstOrThrow();
    expect(refund.status).toBe('COMPLETED');
    const order = await t.deps.db
      .selectFrom('orders')
      .select(['refund_status', 'refunded_amount'])
      .where('id', '=', bought.orderId)
      .executeTakeFirstOrThrow();
    expect(order).toEqual({ refund_status: 'FULL', refunded_amount: 7500 });
    const [event] = (await auditEvents(t.deps.db, res.json().id)).filter(
      (e) => e.action === 'support_refund_requested',
    );
    expect(event).toMatchObject({ domain: 'support', actor: { id: agent.id } });
  });

  it('less than 48 h: a missing reason returns 400, nothing written', async () => {
    const bought = await buy(t, stripe, 2, { kickOff: soon() });
    const before = await rowCounts();
    const res = await requestRefund(agent.token, bought.orderId, asBuyer(bought));
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      code: 'REFUND_REASON_REQUIRED',
      errors: [{ field: 'body.reason' }],
    });
    expect(await rowCounts()).toEqual(before);
    expect(await ticketStatuses(t, bought.ticketIds)).toEqual(['SOLD', 'SOLD']);

    // with a reason and under the threshold it goes ahead at once
    const ok = await requestRefund(agent.token, bought.orderId, asBuyer(bought, { reason: 'ill' }));
    expect(ok.statusCode).toBe(201);
    expect(ok.json()).toMatchObject({
      within_48h: true,
      requires_supervisor: false,
      refund: { status: 'PROCESSING', refund_amount: 5000, reason: 'ill' },
    });
  });

  it('less than 48 h and high value: the supervisor approval workflow is triggered', async () => {
    const bought = await buy(t, stripe, 3, { kickOff: soon() });
    const res = await requestRefund(
      agent.token,
      bought.orderId,
      asBuyer(bought, { reason: 'family emergency' }),
    );
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      within_48h: true,
      requires_supervisor: true,
      refund: { status: 'PENDING_APPROVAL', refund_amount: 7500 },
    });
    // nothing goes back before the approval
    expect(await ticketStatuses(t, bought.ticketIds)).toEqual(['SOLD', 'SOLD', 'SOLD']);
    const id = res.json().id as string;
    // an agent may not approve
    const byAgent = await decide(agent.token, id, 'approve');
    expect(byAgent.statusCode).toBe(403);
    const approved = await decide(supervisor.token, id, 'approve');
    expect(approved.statusCode).toBe(200);
    expect(approved.json()).toMatchObject({ status: 'PROCESSING', approved_by: supervisor.id });
    expect(await ticketStatuses(t, bought.ticketIds)).toEqual(['REFUNDED', 'REFUNDED', 'REFUNDED']);
    // decided once
    const again = await decide(supervisor.token, id, 'approve');
    expect([again.statusCode, again.json().code]).toEqual([409, 'REFUND_STATE_CONFLICT']);
  });

  it('a supervisor may reject (tickets stay valid) but never decide their own request', async () => {
    const bought = await buy(t, stripe, 3, { kickOff: soon() });
    const own = await requestRefund(
      supervisor.token,
      bought.orderId,
      asBuyer(bought, { reason: 'x-case' }),
    );
    expect(own.json().requires_supervisor).toBe(true);
    const self = await decide(supervisor.token, own.json().id, 'approve');
    expect([self.statusCode, self.json().code]).toEqual([403, 'REFUND_SELF_APPROVAL']);
    const other = await staff(t, ['SUPPORT_SUPERVISOR']);
    const rejected = await decide(other.token, own.json().id, 'reject', { reason: 'no proof' });
    expect(rejected.statusCode).toBe(200);
    expect(rejected.json()).toMatchObject({ status: 'REJECTED', rejected_by: other.id });
    expect(await ticketStatuses(t, bought.ticketIds)).toEqual(['SOLD', 'SOLD', 'SOLD']);
  });

  it('only the buyer may ask: a non-owner request is blocked, nothing written', async () => {
    const bought = await buy(t, stripe, 2, {
      holders: [
        { source: 'DEFAULT_PROFILE' },
        {
          source: 'MANUAL_ENTRY',
          full_name: 'Ivo Ivić',
          date_of_birth: '1988-08-08',
          nationality: 'HR',
          oib: generateOib(),
          email: 'ivo@example.test',
        },
      ],
    });
    const before = await rowCounts();
    for (const requester of [
      { requested_by_name: 'Someone Else', requested_by_contact: bought.fan.email },
      { requested_by_name: bought.buyerName, requested_by_contact: 'other@example.test' },
      // a holder is not the buyer: the money went from the buyer's card
      { requested_by_name: 'Ivo Ivić', requested_by_contact: 'ivo@example.test' },
    ]) {
      const res = await requestRefund(agent.token, bought.orderId, requester);
      expect([res.statusCode, res.json().code]).toEqual([403, 'REQUESTER_NOT_OWNER']);
    }
    expect(await rowCounts()).toEqual(before);
    expect(await ticketStatuses(t, bought.ticketIds)).toEqual(['SOLD', 'SOLD']);
    // the buyer by phone, typed nationally
    await t.deps.db
      .updateTable('profiles')
      .set({ phone: '+385 91 222 3344' })
      .where('user_id', '=', bought.fan.id)
      .execute();
    const byPhone = await requestRefund(agent.token, bought.orderId, {
      requested_by_name: bought.buyerName,
      requested_by_contact: '091 222 3344',
      ticket_ids: [bought.ticketIds[0]],
    });
    expect(byPhone.statusCode).toBe(201);
    expect(byPhone.json().refund.ticket_ids).toEqual([bought.ticketIds[0]]);
  });

  it('refuses bad input with stable problem codes', async () => {
    const bought = await buy(t, stripe, 1);
    const other = await buy(t, stripe, 1);
    const good = asBuyer(bought);
    const missing = '00000000-0000-4000-8000-000000000000';
    const cases: Array<[string, Record<string, unknown>, number, string]> = [
      [missing, good, 404, 'NOT_FOUND'],
      ['nope', good, 400, 'VALIDATION_FAILED'],
      [bought.orderId, { ...good, requested_by_name: undefined }, 400, 'VALIDATION_FAILED'],
      [bought.orderId, { ...good, reason: 'x' }, 400, 'VALIDATION_FAILED'],
      [bought.orderId, { ...good, ticket_ids: [] }, 400, 'VALIDATION_FAILED'],
      [bought.orderId, { ...good, ticket_ids: ['x'] }, 400, 'VALIDATION_FAILED'],
      [bought.orderId, { ...good, amount: 1 }, 400, 'VALIDATION_FAILED'],
      [bought.orderId, { ...good, ticket_ids: other.ticketIds }, 422, 'TICKET_NOT_IN_ORDER'],
    ];
    for (const [id, payload, status, code] of cases) {
      const res = await requestRefund(agent.token, id, payload);
      expect([res.statusCode, res.json().code], JSON.stringify(payload)).toEqual([status, code]);
    }
    expect((await requestRefund(agent.token, bought.orderId, good)).statusCode).toBe(201);
    const twice = await requestRefund(agent.token, bought.orderId, good);
    expect([twice.statusCode, twice.json().code]).toEqual([409, 'TICKET_NOT_REFUNDABLE']);
    const unknown = await decide(supervisor.token, missing, 'approve');
    expect([unknown.statusCode, unknown.json().code]).toEqual([404, 'NOT_A_SUPPORT_REFUND']);
    const badReject = await decide(supervisor.token, missing, 'reject', { reason: '' });
    expect([badReject.statusCode, badReject.json().code]).toEqual([400, 'VALIDATION_FAILED']);
  });

  it('roles: agents and above request; supervisors and super admins decide; fans 403', async () => {
    const bought = await buy(t, stripe, 1);
    const missing = '00000000-0000-4000-8000-000000000000';
    for (const c of await roleMatrix(t)) {
      const res = await requestRefund(
        c.token,
        c.allowed ? missing : bought.orderId,
        asBuyer(bought),
      );
      expectAccess(c, res);
      if (c.allowed) expect(res.statusCode).toBe(404);
    }
    for (const c of await roleMatrix(t, ['SUPPORT_SUPERVISOR', 'SUPER_ADMIN'])) {
      for (const verb of ['approve', 'reject'] as const) {
        const res = await decide(
          c.token,
          missing,
          verb,
          verb === 'reject' ? { reason: 'no proof' } : undefined,
        );
        expectAccess(c, res);
        if (c.allowed) expect(res.json().code).toBe('NOT_A_SUPPORT_REFUND');
      }
    }
    expect(await ticketStatuses(t, bought.ticketIds)).toEqual(['SOLD']);
  });
});
