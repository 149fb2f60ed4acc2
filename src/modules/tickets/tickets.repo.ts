import { sql, type Insertable } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type { TicketHolders, Tickets } from '../../platform/db/types.generated.ts';
import { CODE_TICKET_STATUSES, QR_VISIBLE_BEFORE_KICKOFF_MS } from './tickets.rules.ts';

/** SQL on tickets and ticket_holders (E4-F8, E9-F1) and the sale of an order's seats. */

export interface SoldSeat {
  id: string;
  /** The seat's status as the sale saw it (an expired foreign hold counts as AVAILABLE). */
  from_status: 'RESERVED' | 'AVAILABLE';
  /** Whether the seat was still held by the order itself. */
  own_hold: boolean;
}

/** A ticket to issue, with its holder (the holder's ticket_id is the ticket's id). */
export interface NewTicket {
  ticket: Insertable<Tickets> & { id: string; match_seat_inventory_id: string };
  holder: Omit<Insertable<TicketHolders>, 'ticket_id'>;
}

/**
 * The CTEs issuing tickets of sold seats, after a CTE `sold (id, own_hold, from_status)`
 * that the statement defines first: the tickets of the sold seats (one multi-row INSERT;
 * a ticket whose barcode is taken, by another ticket, a sibling of the same batch or
 * another ticket's extra code, is skipped), then, over the tickets actually inserted, their holders and the seat trail of
 * the sale (action SOLD, with ticket and order). A holder and a trail row exist for every
 * ticket inserted and for no other. The statement's result can read `t`, the inserted
 * tickets.
 */
function issueTicketsOfSoldSeats(input: { tickets: NewTicket[]; userId: string; now: Date }) {
  const tickets = JSON.stringify(input.tickets.map((x) => x.ticket));
  const holders = JSON.stringify(
    input.tickets.map((x) => ({ ...x.holder, ticket_id: x.ticket.id })),
  );
  return sql`
    t AS (
      INSERT INTO tickets
             (id, order_id, match_id, match_seat_inventory_id, owner_user_id, barcode,
              qr_code_data, status, price_amount, fee_amount, created_at)
      SELECT x.id, x.order_id, x.match_id, x.match_seat_inventory_id, x.owner_user_id,
             x.barcode, x.qr_code_data, x.status, x.price_amount, x.fee_amount, x.created_at
        FROM jsonb_populate_recordset(NULL::tickets, ${tickets}::jsonb) AS x
        JOIN sold ON sold.id = x.match_seat_inventory_id
             -- an extra code reserved for the gates is no one else's barcode (E2-F8)
       WHERE NOT EXISTS (SELECT 1 FROM extra_barcodes e
                          WHERE e.barcode = x.barcode AND e.assigned_ticket_id IS DISTINCT FROM x.id)
          ON CONFLICT (barcode) DO NOTHING
      RETURNING id, order_id, match_seat_inventory_id
    ),
    holders AS (
      INSERT INTO ticket_holders
             (ticket_id, full_name, date_of_birth, nationality, oib_encrypted, oib_blind_index,
              passport_encrypted, email, phone, is_minor, source)
      SELECT h.ticket_id, h.full_name, h.date_of_birth, h.nationality, h.oib_encrypted,
             h.oib_blind_index, h.passport_encrypted, h.email, h.phone, h.is_minor, h.source
        FROM jsonb_populate_recordset(NULL::ticket_holders, ${holders}::jsonb) AS h
        JOIN t ON t.id = h.ticket_id
    ),
    trail AS (
      INSERT INTO seat_audit_logs
             (match_seat_inventory_id, from_status, to_status, reason, changed_by, ticket_id,
              order_id, action, hold_kind, hold_owner_id, created_at)
      SELECT t.match_seat_inventory_id, sold.from_status, 'SOLD',
             'payment confirmed, ticket issued', ${input.userId}::uuid, t.id, t.order_id, 'SOLD',
             CASE WHEN sold.own_hold THEN 'ORDER'::hold_kind END,
             CASE WHEN sold.own_hold THEN t.order_id END, ${input.now}
        FROM t
        JOIN sold ON sold.id = t.match_seat_inventory_id
    )`;
}

/**
 * Sells an order's seats and issues their tickets in one statement. The seats are marked
 * SOLD all or nothing: each must still be held by the order (even past held_until: nobody
 * took it) or be claimable again (the hold was released but nobody bought it). It waits on
 * concurrent claimers (FOR UPDATE, no SKIP): a paid order deserves the definitive answer.
 * Only when all seats are sold are tickets written (issueTicketsOfSoldSeats). Returns the
 * seats sold (none or all) with, per seat, the ticket inserted, or null when its barcode
 * collided: the caller draws a new one and calls insertSoldTickets.
 */
