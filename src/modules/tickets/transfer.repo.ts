import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type { Insertable, Updateable } from 'kysely';
import type { TicketHolders, TransferLogs } from '../../platform/db/types.generated.ts';
import { ticketSources, ticketTarget } from '../sales/order-state.ts';

/** SQL of the holder transfer (E9-F5): the ticket under its lock, its holder, the log. */

export interface TransferTicketRow {
  id: string;
  owner_user_id: string;
  match_id: string;
  status: string;
  transfer_allowed: boolean;
  /** The quota's transfer_allowed when the ticket was claimed from a quota (E7), else null. */
  quota_transfer_allowed: boolean | null;
  kick_off_time: Date;
  home_team: string;
  away_team: string;
  owner_email: string;
  holder_name: string | null;
  holder_oib_encrypted: string | null;
  holder_email: string | null;
}

/**
 * The ticket with what a transfer checks; `forUpdate` locks the ticket row, so concurrent
 * transfers of one ticket run one after the other and the later sees the first's result.
 */
export async function findTicketForTransfer(
  db: Executor,
  ticketId: string,
  options: { forUpdate?: boolean } = {},
): Promise<TransferTicketRow | undefined> {
  // The lock first, on its own: a joined read locking the ticket would, once a concurrent
  // transfer commits, re-check the new row against the old owner's users row and find
  // nothing; read after the lock, the row is the winner's.
  if (options.forUpdate) {
    await sql`SELECT 1 FROM tickets WHERE id = ${ticketId} FOR UPDATE`.execute(db);
  }
  const { rows } = await sql<TransferTicketRow>`
    SELECT t.id, t.owner_user_id, t.match_id, t.status, t.transfer_allowed,
           m.kick_off_time, m.home_team, m.away_team, u.email AS owner_email,
           h.full_name AS holder_name, h.oib_encrypted AS holder_oib_encrypted,
           h.email AS holder_email,
           (SELECT q.transfer_allowed FROM quota_seats qs JOIN quotas q ON q.id = qs.quota_id
             WHERE qs.match_seat_inventory_id = t.match_seat_inventory_id
               AND qs.ticket_id = t.id
             LIMIT 1) AS quota_transfer_allowed
      FROM tickets t
      JOIN matches m ON m.id = t.match_id
      JOIN users u ON u.id = t.owner_user_id
      LEFT JOIN ticket_holders h ON h.ticket_id = t.id
     WHERE t.id = ${ticketId}`.execute(db);
  return rows[0];
}

/** The active account with this email (case-insensitive), if any. */
export async function findActiveUserIdByEmail(
  db: Executor,
  email: string,
): Promise<string | undefined> {
  const row = await db
    .selectFrom('users')
    .select('id')
    .where(sql<string>`lower(email)`, '=', email.toLowerCase())
    .where('status', '=', 'active')
    .executeTakeFirst();
  return row?.id;
}

/** Whether the person (OIB blind index) holds another valid ticket of the match. */
export async function holderHasTicketOfMatch(
  db: Executor,
  input: { matchId: string; oibBlindIndex: string; exceptTicketId: string },
): Promise<boolean> {
  const { rows } = await sql<{ found: boolean }>`
    SELECT EXISTS (
      SELECT 1 FROM ticket_holders h
        JOIN tickets t ON t.id = h.ticket_id
       WHERE h.oib_blind_index = ${input.oibBlindIndex}
         AND t.match_id = ${input.matchId}
         AND t.id <> ${input.exceptTicketId}
         AND t.status = ANY (${['SOLD', 'ATTENDED']}::ticket_status[])
    ) AS found`.execute(db);
  return rows[0]!.found;
}

/**
 * Moves the ticket to its new owner with a new barcode and QR payload (the old ones no
 * longer match the row, so scanners refuse them); status per HOLDER_TRANSFERRED. Returns
 * false when the ticket is no longer in a source status of the event.
 */
export async function moveTicket(
  db: Executor,
  input: { ticketId: string; ownerUserId: string; barcode: string; qrCodeData: string },
): Promise<boolean> {
  const result = await db
    .updateTable('tickets')
    .set({
      owner_user_id: input.ownerUserId,
      barcode: input.barcode,
      qr_code_data: input.qrCodeData,
      status: ticketTarget('HOLDER_TRANSFERRED'),
    })
    .where('id', '=', input.ticketId)
    .where('status', 'in', ticketSources('HOLDER_TRANSFERRED'))
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

export async function replaceHolder(
  db: Executor,
  ticketId: string,
  holder: Required<
    Pick<
      Updateable<TicketHolders>,
      | 'full_name'
      | 'date_of_birth'
      | 'nationality'
      | 'oib_encrypted'
      | 'oib_blind_index'
      | 'passport_encrypted'
      | 'email'
      | 'phone'
      | 'is_minor'
      | 'source'
    >
  >,
): Promise<void> {
  await db.updateTable('ticket_holders').set(holder).where('ticket_id', '=', ticketId).execute();
}

export async function insertTransferLog(
  db: Executor,
  log: Insertable<TransferLogs>,
): Promise<string> {
  const row = await db
    .insertInto('transfer_logs')
    .values(log)
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}
