import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type { FreeSeat } from '../sales/seat-runs.ts';

/**
 * SQL of the seat side of a sector-to-sector transfer (E3-F6): the destination's free
 * seats locked for the transfer, taking them for moved tickets, blocking the seats the
 * tickets left. Each is one statement, with its seat_audit_logs rows in the same statement.
 */

/** A claimable seat, as the sale sees it (AVAILABLE, or a hold that has expired). */
const claimable = (alias: string, now: Date) =>
  sql`(${sql.ref(`${alias}.status`)} = 'AVAILABLE' OR (${sql.ref(`${alias}.status`)} = 'RESERVED' AND ${sql.ref(`${alias}.held_until`)} < ${now}))`;

/**
 * Locks every claimable seat of the sector, in snake order, and returns them. SKIP LOCKED,
 * as the sale's claims: a seat a fan is claiming right now is the fan's (the transfer plans
 * without it and never waits); a seat locked here is passed over by every claim until the
 * transfer commits or rolls back. So no seat is given to a fan and a moved ticket both.
 */
export async function lockClaimableSeats(
  db: Executor,
  matchSectorId: string,
  now: Date,
): Promise<FreeSeat[]> {
  const { rows } = await sql<FreeSeat>`
    SELECT i.id, i.row_index, i.col_index, i.snake_order
      FROM match_seat_inventory i
     WHERE i.match_sector_id = ${matchSectorId} AND ${claimable('i', now)}
     ORDER BY i.snake_order
       FOR UPDATE SKIP LOCKED`.execute(db);
  return rows;
}

export interface SeatMove {
  inventory_id: string;
  ticket_id: string;
  order_id: string;
}

/**
 * The locked destination seats become SOLD for their tickets (holds cleared), each with a
 * TRANSFER_IN trail row. Only seats still claimable change; returns how many did.
 */
export async function occupySeats(
  db: Executor,
  moves: readonly SeatMove[],
  t: { transferId: string; reason: string; actorId: string | null; now: Date },
): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    WITH m AS (
      SELECT * FROM unnest(${sql.val(moves.map((x) => x.inventory_id))}::uuid[],
                           ${sql.val(moves.map((x) => x.ticket_id))}::uuid[],
                           ${sql.val(moves.map((x) => x.order_id))}::uuid[])
               AS m(inventory_id, ticket_id, order_id)
    ),
    taken AS (
      UPDATE match_seat_inventory i
         SET status = 'SOLD', hold_kind = NULL, hold_owner_id = NULL, held_until = NULL,
             last_modified_at = ${t.now}, last_modified_by = ${t.actorId},
             version = i.version + 1
        FROM m
       WHERE i.id = m.inventory_id AND ${claimable('i', t.now)}
      RETURNING i.id, m.ticket_id, m.order_id
    ),
    logged AS (
      INSERT INTO seat_audit_logs (match_seat_inventory_id, from_status, to_status, reason,
                                   changed_by, ticket_id, order_id, action, sector_transfer_id,
                                   created_at)
      SELECT id, 'AVAILABLE', 'SOLD', ${t.reason}, ${t.actorId}, ticket_id, order_id,
             'TRANSFER_IN', ${t.transferId}, ${t.now}
        FROM taken
    )
    SELECT count(*)::int AS n FROM taken`.execute(db);
  return rows[0]!.n;
}

/**
 * The seats the moved tickets left become BLOCKED (nobody may buy a seat taken out of use),
 * each with a TRANSFER_OUT trail row. Only SOLD seats change; returns how many did.
 */
export async function blockVacatedSeats(
  db: Executor,
  moves: readonly SeatMove[],
  t: { transferId: string; reason: string; actorId: string | null; now: Date },
): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    WITH m AS (
      SELECT * FROM unnest(${sql.val(moves.map((x) => x.inventory_id))}::uuid[],
                           ${sql.val(moves.map((x) => x.ticket_id))}::uuid[],
                           ${sql.val(moves.map((x) => x.order_id))}::uuid[])
               AS m(inventory_id, ticket_id, order_id)
    ),
    blocked AS (
      UPDATE match_seat_inventory i
         SET status = 'BLOCKED', last_modified_at = ${t.now}, last_modified_by = ${t.actorId},
             version = i.version + 1
        FROM m
       WHERE i.id = m.inventory_id AND i.status = 'SOLD'
      RETURNING i.id, m.ticket_id, m.order_id
    ),
    logged AS (
      INSERT INTO seat_audit_logs (match_seat_inventory_id, from_status, to_status, reason,
                                   changed_by, ticket_id, order_id, action, sector_transfer_id,
                                   created_at)
      SELECT id, 'SOLD', 'BLOCKED', ${t.reason}, ${t.actorId}, ticket_id, order_id,
             'TRANSFER_OUT', ${t.transferId}, ${t.now}
        FROM blocked
    )
    SELECT count(*)::int AS n FROM blocked`.execute(db);
  return rows[0]!.n;
}
