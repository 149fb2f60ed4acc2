import { sql, type RawBuilder } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import { TICKET_TYPE_OF_PHASE, type TicketType } from './reports.rules.ts';

/**
 * The sales report's reads (E14-F1). Read-only: the tables belong to sales (orders,
 * order_items), tickets, matches (match_sectors, sales_phases), inventory, venues (seats)
 * and quotas (quota_seats). A row is one sold seat: an order line of an order that
 * completed (tickets were issued), whatever happened to it since (refunds keep the sale
 * and are subtracted from the revenue).
 */

export interface SalesFilters {
  matchId?: string;
  /** Bounds on orders.completed_at: from inclusive, until exclusive. */
  from: Date | null;
  until: Date | null;
  ticketType?: TicketType;
  /** A match sector code (e.g. "A1"). */
  sectorCode?: string;
}

/** The ticket type of a line (reports.rules.ts says how it is derived). */
const ticketTypeExpr = sql<TicketType>`(CASE
  WHEN EXISTS (SELECT 1 FROM quota_seats qs
                WHERE qs.match_seat_inventory_id = oi.match_seat_inventory_id
                  AND (qs.ticket_id = t.id OR (o.cart_id IS NOT NULL AND qs.claim_cart_id = o.cart_id)))
    THEN 'quota'
  ${sql.join(
    Object.entries(TICKET_TYPE_OF_PHASE).map(
      ([phase, type]) => sql`WHEN sp.phase_type = ${sql.lit(phase)} THEN ${sql.lit(type)}`,
    ),
    sql` `,
  )}
  ELSE 'public' END)`;

/** The lines in scope: FROM and WHERE of every sales report statement. */
function linesIn(f: SalesFilters): RawBuilder<unknown> {
  const where = [sql`o.completed_at IS NOT NULL`, sql`o.status IN ('COMPLETED', 'REFUNDED')`];
  if (f.matchId) where.push(sql`o.match_id = ${f.matchId}`);
  if (f.from) where.push(sql`o.completed_at >= ${f.from}`);
  if (f.until) where.push(sql`o.completed_at < ${f.until}`);
  if (f.sectorCode) where.push(sql`ms.code = ${f.sectorCode}`);
  if (f.ticketType) where.push(sql`${ticketTypeExpr} = ${f.ticketType}`);
  return sql`
      FROM order_items oi
      JOIN orders o ON o.id = oi.order_id
      JOIN match_sectors ms ON ms.id = oi.match_sector_id
      JOIN match_seat_inventory i ON i.id = oi.match_seat_inventory_id
      JOIN seats s ON s.id = i.seat_id
      JOIN matches m ON m.id = o.match_id
      LEFT JOIN sales_phases sp ON sp.id = o.sales_phase_id
      LEFT JOIN tickets t ON t.order_id = o.id AND t.match_seat_inventory_id = oi.match_seat_inventory_id
     WHERE ${sql.join(where, sql` AND `)}`;
}

export interface SalesTotalsRow {
  orders: number;
  tickets: number;
  ticket_amount: number;
  fee_amount: number;
  vat_amount: number;
  refunded_amount: number;
}

/**
 * Totals of the lines in scope. An order's refunded amount counts in full when all its
 * lines are in scope, else in proportion to the share of its amount the lines in scope
 * carry (a sector filter can split an order).
 */
export async function salesTotals(db: Executor, f: SalesFilters): Promise<SalesTotalsRow> {
  const { rows } = await sql<SalesTotalsRow>`
    WITH lines AS (
      SELECT o.id AS order_id, o.total_amount, o.refunded_amount,
             oi.unit_price, oi.fee_amount, oi.ticket_vat_amount + oi.fee_vat_amount AS vat
      ${linesIn(f)}
    ), per_order AS (
      SELECT order_id, max(total_amount) AS total, max(refunded_amount) AS refunded,
             sum(unit_price + fee_amount) AS in_scope
        FROM lines GROUP BY order_id
    )
    SELECT (SELECT count(*) FROM per_order)::int AS orders,
           count(*)::int AS tickets,
           coalesce(sum(unit_price), 0)::bigint AS ticket_amount,
           coalesce(sum(fee_amount), 0)::bigint AS fee_amount,
           coalesce(sum(vat), 0)::bigint AS vat_amount,
           (SELECT coalesce(sum(CASE WHEN in_scope = total THEN refunded
                                     ELSE round(refunded * in_scope::numeric / nullif(total, 0)) END), 0)
              FROM per_order)::bigint AS refunded_amount
      FROM lines`.execute(db);
  return rows[0]!;
}

