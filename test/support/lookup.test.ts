import { Writable } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { buildApp } from '../../src/app.ts';
import { searchTicketsQuery } from '../../src/modules/support/lookup.repo.ts';
import { getPiiCipher } from '../../src/platform/crypto.ts';
import { createLockedMatch } from '../factories/matches.ts';
import { issueTickets } from '../factories/tickets.ts';
import { createUser } from '../factories/users.ts';
import { generateOib } from '../../src/modules/identity/oib.ts';
import { createLogger } from '../../src/platform/logging.ts';
import { auditEvents } from '../harness/audit.ts';
import { createFan, useStripeTestContext } from '../sales/helpers.ts';
import type { TestUser } from '../factories/users.ts';
import { buy, expectAccess, roleMatrix, staff, type Bought } from './helpers.ts';

// Refunds below 1 000 EUR go ahead at once (no approval step in the way of the history).
const { t, stripe } = await useStripeTestContext({ env: { REFUND_APPROVAL_THRESHOLD: '100000' } });

const search = (token: string | undefined, payload: Record<string, unknown>) =>
  t.request({ method: 'POST', url: '/admin/tickets/search', token, payload });

let agent: TestUser;
let a: Bought; // two tickets: the buyer, and a named holder with their own OIB, email, phone
let b: Bought; // one ticket, another match
const holderOib = generateOib();
const holderEmail = `holder-${randomUUID()}@example.test`;

beforeAll(async () => {
  agent = await staff(t, ['SUPPORT_AGENT']);
  a = await buy(t, stripe, 2, {
    holders: [
      { source: 'DEFAULT_PROFILE' },
      {
        source: 'MANUAL_ENTRY',
        full_name: 'Ivo Ivić',
        date_of_birth: '1988-08-08',
        nationality: 'HR',
        oib: holderOib,
        email: holderEmail,
        phone: '+385 98 777 6655',
      },
    ],
  });
  await t.deps.db
    .updateTable('profiles')
    .set({ phone: '+385 91 555 0001' })
    .where('user_id', '=', a.fan.id)
    .execute();
  b = await buy(t, stripe, 1);
});

const ids = (res: { json(): { items: Array<{ ticket: { id: string } }> } }) =>
  res
    .json()
    .items.map((i) => i.ticket.id)
    .sort();

