import { sql, type RawBuilder } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type { TicketStatus } from '../../platform/db/types.generated.ts';

/** SQL of the ticket lookup (E10-F1): the filtered page of tickets, then their history. */

export interface SearchFilter {
  /** The OIB's blind index: matched against holders and buyers' default profiles. */
  oibBlindIndex?: string;
  orderNumber?: string;
  /** Lower case. */
  email?: string;
  /** Digits as normalizePhone gives them. */
  phone?: string;
  matchId?: string;
  barcode?: string;
  offset: number;
  limit: number;
}

export interface SearchRow {
  ticket_id: string;
  ticket_status: TicketStatus;
  barcode: string;
  price_amount: number;
  fee_amount: number;
  ticket_created_at: Date;
  owner_user_id: string;
  order_id: string;
  order_number: string;
  order_status: string;
  refund_status: string;
  total_amount: number;
  order_created_at: Date;
  buyer_user_id: string;
  buyer_email: string;
  buyer_name: string | null;
  buyer_phone: string | null;
  match_id: string;
  home_team: string;
  away_team: string;
  kick_off_time: Date;
  sector_code: string;
  sector_name: string;
  row_identifier: string;
  seat_number: number;
  holder_name: string | null;
  holder_oib_encrypted: string | null;
  holder_email: string | null;
  holder_phone: string | null;
  holder_is_minor: boolean | null;
  total: number;
}

/** The stored forms a phone in normalizePhone's digits may have: international, 00, national 0. */
export function phoneForms(digits: string): string[] {
  const forms = [digits, `00${digits}`];
  if (digits.startsWith('385')) forms.push(`0${digits.slice(3)}`);
  return forms;
}

// Each criterion is a set of ticket ids read through an index (blind index, unique order
// number and email, the expression indexes of the support migration), so a search never
// scans the tickets of every match; the sets are intersected with the other criteria.
const buyerTickets = (profileWhere: RawBuilder<unknown>) => sql`
  SELECT tk.id FROM profiles p
    JOIN orders o ON o.user_id = p.user_id
    JOIN tickets tk ON tk.order_id = o.id
   WHERE ${profileWhere}`;
const phoneDigits = (column: string) => sql`regexp_replace(${sql.ref(column)}, '\\D', '', 'g')`;

/** One page of tickets matching every given criterion, newest order first, with the total. */
export async function searchTickets(db: Executor, f: SearchFilter): Promise<SearchRow[]> {
  const { rows } = await searchTicketsQuery(f).execute(db);
  return rows;
}

/** The search statement (its plan is checked in test/support/lookup.test.ts). */
export function searchTicketsQuery(f: SearchFilter) {
  const where: RawBuilder<unknown>[] = [];
  if (f.oibBlindIndex !== undefined) {
    where.push(sql`t.id IN (
      SELECT ticket_id FROM ticket_holders WHERE oib_blind_index = ${f.oibBlindIndex}
      UNION ${buyerTickets(sql`p.oib_blind_index = ${f.oibBlindIndex}`)})`);
  }
  if (f.orderNumber !== undefined) {
    where.push(sql`t.order_id IN (SELECT id FROM orders WHERE order_number = ${f.orderNumber})`);
  }
  if (f.email !== undefined) {
    where.push(sql`t.id IN (
      SELECT tk.id FROM users ub JOIN orders o ON o.user_id = ub.id JOIN tickets tk ON tk.order_id = o.id
       WHERE ub.email = ${f.email}
      UNION SELECT tk.id FROM users uo JOIN tickets tk ON tk.owner_user_id = uo.id
       WHERE uo.email = ${f.email}
      UNION ${buyerTickets(sql`lower(p.email) = ${f.email}`)}
      UNION SELECT ticket_id FROM ticket_holders WHERE lower(email) = ${f.email})`);
  }
  if (f.phone !== undefined) {
    const forms = phoneForms(f.phone);
    where.push(sql`t.id IN (
      ${buyerTickets(sql`${phoneDigits('p.phone')} = ANY (${forms}::text[])`)}
      UNION SELECT ticket_id FROM ticket_holders h2
       WHERE ${phoneDigits('h2.phone')} = ANY (${forms}::text[]))`);
  }
  if (f.matchId !== undefined) where.push(sql`t.match_id = ${f.matchId}`);
  if (f.barcode !== undefined) where.push(sql`t.barcode = ${f.barcode}`);
  return sql<SearchRow>`
    SELECT t.id AS ticket_id, t.status AS ticket_status, t.barcode, t.price_amount,
           t.fee_amount, t.created_at AS ticket_created_at, t.owner_user_id,
           o.id AS order_id, o.order_number, o.status AS order_status, o.refund_status,
           o.total_amount, o.created_at AS order_created_at,
           u.id AS buyer_user_id, u.email AS buyer_email, p.full_name AS buyer_name,
           p.phone AS buyer_phone,
           m.id AS match_id, m.home_team, m.away_team, m.kick_off_time,
           ms.code AS sector_code, ms.name AS sector_name, s.row_identifier, s.seat_number,
           h.full_name AS holder_name, h.oib_encrypted AS holder_oib_encrypted,
           h.email AS holder_email, h.phone AS holder_phone, h.is_minor AS holder_is_minor,
           count(*) OVER ()::int AS total
      FROM tickets t
      JOIN orders o ON o.id = t.order_id
      JOIN users u ON u.id = o.user_id
      LEFT JOIN profiles p ON p.user_id = o.user_id
      JOIN matches m ON m.id = t.match_id
      JOIN match_seat_inventory i ON i.id = t.match_seat_inventory_id
      JOIN seats s ON s.id = i.seat_id
      JOIN match_sectors ms ON ms.id = i.match_sector_id
      LEFT JOIN ticket_holders h ON h.ticket_id = t.id
     WHERE ${sql.join(where, sql` AND `)}
     ORDER BY o.created_at DESC, o.id, ms.code, s.row_identifier, s.seat_number, t.id
     LIMIT ${f.limit} OFFSET ${f.offset}`;
}

export async function listTransfersOf(db: Executor, ticketIds: string[]) {
  return db
    .selectFrom('transfer_logs')
    .select([
      'id',
      'ticket_id',
      'transfer_type',
      'from_holder_name',
      'to_holder_name',
      'initiated_by',
      'reason',
      'transferred_at',
    ])
    .where('ticket_id', 'in', ticketIds)
    .orderBy('transferred_at')
    .orderBy('id')
    .execute();
}

export async function listPrintsOf(db: Executor, ticketIds: string[]) {
  return db
    .selectFrom('print_logs')
    .select([
      'id',
      'ticket_id',
      'print_number',
      'agent_id',
      'reason',
      'layout',
      'print_location',
      'verification_document_type',
      'printed_at',
    ])
    .where('ticket_id', 'in', ticketIds)
    .orderBy('print_number')
    .execute();
}

export async function listRefundsOf(db: Executor, ticketIds: string[]) {
  return db
    .selectFrom('refund_tickets as rt')
    .innerJoin('refunds as r', 'r.id', 'rt.refund_id')
    .select([
      'rt.ticket_id',
      'r.id',
      'r.status',
      'r.source',
      'r.refund_amount',
      'rt.ticket_amount',
      'r.reason',
      'r.created_at',
      'r.completed_at',
    ])
    .where('rt.ticket_id', 'in', ticketIds)
    .orderBy('r.created_at')
    .orderBy('r.id')
    .execute();
}
