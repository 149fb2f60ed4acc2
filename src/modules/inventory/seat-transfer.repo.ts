import { sql, type RawBuilder } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type { FreeSeat } from '../sales/seat-runs.ts';
import type { SeatStatus } from './seat-status.ts';

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

type TransferTrail = { transferId: string; reason: string; actorId: string | null; now: Date };

/**
 * One seat move of a transfer as one statement: the seats of `moves` that pass `where`
 * get `set`, and each one changed a seat_audit_logs row `from` → `to` with `action`, the
 * ticket, its order and the transfer. Returns how many seats changed.
 */
async function moveWithTrail(
  db: Executor,
  moves: readonly SeatMove[],
  t: TransferTrail,
  step: {
    set: RawBuilder<unknown>;
    where: RawBuilder<unknown>;
    from: SeatStatus;
    to: SeatStatus;
    action: 'TRANSFER_IN' | 'TRANSFER_OUT';
  },
): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    WITH m AS (
      SELECT * FROM unnest(${sql.val(moves.map((x) => x.inventory_id))}::uuid[],
                           ${sql.val(moves.map((x) => x.ticket_id))}::uuid[],
                           ${sql.val(moves.map((x) => x.order_id))}::uuid[])
               AS m(inventory_id, ticket_id, order_id)
    ),
    moved AS (
      UPDATE match_seat_inventory i
         SET ${step.set}, last_modified_at = ${t.now}, last_modified_by = ${t.actorId},
             version = i.version + 1
        FROM m
       WHERE i.id = m.inventory_id AND ${step.where}
      RETURNING i.id, m.ticket_id, m.order_id
    ),
    logged AS (
      INSERT INTO seat_audit_logs (match_seat_inventory_id, from_status, to_status, reason,
                                   changed_by, ticket_id, order_id, action, sector_transfer_id,
                                   created_at)
      SELECT id, ${step.from}::seat_status, ${step.to}::seat_status, ${t.reason}, ${t.actorId},
             ticket_id, order_id,
             ${step.action}::seat_audit_action, ${t.transferId}, ${t.now}
        FROM moved
    )
    SELECT count(*)::int AS n FROM moved`.execute(db);
  return rows[0]!.n;
}

/**
 * The locked destination seats become SOLD for their tickets (holds cleared), each with a
 * TRANSFER_IN trail row. Only seats still claimable change.
 */
export const occupySeats = (db: Executor, moves: readonly SeatMove[], t: TransferTrail) =>
  moveWithTrail(db, moves, t, {
    set: sql`status = 'SOLD', hold_kind = NULL, hold_owner_id = NULL, held_until = NULL`,
    where: claimable('i', t.now),
    // A claimable seat is AVAILABLE in effect (an expired hold counts as available).
    from: 'AVAILABLE',
    to: 'SOLD',
    action: 'TRANSFER_IN',
  });

/**
 * The seats the moved tickets left become BLOCKED (nobody may buy a seat taken out of use),
 * each with a TRANSFER_OUT trail row. Only SOLD seats change.
 */
export const blockVacatedSeats = (db: Executor, moves: readonly SeatMove[], t: TransferTrail) =>
  moveWithTrail(db, moves, t, {
    set: sql`status = 'BLOCKED'`,
    where: sql`i.status = 'SOLD'`,
    from: 'SOLD',
    to: 'BLOCKED',
    action: 'TRANSFER_OUT',
  });