describe('ticket lookup (E10-F1)', () => {
  it('search by OIB returns tickets: the buyer’s whole order, a holder’s own ticket', async () => {
    const byBuyer = await search(agent.token, { oib: a.fan.oib });
    expect(byBuyer.statusCode).toBe(200);
    expect(ids(byBuyer)).toEqual([...a.ticketIds].sort());
    const byHolder = await search(agent.token, { oib: holderOib });
    expect(byHolder.json().total).toBe(1);
    expect(byHolder.json().items[0]).toMatchObject({
      holder: { full_name: 'Ivo Ivić', oib_masked: `*******${holderOib.slice(-4)}` },
      order: { id: a.orderId, order_number: a.orderNumber, buyer: { email: a.fan.email } },
    });
    // the response never holds the OIB in clear
    expect(byBuyer.body).not.toContain(a.fan.oib);
    expect(byHolder.body).not.toContain(holderOib);
  });

  it('search by order number returns the order’s tickets with order, holder, status, seat', async () => {
    const res = await search(agent.token, { order_number: a.orderNumber });
    expect(res.statusCode).toBe(200);
    expect(res.json().total).toBe(2);
    expect(ids(res)).toEqual([...a.ticketIds].sort());
    const item = res.json().items[0];
    expect(item).toMatchObject({
      ticket: { status: 'SOLD', price_amount: 2500 },
      order: { status: 'COMPLETED', refund_status: 'NONE' },
      match: { id: a.sale.matchId },
      history: { transfers: [], prints: [], refunds: [] },
    });
    expect(item.seat).toMatchObject({ row: expect.any(String), seat_number: expect.any(Number) });
  });

  it('search by email returns tickets: buyer account (any case) and a holder’s email', async () => {
    const byBuyer = await search(agent.token, { email: a.fan.email.toUpperCase() });
    expect(ids(byBuyer)).toEqual([...a.ticketIds].sort());
    const byHolder = await search(agent.token, { email: holderEmail });
    expect(
      byHolder.json().items.map((i: { holder: { full_name: string } }) => i.holder.full_name),
    ).toEqual(['Ivo Ivić']);
  });

  it('search by phone returns tickets, typed nationally or internationally', async () => {
    const byBuyer = await search(agent.token, { phone: '091 555 0001' });
    expect(byBuyer.statusCode).toBe(200);
    expect(ids(byBuyer)).toEqual([...a.ticketIds].sort());
    const byHolder = await search(agent.token, { phone: '+385987776655' });
    expect(byHolder.json().total).toBe(1);
  });

  it('searches by match and barcode, combines filters (all must hold), paginates', async () => {
    const byMatch = await search(agent.token, { match_id: b.sale.matchId });
    expect(ids(byMatch)).toEqual(b.ticketIds);
    const barcode = byMatch.json().items[0].ticket.barcode as string;
    const byBarcode = await search(agent.token, { barcode });
    expect(ids(byBarcode)).toEqual(b.ticketIds);
    // a's buyer and b's match: nothing
    const none = await search(agent.token, { email: a.fan.email, match_id: b.sale.matchId });
    expect(none.json()).toMatchObject({ items: [], total: 0 });
    const both = await search(agent.token, { email: a.fan.email, match_id: a.sale.matchId });
    expect(both.json().total).toBe(2);

    const page1 = await search(agent.token, { order_number: a.orderNumber, limit: 1 });
    const page2 = await search(agent.token, { order_number: a.orderNumber, limit: 1, page: 2 });
    const page3 = await search(agent.token, { order_number: a.orderNumber, limit: 1, page: 3 });
    expect(page1.json()).toMatchObject({ total: 2, page: 1, limit: 1 });
    expect(page2.json()).toMatchObject({ total: 2, page: 2 });
    expect(page3.json().items).toEqual([]);
    expect([...ids(page1), ...ids(page2)].sort()).toEqual([...a.ticketIds].sort());
  });

  it('shows the history: transfers, prints and refunds of each ticket', async () => {
    const bought = await buy(t, stripe, 2);
    const [first, second] = bought.ticketIds as [string, string];
    // a self-service transfer of the first ticket
    const friend = await createFan(t.deps);
    const moved = await t.request({
      method: 'POST',
      url: `/tickets/${first}/transfer`,
      token: bought.fan.token,
      payload: {
        full_name: 'Petra Perić',
        oib: friend.oib,
        email: friend.email,
        date_of_birth: '1992-02-02',
        nationality: 'HR',
      },
    });
    expect(moved.statusCode).toBe(200);
    // a staff refund of the second
    const refunder = await staff(t, ['SUPPORT_AGENT']);
    const refund = await t.request({
      method: 'POST',
      url: `/admin/orders/${bought.orderId}/refund`,
      token: refunder.token,
      payload: { ticket_ids: [second], reason: 'fan asked' },
    });
    expect(refund.statusCode).toBe(201);
    // an emergency print of the first (the print itself: print.test.ts)
    await t.deps.db
      .insertInto('print_logs')
      .values({
        ticket_id: first,
        agent_id: agent.id,
        reason: 'phone died',
        identity_verified: true,
        verification_document_type: 'ID_CARD',
        print_location: 'Gate 3',
        layout: 'a4',
        print_number: 1,
      })
      .execute();

    const res = await search(agent.token, { order_number: bought.orderNumber });
    const byId = new Map(
      res.json().items.map((i: { ticket: { id: string } }) => [i.ticket.id, i] as const),
    );
    expect(byId.get(first)).toMatchObject({
      owner_user_id: friend.id,
      holder: { full_name: 'Petra Perić' },
      history: {
        transfers: [
          {
            transfer_type: 'SELF_SERVICE',
            to_holder_name: 'Petra Perić',
            initiated_by: bought.fan.id,
          },
        ],
        prints: [{ print_number: 1, agent_id: agent.id, print_location: 'Gate 3' }],
        refunds: [],
      },
    });
    expect(byId.get(second)).toMatchObject({
      ticket: { status: 'REFUNDED' },
      history: {
        transfers: [],
        refunds: [
          { source: 'SUPPORT', status: 'PROCESSING', ticket_amount: 2500, reason: 'fan asked' },
        ],
      },
    });
  });

  it('audits every search with the agent and the masked criteria', async () => {
    const other = await staff(t, ['SUPPORT_SUPERVISOR']);
    const res = await search(other.token, {
      oib: a.fan.oib,
      email: a.fan.email,
      phone: '091 555 0001',
      match_id: a.sale.matchId,
    });
    expect(res.statusCode).toBe(200);
    const events = await auditEvents(t.deps.db, other.id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      domain: 'support',
      action: 'tickets_searched',
      actor: { type: 'user', id: other.id },
      changes: {
        criteria: {
          oib: `*******${a.fan.oib.slice(-4)}`,
          email: `${a.fan.email[0]}***@example.test`,
          phone: '*******001',
          match_id: a.sale.matchId,
        },
        total: 2,
      },
    });
    const text = JSON.stringify(events);
    expect(text).not.toContain(a.fan.oib);
    expect(text).not.toContain(a.fan.email);
    expect(text).not.toContain('5550001');
    // a refused search (bad input) is not a search: nothing audited
    await search(other.token, {});
    expect(await auditEvents(t.deps.db, other.id)).toHaveLength(1);
  });

  it('the access log line holds no OIB, email or phone: the criteria are in the body', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const app = await buildApp({ ...t.deps, logger: createLogger('trace', sink) });
    await app.ready();
    try {
      const res = await app.inject({
        method: 'POST',
        url: '/admin/tickets/search',
        headers: { authorization: `Bearer ${agent.token}` },
        payload: { oib: a.fan.oib, email: a.fan.email, phone: '+385 91 555 0001' },
      });
      expect(res.statusCode).toBe(200);
    } finally {
      await app.close();
    }
    const log = lines.join('');
    // the request was logged (method and URL), without the personal data
    expect(log).toContain('/admin/tickets/search');
    expect(log).not.toContain(a.fan.oib);
    expect(log).not.toContain(a.fan.email);
    expect(log).not.toContain('555 0001');
    // and the GET the spec names does not exist, so no client puts an OIB in a URL
    const get = await t.request({
      method: 'GET',
      url: `/admin/tickets/search?oib=${a.fan.oib}`,
      token: agent.token,
    });
    expect(get.statusCode).toBe(404);
  });

  it('refuses bad input with stable problem codes', async () => {
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [{}, 400, 'SEARCH_CRITERIA_REQUIRED'],
      [{ page: 2 }, 400, 'SEARCH_CRITERIA_REQUIRED'],
      [{ oib: '12345678901' }, 422, 'OIB_INVALID'],
      [{ oib: '1234' }, 400, 'VALIDATION_FAILED'],
      [{ email: 'not-an-email' }, 400, 'VALIDATION_FAILED'],
      [{ phone: 'call me' }, 400, 'VALIDATION_FAILED'],
      [{ match_id: 'x' }, 400, 'VALIDATION_FAILED'],
      [{ barcode: 'abc' }, 400, 'VALIDATION_FAILED'],
      [{ order_number: 'X', limit: 500 }, 400, 'VALIDATION_FAILED'],
      [{ order_number: 'X', page: 0 }, 400, 'VALIDATION_FAILED'],
      [{ order_number: 'X', name: 'Ana' }, 400, 'VALIDATION_FAILED'],
    ];
    for (const [payload, status, code] of cases) {
      const res = await search(agent.token, payload);
      expect([res.statusCode, res.json().code], JSON.stringify(payload)).toEqual([status, code]);
    }
  });

  it('is for SUPPORT_AGENT, SUPPORT_SUPERVISOR and SUPER_ADMIN only', async () => {
    for (const c of await roleMatrix(t)) {
      const res = await search(c.token, { order_number: a.orderNumber });
      expectAccess(c, res);
      if (c.allowed) expect(res.json().total).toBe(2);
    }
  });

  it('reads every criterion through an index: no criterion needs a sequential scan of a big table', async () => {
    // 1 000 more tickets in 10 orders, a third of the holders with an email and a phone
    const match = await createLockedMatch(t.deps, { sectors: 1, rows: 25, seatsPerRow: 40 });
    for (let i = 0; i < 10; i++) {
      const buyer = await createUser(t.deps);
      await issueTickets(t.deps, {
        matchId: match.matchId,
        buyerId: buyer.id,
        holderOibs: Array.from({ length: 100 }, () => generateOib()),
      });
    }
    await sql`UPDATE ticket_holders SET email = 'h' || id || '@example.test',
                     phone = '+385 91 ' || (abs(hashtext(id::text)) % 10000000)::text
               WHERE abs(hashtext(id::text)) % 3 = 0`.execute(t.deps.db);
    await sql`ANALYZE tickets, ticket_holders, profiles, orders, users`.execute(t.deps.db);

    const pii = getPiiCipher(t.config);
    const base = { offset: 0, limit: 20 };
    const criteria = {
      oib: { oibBlindIndex: pii.blindIndex(holderOib) },
      order_number: { orderNumber: a.orderNumber },
      email: { email: a.fan.email },
      phone: { phone: '385915550001' },
      barcode: { barcode: '123456789012345678' },
    };
    const big = new Set(['tickets', 'ticket_holders', 'profiles', 'orders', 'users']);
    for (const [name, filter] of Object.entries(criteria)) {
      const query = searchTicketsQuery({ ...base, ...filter });
      // With sequential scans priced out, one still in the plan means no index serves it
      // (at this size the planner would rightly scan; at a season's millions it must not).
      const { rows } = await t.deps.db.transaction().execute(async (trx) => {
        await sql`SET LOCAL enable_seqscan = off`.execute(trx);
        return sql<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>`
          EXPLAIN (FORMAT JSON) ${query}`.execute(trx);
      });
      const scans: string[] = [];
      const walk = (node: PlanNode) => {
        if (node['Node Type'] === 'Seq Scan' && big.has(node['Relation Name'] ?? '')) {
          scans.push(node['Relation Name']!);
        }
        node.Plans?.forEach(walk);
      };
      walk(rows[0]!['QUERY PLAN'][0]!.Plan);
      expect(scans, `${name}: sequential scans`).toEqual([]);
    }
    // and the search answers quickly over HTTP (figure for the README)
    const started = performance.now();
    const res = await search(agent.token, { phone: '091 555 0001' });
    const ms = performance.now() - started;
    expect(res.json().total).toBe(2);
    expect(ms).toBeLessThan(2_000);
  });
});

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  Plans?: PlanNode[];
}