export async function sellSeatsIssuingTickets(
  db: Executor,
  input: { orderId: string; userId: string; now: Date; tickets: NewTicket[] },
): Promise<Array<SoldSeat & { ticket_id: string | null }>> {
  const { orderId, now } = input;
  const inventoryIds = input.tickets.map((x) => x.ticket.match_seat_inventory_id);
  const { rows } = await sql<SoldSeat & { ticket_id: string | null }>`
    WITH target AS (
      SELECT m.id,
             (m.status = 'RESERVED' AND m.hold_owner_id = ${orderId}) AS own_hold
        FROM match_seat_inventory m
       WHERE m.id = ANY (${inventoryIds}::uuid[])
         AND ((m.status = 'RESERVED' AND m.hold_owner_id = ${orderId})
              OR m.status = 'AVAILABLE'
              OR (m.status = 'RESERVED' AND m.held_until < ${now}))
         FOR UPDATE
    ),
    complete AS (SELECT count(*) = ${inventoryIds.length} AS ok FROM target),
    sold AS (
      UPDATE match_seat_inventory m
         SET status = 'SOLD', hold_kind = NULL, hold_owner_id = NULL, held_until = NULL,
             last_modified_at = ${now}, last_modified_by = ${input.userId},
             version = m.version + 1
        FROM target, complete
       WHERE m.id = target.id AND complete.ok
      RETURNING m.id, target.own_hold,
                (CASE WHEN target.own_hold THEN 'RESERVED' ELSE 'AVAILABLE' END)::seat_status
                  AS from_status
    ),
    ${issueTicketsOfSoldSeats(input)}
    SELECT sold.id, sold.own_hold, sold.from_status, t.id AS ticket_id
      FROM sold LEFT JOIN t ON t.match_seat_inventory_id = sold.id`.execute(db);
  return rows;
}

/**
 * Issues tickets of seats already sold (sellSeatsIssuingTickets returned them) whose
 * barcode collided, with their holders and seat trail, in one statement. Returns the ids
 * of the tickets inserted; the caller draws new barcodes for the others.
 */
export async function insertSoldTickets(
  db: Executor,
  input: { tickets: NewTicket[]; sold: SoldSeat[]; userId: string; now: Date },
): Promise<string[]> {
  if (input.tickets.length === 0) return [];
  const { rows } = await sql<{ id: string }>`
    WITH sold AS (
      SELECT * FROM unnest(${input.sold.map((x) => x.id)}::uuid[],
                           ${input.sold.map((x) => x.own_hold)}::boolean[],
                           ${input.sold.map((x) => x.from_status)}::seat_status[])
                    AS s(id, own_hold, from_status)
    ),
    ${issueTicketsOfSoldSeats(input)}
    SELECT id FROM t`.execute(db);
  return rows.map((r) => r.id);
}

const ticketColumns = [
  't.id',
  't.order_id',
  't.match_id',
  't.barcode',
  't.qr_code_data',
  't.status',
  't.price_amount',
  't.fee_amount',
  't.transfer_allowed',
  't.owner_user_id',
  't.external_ticket_required',
  't.external_pdf_url',
  't.created_at',
  'm.home_team',
  'm.away_team',
  'm.competition',
  'm.kick_off_time',
  'ms.name as sector_name',
  'ms.code as sector_code',
  's.row_identifier',
  's.seat_number',
  'h.full_name as holder_name',
  'h.is_minor as holder_is_minor',
  'h.oib_encrypted as holder_oib_encrypted',
  'o.order_number',
  'st.name as stadium_name',
  'st.city as stadium_city',
  'st.address as stadium_address',
  'st.latitude as stadium_latitude',
  'st.longitude as stadium_longitude',
] as const;

function ticketQuery(db: Executor) {
  return db
    .selectFrom('tickets as t')
    .innerJoin('orders as o', 'o.id', 't.order_id')
    .innerJoin('matches as m', 'm.id', 't.match_id')
    .innerJoin('match_seat_inventory as i', 'i.id', 't.match_seat_inventory_id')
    .innerJoin('seats as s', 's.id', 'i.seat_id')
    .innerJoin('match_sectors as ms', 'ms.id', 'i.match_sector_id')
    .leftJoin('ticket_holders as h', 'h.ticket_id', 't.id')
    .leftJoin('stadiums as st', 'st.id', 'm.venue_id')
    .select(ticketColumns);
}

export async function listOwnedTickets(db: Executor, userId: string) {
  return ticketQuery(db)
    .where('t.owner_user_id', '=', userId)
    .orderBy('m.kick_off_time')
    .orderBy('ms.code')
    .orderBy('s.row_identifier')
    .orderBy('s.seat_number')
    .execute();
}

export async function findOwnedTicket(db: Executor, userId: string, ticketId: string) {
  return ticketQuery(db)
    .where('t.owner_user_id', '=', userId)
    .where('t.id', '=', ticketId)
    .executeTakeFirst();
}

/** A ticket whoever owns it (wallet passes check the owner themselves). */
export async function findTicket(db: Executor, ticketId: string) {
  return ticketQuery(db).where('t.id', '=', ticketId).executeTakeFirst();
}

