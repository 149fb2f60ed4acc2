import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import { VALID_TICKET_STATUSES } from '../sales/order-state.ts';

/** SQL of sector-to-sector transfers (E3-F6): the tickets moved and the transfer record. */

export async function findMatchSector(db: Executor, matchId: string, matchSectorId: string) {
  return db
    .selectFrom('match_sectors')
    .select(['id', 'code', 'name', 'is_numbered'])
    .where('match_id', '=', matchId)
    .where('id', '=', matchSectorId)
    .executeTakeFirst();
}

export interface TicketToMove {
  id: string;
  order_id: string;
  match_seat_inventory_id: string;
  match_sector_id: string;
  snake_order: number;
}

/**
 * Locks the valid tickets on the source (a list of inventory seats, or a whole match
 * sector), in the source's snake order. A concurrent transfer or holder transfer of the
 * same ticket waits here, then sees the ticket's new seat and leaves it out.
 */
export async function lockTicketsToMove(
  db: Executor,
  matchId: string,
  source: { seatIds?: string[]; matchSectorId?: string },
): Promise<TicketToMove[]> {
  const where = source.seatIds
    ? sql`i.id = ANY(${sql.val(source.seatIds)}::uuid[])`
    : sql`i.match_sector_id = ${source.matchSectorId!}`;
  const { rows } = await sql<TicketToMove>`
    SELECT t.id, t.order_id, t.match_seat_inventory_id, i.match_sector_id, i.snake_order
      FROM tickets t
      JOIN match_seat_inventory i ON i.id = t.match_seat_inventory_id
     WHERE t.match_id = ${matchId} AND i.match_id = ${matchId} AND ${where}
       AND t.status = ANY(${sql.val(VALID_TICKET_STATUSES)}::ticket_status[])
     ORDER BY i.snake_order, t.id
       FOR UPDATE OF t`.execute(db);
  return rows;
}

/** Seat labels for responses and messages: sector code, row, number. */
export async function seatLabels(db: Executor, inventoryIds: readonly string[]) {
  const { rows } = await sql<{
    id: string;
    sector_code: string;
    row_identifier: string;
    seat_number: number;
  }>`
    SELECT i.id, ms.code AS sector_code, s.row_identifier, s.seat_number
      FROM match_seat_inventory i
      JOIN match_sectors ms ON ms.id = i.match_sector_id
      JOIN seats s ON s.id = i.seat_id
     WHERE i.id = ANY(${sql.val(inventoryIds)}::uuid[])`.execute(db);
  return new Map(rows.map((r) => [r.id, r]));
}

export async function insertSectorTransfer(
  db: Executor,
  row: {
    match_id: string;
    from_match_sector_id: string | null;
    to_match_sector_id: string;
    tickets_moved: number;
    orders_split: number;
    reason: string;
    performed_by: string | null;
    created_at: Date;
  },
): Promise<string> {
  const { id } = await db
    .insertInto('sector_transfers')
    .values(row)
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

/**
 * Each ticket to its new seat with its new barcode and signed QR, one statement. The
 * status is not written (a moved ticket stays valid); only valid tickets move.
 */
export async function moveTickets(
  db: Executor,
  moves: ReadonlyArray<{ ticketId: string; inventoryId: string; barcode: string; qr: string }>,
): Promise<number> {
  const result = await sql`
    UPDATE tickets t
       SET match_seat_inventory_id = m.inventory_id, barcode = m.barcode, qr_code_data = m.qr
      FROM unnest(${sql.val(moves.map((m) => m.ticketId))}::uuid[],
                  ${sql.val(moves.map((m) => m.inventoryId))}::uuid[],
                  ${sql.val(moves.map((m) => m.barcode))}::text[],
                  ${sql.val(moves.map((m) => m.qr))}::text[]) AS m(ticket_id, inventory_id, barcode, qr)
     WHERE t.id = m.ticket_id
       AND t.status = ANY(${sql.val(VALID_TICKET_STATUSES)}::ticket_status[])`.execute(db);
  return Number(result.numAffectedRows ?? 0n);
}

/** Who to tell about each moved ticket: the account it is in and the named holder. */
export async function peopleOfTickets(db: Executor, ticketIds: readonly string[]) {
  const { rows } = await sql<{
    ticket_id: string;
    user_id: string;
    user_email: string;
    user_name: string | null;
    user_nationality: string | null;
    holder_email: string | null;
    holder_name: string | null;
    holder_nationality: string | null;
  }>`
    SELECT t.id AS ticket_id, u.id AS user_id, u.email AS user_email, p.full_name AS user_name,
           p.nationality AS user_nationality, lower(h.email) AS holder_email,
           h.full_name AS holder_name, h.nationality AS holder_nationality
      FROM tickets t
      JOIN users u ON u.id = t.owner_user_id
      LEFT JOIN profiles p ON p.user_id = u.id
      LEFT JOIN ticket_holders h ON h.ticket_id = t.id
     WHERE t.id = ANY(${sql.val(ticketIds)}::uuid[])`.execute(db);
  return rows;
}

export async function matchName(db: Executor, matchId: string) {
  const m = await db
    .selectFrom('matches')
    .select(['home_team', 'away_team'])
    .where('id', '=', matchId)
    .executeTakeFirst();
  return m ? `${m.home_team} – ${m.away_team}` : null;
}
