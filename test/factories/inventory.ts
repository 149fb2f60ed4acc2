import { randomInt } from 'node:crypto';
import { sql } from 'kysely';
import type { Executor } from '../../src/platform/db/database.ts';
import type { HoldKind, SeatStatus } from '../../src/platform/db/types.generated.ts';

/**
 * Direct SQL helpers for inventory tests: put seats into states that other modules' flows
 * (carts, quotas, sales) will produce, without depending on those flows.
 */

export interface InventoryRow {
  id: string;
  seat_id: string;
  row_identifier: string;
  seat_number: number;
  row_index: number;
  col_index: number;
  status: SeatStatus;
  version: number;
  hold_owner_id: string | null;
  held_until: Date | null;
}

/** The inventory rows of a match sector in row, then column order. */
export async function inventoryOf(db: Executor, matchSectorId: string): Promise<InventoryRow[]> {
  return db
    .selectFrom('match_seat_inventory as i')
    .innerJoin('seats as s', 's.id', 'i.seat_id')
    .select([
      'i.id',
      'i.seat_id',
      's.row_identifier',
      's.seat_number',
      'i.row_index',
      'i.col_index',
      'i.status',
      'i.version',
      'i.hold_owner_id',
      'i.held_until',
    ])
    .where('i.match_sector_id', '=', matchSectorId)
    .orderBy('i.row_index')
    .orderBy('i.col_index')
    .execute();
}

/** Puts seats in a hold, as a cart/quota/order claim would. */
export async function holdSeats(
  db: Executor,
  ids: string[],
  hold: { kind?: HoldKind; ownerId: string; until: Date | null },
): Promise<void> {
  await db
    .updateTable('match_seat_inventory')
    .set({
      status: 'RESERVED',
      hold_kind: hold.kind ?? 'CART',
      hold_owner_id: hold.ownerId,
      held_until: hold.until,
      version: sql`version + 1`,
    })
    .where('id', 'in', ids)
    .execute();
}

/** Sets a status directly (SOLD, ALLOCATED, …: states owned by other flows). */
export async function setStatus(db: Executor, ids: string[], status: SeatStatus): Promise<void> {
  await db
    .updateTable('match_seat_inventory')
    .set({ status, version: sql`version + 1` })
    .where('id', 'in', ids)
    .execute();
}

/**
 * A cart claim the way the sales module makes one (architecture invariant 3): one statement
 * that takes up to `count` claimable seats of a sector in snake order, skipping rows other
 * transactions have locked.
 */
export async function claimSeats(
  db: Executor,
  input: { matchSectorId: string; count: number; ownerId: string; now: Date; until: Date },
): Promise<string[]> {
  const result = await sql<{ id: string }>`
    UPDATE match_seat_inventory t
       SET status = 'RESERVED', hold_kind = 'CART', hold_owner_id = ${input.ownerId},
           held_until = ${input.until}, version = t.version + 1
     WHERE t.id IN (
       SELECT i.id FROM match_seat_inventory i
        WHERE i.match_sector_id = ${input.matchSectorId}
          AND (i.status = 'AVAILABLE' OR (i.status = 'RESERVED' AND i.held_until < ${input.now}))
        ORDER BY i.snake_order
        LIMIT ${input.count}
          FOR UPDATE SKIP LOCKED)
    RETURNING t.id`.execute(db);
  return result.rows.map((r) => r.id);
}

/**
 * A completed order with one ticket for a seat, the holder named with `holderEmail`
 * (the order belongs to `buyerId`). The seat becomes SOLD.
 */
export async function sellSeat(
  db: Executor,
  input: {
    matchId: string;
    inventoryId: string;
    buyerId: string;
    holderEmail: string | null;
    holderName?: string;
  },
): Promise<{ orderId: string; ticketId: string }> {
  const order = await db
    .insertInto('orders')
    .values({
      user_id: input.buyerId,
      match_id: input.matchId,
      status: 'COMPLETED',
      ticket_amount: 2500,
      ticket_vat_amount: 0,
      fee_amount: 0,
      fee_vat_amount: 0,
      total_amount: 2500,
      fee_percent_bp: 0,
      ticket_vat_bp: 0,
      fee_vat_bp: 0,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const barcode = Array.from({ length: 18 }, () => randomInt(10)).join('');
  const ticket = await db
    .insertInto('tickets')
    .values({
      order_id: order.id,
      match_id: input.matchId,
      match_seat_inventory_id: input.inventoryId,
      owner_user_id: input.buyerId,
      barcode,
      qr_code_data: `test:${barcode}`,
      price_amount: 2500,
      fee_amount: 0,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db
    .insertInto('ticket_holders')
    .values({
      ticket_id: ticket.id,
      full_name: input.holderName ?? 'Ivana Horvat',
      date_of_birth: '1990-05-01',
      nationality: 'HR',
      email: input.holderEmail,
      is_minor: false,
      source: 'MANUAL_ENTRY',
    })
    .execute();
  await setStatus(db, [input.inventoryId], 'SOLD');
  return { orderId: order.id, ticketId: ticket.id };
}