/** The valid tickets of a match with their holders (away-match PDFs are matched to them). */
export async function listValidTicketsOfMatch(db: Executor, matchId: string) {
  return ticketQuery(db)
    .innerJoin('users as u', 'u.id', 't.owner_user_id')
    .select(['h.email as holder_email', 'u.email as owner_email'])
    .where('t.match_id', '=', matchId)
    .where('t.status', 'in', ['SOLD', 'ATTENDED'])
    .orderBy('ms.code')
    .orderBy('s.row_identifier')
    .orderBy('s.seat_number')
    .execute();
}

/** An order's tickets, whoever owns them now (order details, E9-F7), in seat order. */
export async function listTicketsOfOrder(db: Executor, orderId: string) {
  return ticketQuery(db)
    .where('t.order_id', '=', orderId)
    .orderBy('ms.code')
    .orderBy('s.row_identifier')
    .orderBy('s.seat_number')
    .execute();
}

/** Marks a ticket as admitted by the host's PDF (E9-F6); false when it is not valid. */
export async function setExternalTicket(
  db: Executor,
  ticketId: string,
  pdfUrl: string,
): Promise<boolean> {
  const r = await db
    .updateTable('tickets')
    .set({ external_pdf_url: pdfUrl, external_ticket_required: true })
    .where('id', '=', ticketId)
    .where('status', 'in', ['SOLD', 'ATTENDED'])
    .executeTakeFirst();
  return r.numUpdatedRows === 1n;
}

/**
 * Tickets that may not change holder by self-service (a quota without transfer_allowed,
 * E7-F1): their views say so, and a transfer is refused.
 */
export async function disallowTicketTransfers(
  db: Executor,
  ticketIds: readonly string[],
): Promise<void> {
  if (ticketIds.length === 0) return;
  await db
    .updateTable('tickets')
    .set({ transfer_allowed: false })
    .where('id', 'in', [...ticketIds])
    .execute();
}

/**
 * Whether the user owns one of the order's tickets (received by transfer, say) or is named
 * as the holder of one (by the email of their account).
 */
export async function hasTicketOfOrder(
  db: Executor,
  orderId: string,
  userId: string,
): Promise<boolean> {
  const { rows } = await sql<{ found: boolean }>`
    SELECT EXISTS (
      SELECT 1
        FROM tickets t
        LEFT JOIN ticket_holders h ON h.ticket_id = t.id
       WHERE t.order_id = ${orderId}
         AND (t.owner_user_id = ${userId}
              OR lower(h.email) = (SELECT lower(email) FROM users WHERE id = ${userId}))
    ) AS found`.execute(db);
  return rows[0]!.found;
}

/** Ticket ids per order, in issue order (the order list of GET /orders). */
export async function listTicketIdsOfOrders(
  db: Executor,
  orderIds: readonly string[],
): Promise<Map<string, string[]>> {
  const map = new Map<string, string[]>();
  if (orderIds.length === 0) return map;
  const rows = await db
    .selectFrom('tickets')
    .select(['order_id', 'id'])
    .where('order_id', 'in', orderIds)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  for (const r of rows) map.set(r.order_id, [...(map.get(r.order_id) ?? []), r.id]);
  return map;
}

export interface QrReadyTicket {
  owner_user_id: string;
  match_id: string;
  home_team: string;
  away_team: string;
  kick_off_time: Date;
  /** Whether the owner is told: bought before the QR opened and the match not yet started. */
  notify: boolean;
}

/**
 * Takes up to `limit` tickets whose QR has opened (kick-off − 5 h ≤ now) and that were not
 * handled yet, marks them handled (qr_ready_notified_at) and returns them with whether
 * their owner is to be told: only for a valid ticket bought before the QR opened (a later
 * purchase said so itself) of a match not yet kicked off. Every ticket is marked, told or
 * not, so the pending index drains. SKIP LOCKED: concurrent runs take disjoint tickets and
 * each is returned once.
 */
export async function takeQrReadyTickets(
  db: Executor,
  now: Date,
  limit: number,
): Promise<QrReadyTicket[]> {
  const opensBy = new Date(now.getTime() + QR_VISIBLE_BEFORE_KICKOFF_MS);
  const { rows } = await sql<QrReadyTicket>`
    WITH due AS (
      SELECT t.id, t.owner_user_id, t.match_id, m.home_team, m.away_team, m.kick_off_time,
             (t.created_at < m.kick_off_time - ${QR_VISIBLE_BEFORE_KICKOFF_MS} * interval '1 millisecond'
              AND m.kick_off_time > ${now}
              AND t.status = ANY (${CODE_TICKET_STATUSES}::ticket_status[])) AS notify
        FROM matches m
        JOIN tickets t ON t.match_id = m.id
       WHERE m.kick_off_time <= ${opensBy}
         AND t.qr_ready_notified_at IS NULL
       ORDER BY m.kick_off_time, t.owner_user_id, t.id
       LIMIT ${limit}
         FOR UPDATE OF t SKIP LOCKED
    )
    UPDATE tickets t
       SET qr_ready_notified_at = ${now}
      FROM due
     WHERE t.id = due.id
    RETURNING due.owner_user_id, due.match_id, due.home_team, due.away_team,
              due.kick_off_time, due.notify`.execute(db);
  return rows;
}
