import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type { TicketCancelReason } from '../../platform/db/types.generated.ts';
import {
  OPEN_ORDER_STATUSES,
  orderSources,
  orderTarget,
  ticketSources,
  ticketTarget,
} from '../sales/order-state.ts';

/**
 * The SQL of E11-F4: the existing tickets and open orders of listed people, found through
 * the OIB's blind index (a buyer through their profile, a holder through ticket_holders),
 * and their cancellation. Statuses are written as the sales machines say (order-state.ts).
 */

export interface AffectedTicketRow {
  ticket_id: string;
  order_id: string;
  order_number: string;
  blacklist_id: string;
  role: 'BUYER' | 'HOLDER';
  match_id: string;
  match_name: string;
  kick_off_time: Date;
  holder_name: string | null;
  holder_email: string | null;
  owner_user_id: string;
  buyer_user_id: string;
  buyer_email: string;
}

export interface AffectedOrderRow {
  order_id: string;
  order_number: string;
  blacklist_id: string;
  role: 'BUYER' | 'HOLDER';
  status: string;
  match_id: string;
}

/** A match still to be played (or being played): tickets of older ones are history. */
const UPCOMING_GRACE = sql`interval '6 hours'`;

/**
 * The valid (SOLD) tickets of upcoming matches the ACTIVE entries `ids` concern: every
 * ticket of an order their person bought (role BUYER: the whole order), and the ticket
 * they hold themselves (role HOLDER). A ticket both ways is listed once, as BUYER.
 */
export async function findAffectedTickets(
  db: Executor,
  entryIds: readonly string[],
  now: Date,
): Promise<AffectedTicketRow[]> {
  if (entryIds.length === 0) return [];
  const { rows } = await sql<AffectedTicketRow>`
    WITH e AS (
      SELECT id, oib_blind_index FROM blacklist WHERE id = ANY (${entryIds}::uuid[]) AND status = 'ACTIVE'
    ),
    hits AS (
      SELECT t.id AS ticket_id, e.id AS blacklist_id, 'BUYER' AS role
        FROM e JOIN profiles p ON p.oib_blind_index = e.oib_blind_index
        JOIN orders o ON o.user_id = p.user_id
        JOIN tickets t ON t.order_id = o.id AND t.status = 'SOLD'
      UNION ALL
      SELECT t.id, e.id, 'HOLDER'
        FROM e JOIN ticket_holders h ON h.oib_blind_index = e.oib_blind_index
        JOIN tickets t ON t.id = h.ticket_id AND t.status = 'SOLD'
    ),
    one AS (
      SELECT DISTINCT ON (ticket_id) ticket_id, blacklist_id, role FROM hits
       ORDER BY ticket_id, role   -- BUYER before HOLDER
    )
    SELECT one.ticket_id, t.order_id, o.order_number, one.blacklist_id, one.role,
           t.match_id, m.home_team || ' – ' || m.away_team AS match_name, m.kick_off_time,
           h.full_name AS holder_name, h.email AS holder_email, t.owner_user_id,
           o.user_id AS buyer_user_id, u.email AS buyer_email
      FROM one
      JOIN tickets t ON t.id = one.ticket_id
      JOIN orders o ON o.id = t.order_id
      JOIN users u ON u.id = o.user_id
      JOIN matches m ON m.id = t.match_id
      LEFT JOIN ticket_holders h ON h.ticket_id = t.id
     WHERE m.kick_off_time > ${now}::timestamptz - ${UPCOMING_GRACE}
     ORDER BY m.kick_off_time, o.order_number, t.id`.execute(db);
  return rows;
}

/**
 * Open orders (not paid yet, holding seats) the entries concern: bought by their person, or
 * naming them as a holder. Their payment may still succeed, so a confirmation cancels them.
 */
export async function findAffectedOpenOrders(
  db: Executor,
  entryIds: readonly string[],
): Promise<AffectedOrderRow[]> {
  if (entryIds.length === 0) return [];
  const { rows } = await sql<AffectedOrderRow>`
    WITH e AS (
      SELECT id, oib_blind_index FROM blacklist WHERE id = ANY (${entryIds}::uuid[]) AND status = 'ACTIVE'
    ),
    hits AS (
      SELECT o.id AS order_id, e.id AS blacklist_id, 'BUYER' AS role
        FROM e JOIN profiles p ON p.oib_blind_index = e.oib_blind_index
        JOIN orders o ON o.user_id = p.user_id AND o.status = ANY (${[...OPEN_ORDER_STATUSES]}::order_status[])
      UNION ALL
      SELECT i.order_id, e.id, 'HOLDER'
        FROM e JOIN order_items i ON i.holder_oib_blind_index = e.oib_blind_index
        JOIN orders o ON o.id = i.order_id AND o.status = ANY (${[...OPEN_ORDER_STATUSES]}::order_status[])
    ),
    one AS (
      SELECT DISTINCT ON (order_id) order_id, blacklist_id, role FROM hits ORDER BY order_id, role
    )
    SELECT one.order_id, o.order_number, one.blacklist_id, one.role, o.status::text AS status, o.match_id
      FROM one JOIN orders o ON o.id = one.order_id
     ORDER BY o.order_number`.execute(db);
  return rows;
}

