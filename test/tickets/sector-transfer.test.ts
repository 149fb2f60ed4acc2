import { randomInt } from 'node:crypto';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { auditMatchInvariants } from '../../src/modules/integrity/integrity.service.ts';
import { getTicketSigner } from '../../src/modules/tickets/ticket-codes.ts';
import type { Executor } from '../../src/platform/db/database.ts';
import { auditEvents } from '../harness/audit.ts';
import { inventoryOf, setStatus, type InventoryRow } from '../factories/inventory.ts';
import { createUser, type TestUser } from '../factories/users.ts';
import { addToCart, createFan, createSale, type Fan, type SaleFixture } from '../sales/helpers.ts';
import { useTestContext } from '../harness/context.ts';

const t = useTestContext({ env: { RATE_LIMIT_MAX: '100000' } });

let manager: TestUser;
beforeAll(async () => {
  manager = await createUser(t.deps, { roles: ['MATCH_MANAGER'] });
});

const transfer = (payload: object, token = manager.token) =>
  t.request({ method: 'POST', url: '/admin/tickets/sector-transfer', token, payload });

/**
 * A completed order of `buyer` with one ticket per seat (the buyer holds the first, the
 * others are named for `holderEmails`). Inserted directly: the purchase is not under test.
 */
async function sellOrder(
  db: Executor,
  matchId: string,
  buyer: Fan,
  seats: InventoryRow[],
  holderEmails: (string | null)[] = [],
) {
  const order = await db
    .insertInto('orders')
    .values({
      user_id: buyer.id,
      match_id: matchId,
      status: 'COMPLETED',
      ticket_amount: 2500 * seats.length,
      ticket_vat_amount: 0,
      fee_amount: 0,
      fee_vat_amount: 0,
      total_amount: 2500 * seats.length,
      fee_percent_bp: 0,
      ticket_vat_bp: 0,
      fee_vat_bp: 0,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const tickets = await db
    .insertInto('tickets')
    .values(
      seats.map((s) => {
        const barcode = Array.from({ length: 18 }, () => randomInt(10)).join('');
        return {
          order_id: order.id,
          match_id: matchId,
          match_seat_inventory_id: s.id,
          owner_user_id: buyer.id,
          barcode,
          qr_code_data: `test:${barcode}`,
          price_amount: 2500,
          fee_amount: 0,
        };
      }),
    )
    .returning(['id', 'barcode'])
    .execute();
  await db
    .insertInto('ticket_holders')
    .values(
      tickets.map((tk, i) => ({
        ticket_id: tk.id,
        full_name: i === 0 ? 'Buyer Himself' : `Friend ${i}`,
        date_of_birth: '1990-05-01',
        nationality: 'HR',
        email: i === 0 ? buyer.email : (holderEmails[i - 1] ?? null),
        is_minor: false,
        source: 'MANUAL_ENTRY' as const,
      })),
    )
    .execute();
  await setStatus(
    db,
    seats.map((s) => s.id),
    'SOLD',
  );
  return { orderId: order.id, tickets };
}

async function ticketsOf(db: Executor, matchId: string) {
  const { rows } = await sql<{
    id: string;
    order_id: string;
    match_seat_inventory_id: string;
    barcode: string;
    qr_code_data: string;
    status: string;
    match_sector_id: string;
    row_index: number;
    col_index: number;
  }>`
    SELECT t.id, t.order_id, t.match_seat_inventory_id, t.barcode, t.qr_code_data, t.status,
           i.match_sector_id, i.row_index, i.col_index
      FROM tickets t JOIN match_seat_inventory i ON i.id = t.match_seat_inventory_id
     WHERE t.match_id = ${matchId} ORDER BY t.id`.execute(db);
  return rows;
}

/** The seat invariants of the integrity module (the orders here have no payments). */
async function seatInvariants(matchId: string) {
  const report = await auditMatchInvariants(t.deps, matchId);
  return report.invariants
    .filter((i) =>
      [
        'seat_with_two_valid_tickets',
        'sold_seat_without_ticket',
        'ticket_on_unsold_seat',
        'seat_held_twice',
        'moved_ticket_off_its_trail',
      ].includes(i.name),
    )
    .map((i) => [i.name, i.violations]);
}

describe('POST /admin/tickets/sector-transfer (E3-F6)', () => {
  let sale: SaleFixture;
  let source: InventoryRow[];
  let buyers: Fan[];
  let friendEmail: string;

  beforeAll(async () => {
    sale = await createSale(t.deps, { rows: 3, seatsPerRow: 6, sectors: 3 });
    source = await inventoryOf(t.deps.db, sale.zoneIds[0]!);
    buyers = await Promise.all([0, 1, 2].map(() => createFan(t.deps)));
    friendEmail = `friend-${sale.matchId.slice(0, 8)}@example.test`;
    // Orders of 3, 2 and 1 tickets in the source sector S1.
    await sellOrder(t.deps.db, sale.matchId, buyers[0]!, source.slice(0, 3), [friendEmail, null]);
    await sellOrder(t.deps.db, sale.matchId, buyers[1]!, source.slice(6, 8));
    await sellOrder(t.deps.db, sale.matchId, buyers[2]!, source.slice(12, 13));
  });

  it('refuses fans and support agents (403) and anonymous callers (401)', async () => {
    const fan = await createUser(t.deps);
    const agent = await createUser(t.deps, { roles: ['SUPPORT_AGENT'] });
    const payload = {
      match_id: sale.matchId,
      source_match_sector_id: sale.zoneIds[0],
      destination_match_sector_id: sale.zoneIds[1],
      reason: 'Safety inspection',
      dry_run: true,
    };
    expect((await transfer(payload, fan.token)).statusCode).toBe(403);
    expect((await transfer(payload, agent.token)).statusCode).toBe(403);
    const anonymous = await t.request({
      method: 'POST',
      url: '/admin/tickets/sector-transfer',
      payload,
    });
    expect(anonymous.statusCode).toBe(401);
    expect((await transfer(payload)).statusCode).toBe(200);
  });

  it('dry run: answers the plan and moves nothing', async () => {
    const before = await ticketsOf(t.deps.db, sale.matchId);
    const res = await transfer({
      match_id: sale.matchId,
      source_match_sector_id: sale.zoneIds[0],
      destination_match_sector_id: sale.zoneIds[1],
      reason: 'Safety inspection',
      dry_run: true,
    });
    expect(res.statusCode).toBe(200);
    const plan = res.json();
    expect(plan).toMatchObject({
      dry_run: true,
      sector_transfer_id: null,
      tickets: 6,
      orders: 3,
      orders_split: 0,
    });
    expect(plan.moves).toHaveLength(6);
    expect(
      plan.moves.every((m: { to: { sector_code: string } }) => m.to.sector_code === 'S2'),
    ).toBe(true);
    expect(await ticketsOf(t.deps.db, sale.matchId)).toEqual(before);
    const dest = await inventoryOf(t.deps.db, sale.zoneIds[1]!);
    expect(dest.every((s) => s.status === 'AVAILABLE')).toBe(true);
    const { rows } = await sql`SELECT 1 FROM sector_transfers`.execute(t.deps.db);
    expect(rows).toHaveLength(0);
  });

  it('destination without room: 409 with how many seats are missing, nothing moves', async () => {
    const dest = await inventoryOf(t.deps.db, sale.zoneIds[2]!);
    // Leave 4 free seats in S3 for 6 tickets.
    await setStatus(
      t.deps.db,
      dest.slice(4).map((s) => s.id),
      'BLOCKED',
    );
    const before = await ticketsOf(t.deps.db, sale.matchId);
    const res = await transfer({
      match_id: sale.matchId,
      source_match_sector_id: sale.zoneIds[0],
      destination_match_sector_id: sale.zoneIds[2],
      reason: 'Safety inspection',
    });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({
      code: 'SECTOR_TRANSFER_NO_ROOM',
      needed: 6,
      available: 4,
      missing: 2,
    });
    expect(await ticketsOf(t.deps.db, sale.matchId)).toEqual(before);
    const after = await inventoryOf(t.deps.db, sale.zoneIds[2]!);
    expect(after.slice(0, 4).every((s) => s.status === 'AVAILABLE')).toBe(true);
    expect(
      (await inventoryOf(t.deps.db, sale.zoneIds[0]!)).filter((s) => s.status === 'SOLD'),
    ).toHaveLength(6);
  });

  it('refuses bad sources: nothing on the seats (409), the destination as source (400), another match (404)', async () => {
    const empty = await transfer({
      match_id: sale.matchId,
      source_seat_ids: [source[17]!.id],
      destination_match_sector_id: sale.zoneIds[1],
      reason: 'x',
    });
    expect(empty.statusCode).toBe(409);
    expect(empty.json().code).toBe('SECTOR_TRANSFER_NOTHING_TO_MOVE');
    const same = await transfer({
      match_id: sale.matchId,
      source_match_sector_id: sale.zoneIds[1],
      destination_match_sector_id: sale.zoneIds[1],
      reason: 'x',
    });
    expect(same.statusCode).toBe(400);
    const both = await transfer({
      match_id: sale.matchId,
      source_seat_ids: [source[0]!.id],
      source_match_sector_id: sale.zoneIds[0],
      destination_match_sector_id: sale.zoneIds[1],
      reason: 'x',
    });
    expect(both.statusCode).toBe(400);
    const other = await createSale(t.deps, { rows: 1, seatsPerRow: 2 });
    const foreign = await transfer({
      match_id: other.matchId,
      source_match_sector_id: sale.zoneIds[0],
      destination_match_sector_id: sale.zoneIds[1],
      reason: 'x',
    });
    expect(foreign.statusCode).toBe(404);
  });

  it('moves every ticket: new adjacent seats, new barcode and QR, old seats BLOCKED, audited, holders told', async () => {
    const before = await ticketsOf(t.deps.db, sale.matchId);
    const res = await transfer({
      match_id: sale.matchId,
      source_match_sector_id: sale.zoneIds[0],
      destination_match_sector_id: sale.zoneIds[1],
      reason: 'Safety inspection of the east stand',
    });
    expect(res.statusCode).toBe(200);
    const out = res.json();
    expect(out).toMatchObject({ dry_run: false, tickets: 6, orders: 3, orders_split: 0 });
    const transferId = out.sector_transfer_id as string;

    const after = await ticketsOf(t.deps.db, sale.matchId);
    const signer = getTicketSigner(t.config);
    const byId = new Map(before.map((b) => [b.id, b]));
    for (const tk of after) {
      const was = byId.get(tk.id)!;
      // Tickets point to new seats in the destination and stay valid.
      expect(tk.match_sector_id).toBe(sale.zoneIds[1]);
      expect(tk.status).toBe('SOLD');
      // New barcode and a signed QR for it; the old barcode belongs to no ticket.
      expect(tk.barcode).not.toBe(was.barcode);
      expect(signer.verify(tk.qr_code_data)).toMatchObject({
        ticketId: tk.id,
        barcode: tk.barcode,
      });
      expect(after.some((x) => x.barcode === was.barcode)).toBe(false);
    }
    // Each order's tickets sit together: one row, consecutive columns.
    const orders = new Map<string, typeof after>();
    for (const tk of after) orders.set(tk.order_id, [...(orders.get(tk.order_id) ?? []), tk]);
    for (const seats of orders.values()) {
      const cols = seats.map((s) => s.col_index).sort((a, b) => a - b);
      expect(new Set(seats.map((s) => s.row_index)).size).toBe(1);
      expect(cols).toEqual(cols.map((_, i) => cols[0]! + i));
    }

    // Original seats BLOCKED, destination seats SOLD; both in the seat trail.
    const src = new Map((await inventoryOf(t.deps.db, sale.zoneIds[0]!)).map((s) => [s.id, s]));
    for (const b of before) expect(src.get(b.match_seat_inventory_id)!.status).toBe('BLOCKED');
    const dest = new Map((await inventoryOf(t.deps.db, sale.zoneIds[1]!)).map((s) => [s.id, s]));
    for (const a of after) expect(dest.get(a.match_seat_inventory_id)!.status).toBe('SOLD');
    const trail = await t.deps.db
      .selectFrom('seat_audit_logs')
      .select(['action', 'from_status', 'to_status', 'ticket_id', 'changed_by', 'reason'])
      .where('sector_transfer_id', '=', transferId)
      .execute();
    expect(trail.filter((l) => l.action === 'TRANSFER_IN')).toHaveLength(6);
    expect(trail.filter((l) => l.action === 'TRANSFER_OUT')).toHaveLength(6);
    expect(
      trail.every(
        (l) =>
          l.changed_by === manager.id &&
          l.reason === 'Safety inspection of the east stand' &&
          (l.action === 'TRANSFER_IN'
            ? l.from_status === 'AVAILABLE' && l.to_status === 'SOLD'
            : l.from_status === 'SOLD' && l.to_status === 'BLOCKED'),
      ),
    ).toBe(true);
    const [event] = (await auditEvents(t.deps.db, sale.matchId)).filter(
      (e) => e.action === 'tickets_sector_transferred',
    );
    expect(event).toMatchObject({
      domain: 'ticket',
      actor: { type: 'user', id: manager.id },
      changes: { sector_transfer_id: transferId, tickets: 6 },
    });

    // Holders told: one email per person (the buyers; the named friend), pushes to accounts.
    const emails = await t.deps.db
      .selectFrom('email_logs')
      .select(['recipient_email', 'variables_json'])
      .where('template_key', '=', 'ticket_seat_changed')
      .execute();
    expect(emails.map((e) => e.recipient_email).sort()).toEqual(
      [...buyers.map((b) => b.email), friendEmail].sort(),
    );
    const first = emails.find((e) => e.recipient_email === buyers[0]!.email)!;
    expect(first.variables_json).toMatchObject({ ticket_count: 3 });
    expect(String((first.variables_json as { seat_changes: string }).seat_changes)).toMatch(
      /S1 A-\d+ → S2 [A-C]-\d+/,
    );
    const pushes = await t.deps.db
      .selectFrom('push_logs')
      .select('user_id')
      .where('notification_type', '=', 'ticket_seat_changed')
      .execute();
    expect(new Set(pushes.map((p) => p.user_id))).toEqual(new Set(buyers.map((b) => b.id)));

    expect(await seatInvariants(sale.matchId)).toEqual([
      ['seat_with_two_valid_tickets', 0],
      ['sold_seat_without_ticket', 0],
      ['ticket_on_unsold_seat', 0],
      ['moved_ticket_off_its_trail', 0],
      ['seat_held_twice', 0],
    ]);

    // The invariant notices a moved ticket put on a seat no transfer gave it.
    const stray = after[0]!;
    const spare = [...dest.values()].find((s) => s.status === 'AVAILABLE')!;
    await t.deps.db
      .updateTable('tickets')
      .set({ match_seat_inventory_id: spare.id })
      .where('id', '=', stray.id)
      .execute();
    const report = await auditMatchInvariants(t.deps, sale.matchId);
    expect(report.invariants.find((i) => i.name === 'moved_ticket_off_its_trail')).toMatchObject({
      violations: 1,
      sample: [stray.id],
    });
    await t.deps.db
      .updateTable('tickets')
      .set({ match_seat_inventory_id: stray.match_seat_inventory_id })
      .where('id', '=', stray.id)
      .execute();
  });

  it('moves only the tickets on the given seats', async () => {
    const m = await createSale(t.deps, { rows: 2, seatsPerRow: 5, sectors: 2 });
    const seats = await inventoryOf(t.deps.db, m.zoneIds[0]!);
    const fan = await createFan(t.deps);
    const { tickets } = await sellOrder(t.deps.db, m.matchId, fan, seats.slice(0, 4));
    const res = await transfer({
      match_id: m.matchId,
      source_seat_ids: [seats[1]!.id, seats[2]!.id],
      destination_match_sector_id: m.zoneIds[1],
      reason: 'Broken seats',
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().tickets).toBe(2);
    const after = new Map((await ticketsOf(t.deps.db, m.matchId)).map((x) => [x.id, x]));
    expect(after.get(tickets[0]!.id)!.match_sector_id).toBe(m.zoneIds[0]);
    expect(after.get(tickets[3]!.id)!.match_sector_id).toBe(m.zoneIds[0]);
    expect(after.get(tickets[1]!.id)!.match_sector_id).toBe(m.zoneIds[1]);
    expect(after.get(tickets[2]!.id)!.match_sector_id).toBe(m.zoneIds[1]);
  });

  it('racing fans buying in the destination never gets one seat to two tickets or holds', async () => {
    const m = await createSale(t.deps, { rows: 6, seatsPerRow: 10, sectors: 2 });
    const src = await inventoryOf(t.deps.db, m.zoneIds[0]!);
    const owners = await Promise.all(Array.from({ length: 10 }, () => createFan(t.deps)));
    // 30 tickets in orders of 3.
    for (let i = 0; i < 10; i++) {
      await sellOrder(t.deps.db, m.matchId, owners[i]!, src.slice(i * 3, i * 3 + 3));
    }
    const fans = await Promise.all(Array.from({ length: 20 }, () => createFan(t.deps)));
    // 20 fans want 2 seats each (40) of the destination's 60 while 30 tickets move in:
    // not everyone can win, and the transfer may find too little room. Either way no seat
    // may end up with two owners.
    const [moved, ...carts] = await Promise.all([
      transfer({
        match_id: m.matchId,
        source_match_sector_id: m.zoneIds[0],
        destination_match_sector_id: m.zoneIds[1],
        reason: 'Race',
      }),
      ...fans.map((fan) => addToCart(t, fan, m, 2, m.zoneIds[1])),
    ]);
    expect([200, 409]).toContain(moved!.statusCode);
    for (const c of carts) expect([200, 201, 409]).toContain(c.statusCode);
    const held = carts.filter((c) => c.statusCode < 300).length;
    console.info(`sector transfer race: transfer ${moved!.statusCode}, ${held} of 20 carts held`);

    const dest = await inventoryOf(t.deps.db, m.zoneIds[1]!);
    const tickets = await ticketsOf(t.deps.db, m.matchId);
    const inDest = tickets.filter((x) => x.match_sector_id === m.zoneIds[1]);
    const reserved = dest.filter((s) => s.status === 'RESERVED');
    const sold = dest.filter((s) => s.status === 'SOLD');
    // No seat carries a ticket and a hold; sold seats are exactly the moved tickets' seats.
    const ticketSeats = new Set(inDest.map((x) => x.match_seat_inventory_id));
    expect(ticketSeats.size).toBe(inDest.length);
    expect(reserved.some((s) => ticketSeats.has(s.id))).toBe(false);
    expect(new Set(sold.map((s) => s.id))).toEqual(ticketSeats);
    expect(reserved).toHaveLength(held * 2);
    if (moved!.statusCode === 200) {
      expect(inDest).toHaveLength(30);
    } else {
      // All or nothing: nothing moved.
      expect(moved!.json().code).toBe('SECTOR_TRANSFER_NO_ROOM');
      expect(inDest).toHaveLength(0);
    }
    expect(await seatInvariants(m.matchId)).toEqual([
      ['seat_with_two_valid_tickets', 0],
      ['sold_seat_without_ticket', 0],
      ['ticket_on_unsold_seat', 0],
      ['moved_ticket_off_its_trail', 0],
      ['seat_held_twice', 0],
    ]);
  });
});
