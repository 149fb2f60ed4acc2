import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type { HoldKind, SeatStatus } from '../../platform/db/types.generated.ts';

/**
 * The live dashboard's reads (E14-F2), read-only over inventory, matches, sales and
 * payments rows. Two statements per computation, whatever the number of watchers.
 */

export interface DashboardMatch {
  id: string;
  home_team: string;
  away_team: string;
  kick_off_time: Date;
  status: string;
}

export async function findDashboardMatch(
  db: Executor,
  matchId: string,
): Promise<DashboardMatch | undefined> {
  return db
    .selectFrom('matches')
    .select(['id', 'home_team', 'away_team', 'kick_off_time', 'status'])
    .where('id', '=', matchId)
    .executeTakeFirst();
}

export interface SectorCountRow {
  match_sector_id: string;
  code: string;
  name: string;
  /** The status the seat shows now (an expired hold shows AVAILABLE); null: a sector without seats. */
  status: SeatStatus | null;
  /** The kind of a live hold (RESERVED only). */
  hold_kind: HoldKind | null;
  n: number;
}

/** Seats per sector, status and live hold kind at `now`. */
export async function sectorCounts(
  db: Executor,
  matchId: string,
  now: Date,
): Promise<SectorCountRow[]> {
  const { rows } = await sql<SectorCountRow>`
    WITH c AS (
      SELECT i.match_sector_id,
             (CASE WHEN i.status = 'RESERVED' AND i.held_until < ${now} THEN 'AVAILABLE'::seat_status
                   ELSE i.status END) AS status,
             (CASE WHEN i.status = 'RESERVED' AND (i.held_until IS NULL OR i.held_until >= ${now})
                   THEN i.hold_kind END) AS hold_kind,
             count(*)::int AS n
        FROM match_seat_inventory i
       WHERE i.match_id = ${matchId}
       GROUP BY 1, 2, 3
    )
    SELECT ms.id AS match_sector_id, ms.code, ms.name, c.status, c.hold_kind, coalesce(c.n, 0)::int AS n
      FROM match_sectors ms
      LEFT JOIN c ON c.match_sector_id = ms.id
     WHERE ms.match_id = ${matchId}
     ORDER BY ms.code, c.status, c.hold_kind`.execute(db);
  return rows;
}

export interface SalesFiguresRow {
  orders_completed: number;
  revenue: number;
  refunded: number;
  orders_last_5_min: number;
  payments_succeeded: number;
  payments_failed: number;
  recent_succeeded: number;
  recent_failed: number;
  /** Completed orders and their seats per minute of the last hour, oldest first. */
  per_minute: Array<{ minute: string; orders: number; tickets: number }>;
}

/**
 * Money and pace: revenue (paid minus refunded) of orders that completed, the orders of
 * the last 5 minutes and of each minute of the last hour, and payment outcomes overall and
 * over the last 15 minutes.
 */
export async function salesFigures(
  db: Executor,
  matchId: string,
  now: Date,
): Promise<SalesFiguresRow> {
  const { rows } = await sql<SalesFiguresRow>`
    WITH done AS (
      SELECT o.id, o.total_amount, o.refunded_amount, o.completed_at
        FROM orders o
       WHERE o.match_id = ${matchId} AND o.completed_at IS NOT NULL
    ), pays AS (
      SELECT p.status, coalesce(p.completed_at, p.failed_at, p.created_at) AS at
        FROM payments p JOIN orders o ON o.id = p.order_id
       WHERE o.match_id = ${matchId} AND p.status IN ('SUCCEEDED', 'FAILED')
    ), minutes AS (
      SELECT gs AS minute
        FROM generate_series(date_trunc('minute', ${now}::timestamptz) - interval '59 minutes',
                             date_trunc('minute', ${now}::timestamptz), interval '1 minute') gs
    )
    SELECT (SELECT count(*) FROM done)::int AS orders_completed,
           (SELECT coalesce(sum(total_amount - refunded_amount), 0) FROM done)::bigint AS revenue,
           (SELECT coalesce(sum(refunded_amount), 0) FROM done)::bigint AS refunded,
           (SELECT count(*) FROM done WHERE completed_at > ${now}::timestamptz - interval '5 minutes'
                                        AND completed_at <= ${now})::int AS orders_last_5_min,
           (SELECT count(*) FROM pays WHERE status = 'SUCCEEDED')::int AS payments_succeeded,
           (SELECT count(*) FROM pays WHERE status = 'FAILED')::int AS payments_failed,
           (SELECT count(*) FROM pays WHERE status = 'SUCCEEDED'
                                        AND at > ${now}::timestamptz - interval '15 minutes')::int AS recent_succeeded,
           (SELECT count(*) FROM pays WHERE status = 'FAILED'
                                        AND at > ${now}::timestamptz - interval '15 minutes')::int AS recent_failed,
           (SELECT json_agg(json_build_object(
                     'minute', to_char(m.minute AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:00"Z"'),
                     'orders', (SELECT count(*) FROM done d
                                 WHERE d.completed_at >= m.minute AND d.completed_at < m.minute + interval '1 minute'),
                     'tickets', (SELECT count(*) FROM done d JOIN order_items oi ON oi.order_id = d.id
                                  WHERE d.completed_at >= m.minute AND d.completed_at < m.minute + interval '1 minute'))
                     ORDER BY m.minute)
              FROM minutes m) AS per_minute`.execute(db);
  return rows[0]!;
}