/**
 * Serializes a confirmation with the purchases and transfers naming the same people: they
 * hold the shared lock of each OIB's blind index while they check and write
 * (`lockOibsShared`), a confirmation the exclusive one, so it sees what they committed.
 * Keys are taken in order: no two of these ever wait on each other in a cycle.
 */
export async function lockOibsExclusive(db: Executor, entryIds: readonly string[]): Promise<void> {
  if (entryIds.length === 0) return;
  await sql`
    SELECT pg_advisory_xact_lock(k) FROM (
      SELECT DISTINCT hashtextextended('blacklist:' || oib_blind_index, 0) AS k
        FROM blacklist WHERE id = ANY (${entryIds}::uuid[]) ORDER BY 1
    ) s`.execute(db);
}

export async function lockOibsShared(db: Executor, blindIndexes: readonly string[]): Promise<void> {
  if (blindIndexes.length === 0) return;
  await sql`
    SELECT pg_advisory_xact_lock_shared(k) FROM (
      SELECT DISTINCT hashtextextended('blacklist:' || x, 0) AS k
        FROM unnest(${[...blindIndexes]}::text[]) AS x ORDER BY 1
    ) s`.execute(db);
}

/** Locks the orders (in id order, as every other locker of several orders). */
export async function lockOrders(db: Executor, orderIds: readonly string[]): Promise<void> {
  if (orderIds.length === 0) return;
  await sql`SELECT id FROM orders WHERE id = ANY (${[...orderIds]}::uuid[]) ORDER BY id FOR UPDATE`.execute(
    db,
  );
}

export async function lockTickets(db: Executor, ticketIds: readonly string[]): Promise<void> {
  if (ticketIds.length === 0) return;
  await sql`SELECT id FROM tickets WHERE id = ANY (${[...ticketIds]}::uuid[]) ORDER BY id FOR UPDATE`.execute(
    db,
  );
}

/** ORDER_BLACKLISTED on the open orders; returns the ids it moved. */
export async function cancelOpenOrders(
  db: Executor,
  orderIds: readonly string[],
  now: Date,
): Promise<string[]> {
  if (orderIds.length === 0) return [];
  const rows = await db
    .updateTable('orders')
    .set({
      status: orderTarget('ORDER_BLACKLISTED'),
      cancelled_at: now,
      cancellation_reason: 'ORDER_BLACKLISTED',
    })
    .where('id', 'in', [...orderIds])
    .where('status', 'in', orderSources('ORDER_BLACKLISTED'))
    .returning('id')
    .execute();
  return rows.map((r) => r.id);
}

/** BLACKLIST_CANCELLED on SOLD tickets, with who, when and why; returns how many moved. */
export async function cancelTickets(
  db: Executor,
  tickets: ReadonlyArray<{
    id: string;
    reason: Extract<TicketCancelReason, `BLACKLIST_${string}`>;
  }>,
  by: string,
  now: Date,
): Promise<number> {
  if (tickets.length === 0) return 0;
  const { rows } = await sql<{ n: number }>`
    WITH moved AS (
      UPDATE tickets t
         SET status = ${ticketTarget('BLACKLIST_CANCELLED')}::ticket_status,
             cancelled_at = ${now}, cancelled_by = ${by}::uuid,
             cancellation_reason = x.reason::ticket_cancel_reason
        FROM unnest(${tickets.map((t) => t.id)}::uuid[], ${tickets.map((t) => t.reason)}::text[]) AS x(id, reason)
       WHERE t.id = x.id AND t.status = ANY (${[...ticketSources('BLACKLIST_CANCELLED')]}::ticket_status[])
      RETURNING 1
    )
    SELECT count(*)::int AS n FROM moved`.execute(db);
  return rows[0]!.n;
}

export async function markEntriesCancelled(
  db: Executor,
  entryIds: readonly string[],
  by: string,
  now: Date,
): Promise<void> {
  if (entryIds.length === 0) return;
  await db
    .updateTable('blacklist')
    .set({ tickets_cancelled_at: now, tickets_cancelled_by: by })
    .where('id', 'in', [...entryIds])
    .execute();
}

/** The ACTIVE entries of an import batch. */
export async function activeEntriesOfBatch(db: Executor, batchId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('blacklist')
    .select('id')
    .where('import_batch_id', '=', batchId)
    .where('status', '=', 'ACTIVE')
    .execute();
  return rows.map((r) => r.id);
}

export async function markBatchCancelled(
  db: Executor,
  batchId: string,
  by: string,
  now: Date,
): Promise<void> {
  await db
    .updateTable('blacklist_import_batches')
    .set({ tickets_cancelled_at: now, tickets_cancelled_by: by })
    .where('id', '=', batchId)
    .execute();
}

export async function findBatchForUpdate(db: Executor, batchId: string) {
  return db
    .selectFrom('blacklist_import_batches')
    .select(['id', 'tickets_cancelled_at'])
    .where('id', '=', batchId)
    .forUpdate()
    .executeTakeFirst();
}