export interface SalesGroupRow {
  key: string;
  label: string;
  tickets: number;
  gross_amount: number;
}

/** Tickets and gross amount per ticket type. */
export async function salesByTicketType(db: Executor, f: SalesFilters): Promise<SalesGroupRow[]> {
  const { rows } = await sql<SalesGroupRow>`
    SELECT tt AS key, tt AS label, count(*)::int AS tickets, sum(amount)::bigint AS gross_amount
      FROM (SELECT ${ticketTypeExpr} AS tt, oi.unit_price + oi.fee_amount AS amount ${linesIn(f)}) x
     GROUP BY tt ORDER BY tt`.execute(db);
  return rows;
}

/** Tickets and gross amount per sector code. */
export async function salesBySector(db: Executor, f: SalesFilters): Promise<SalesGroupRow[]> {
  const { rows } = await sql<SalesGroupRow>`
    SELECT ms.code AS key, min(ms.name) AS label, count(*)::int AS tickets,
           sum(oi.unit_price + oi.fee_amount)::bigint AS gross_amount
      ${linesIn(f)}
     GROUP BY ms.code ORDER BY ms.code`.execute(db);
  return rows;
}

export interface SalesLineRow {
  order_number: string;
  order_id: string;
  completed_at: Date;
  match_id: string;
  match_name: string;
  ticket_type: TicketType;
  phase_name: string | null;
  sector_code: string;
  sector_name: string;
  row_identifier: string;
  seat_number: number;
  ticket_id: string | null;
  ticket_status: string | null;
  holder_name: string;
  unit_price: number;
  fee_amount: number;
  vat_amount: number;
  line_total: number;
  order_status: string;
  order_refunded_amount: number;
}

/** The lines in report order (when sold, then order and position). */
export function salesLinesQuery(f: SalesFilters, limit?: number) {
  return sql<SalesLineRow>`
    SELECT o.order_number, o.id AS order_id, o.completed_at, o.match_id,
           m.home_team || ' – ' || m.away_team AS match_name,
           ${ticketTypeExpr} AS ticket_type, sp.name AS phase_name,
           ms.code AS sector_code, ms.name AS sector_name, s.row_identifier, s.seat_number,
           t.id AS ticket_id, t.status AS ticket_status, oi.holder_full_name AS holder_name,
           oi.unit_price, oi.fee_amount, oi.ticket_vat_amount + oi.fee_vat_amount AS vat_amount,
           oi.unit_price + oi.fee_amount AS line_total, o.status AS order_status,
           o.refunded_amount AS order_refunded_amount
      ${linesIn(f)}
     ORDER BY o.completed_at, o.order_number, oi.position
     ${limit === undefined ? sql`` : sql`LIMIT ${limit}`}`;
}

export async function salesLines(db: Executor, f: SalesFilters, limit: number) {
  return (await salesLinesQuery(f, limit).execute(db)).rows;
}

/** Does the match exist (and has it the sector)? For the filters' problems. */
export async function findMatchSectorCodes(
  db: Executor,
  matchId: string,
): Promise<string[] | undefined> {
  const { rows } = await sql<{ codes: string[] | null }>`
    SELECT (SELECT array_agg(ms.code ORDER BY ms.code) FROM match_sectors ms WHERE ms.match_id = m.id) AS codes
      FROM matches m WHERE m.id = ${matchId}`.execute(db);
  if (rows.length === 0) return undefined;
  return rows[0]!.codes ?? [];
}

/** Does any match have a sector with this code? */
export async function sectorCodeExists(db: Executor, code: string): Promise<boolean> {
  const { rows } = await sql`SELECT 1 FROM match_sectors WHERE code = ${code} LIMIT 1`.execute(db);
  return rows.length > 0;
}
