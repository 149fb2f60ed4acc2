import { sql } from 'kysely';
import type { Database, Executor } from '../../platform/db/database.ts';
import type { HoldKind } from '../../platform/db/types.generated.ts';
import { rankAdjacentRuns, type FreeSeat, type SeatRun } from './seat-runs.ts';

/**
 * Seat claims (E4-F3), each ONE statement (architecture invariants 1–3). A seat is claimable
 * when it is AVAILABLE or its hold has expired (RESERVED with held_until < now); the claim
 * re-checks that under the row lock (`FOR UPDATE SKIP LOCKED` re-evaluates the condition on
 * the newest row version), so two claimers can never both take a seat, and nobody waits
 * for anybody: seats being claimed right now are skipped. The adjacent claim decides which
 * seats to try from a plain read before it (ranked in the API process, seat-runs.ts); that
 * read can be stale by the time the claim runs, which costs a retry, never a seat.
 */

export interface ClaimedSeat {
  id: string;
  seat_id: string;
  row_index: number;
  col_index: number;
  snake_order: number;
}

export interface ClaimTarget {
  matchSectorId: string;
  quantity: number;
  holdKind: HoldKind;
  holdOwnerId: string;
  heldUntil: Date;
  now: Date;
  actorId: string | null;
}

export interface ClaimResult {
  claimed: ClaimedSeat[];
  /** Claimable seats the statement's snapshot saw in the sector (locked or not). */
  free: number;
  /** Adjacent runs of `quantity` seats it saw (0: adjacency is impossible right now). */
  runs: number;
}

/**
 * How far down the ranking one statement looks for a run nobody else is claiming, and how
 * many runs' worth of seats it locks at most (in rank order, skipping seats other claimers
 * hold). Locking little keeps the seats of runs it does not take free for the others.
 */
export const RUN_CANDIDATES = 24;
const RUNS_LOCKED = 2;
/**
 * How many claimable seats (in snake order) a claim reads and ranks runs among. The best run
 * is near the front of the snake, so the first few rows' worth decide the same run as the
 * whole sector for a fraction of the read. When the window holds no run at all (a
 * fragmented sector), the whole sector is read.
 */
export const CLAIM_WINDOW = 256;

/** The claimable condition on an inventory alias, as of `now`. */
const claimable = (alias: string, now: Date) =>
  sql`(${sql.ref(`${alias}.status`)} = 'AVAILABLE' OR (${sql.ref(`${alias}.status`)} = 'RESERVED' AND ${sql.ref(`${alias}.held_until`)} < ${now}))`;

/**
 * The seat trail of a claim (seat_audit_logs, action HOLD_CREATED), as a data-modifying CTE
 * appended to the claim statement: one set-based insert in the same statement, no extra
 * round trip on the on-sale hot path. A claimable seat is AVAILABLE in effect (an expired
 * hold counts as available, see the inventory README), so that is the from_status.
 */
const holdTrail = (t: ClaimTarget, claimed: string) => sql`logged AS (
      INSERT INTO seat_audit_logs
             (match_seat_inventory_id, from_status, to_status, reason, changed_by, action,
              hold_kind, hold_owner_id, order_id, created_at)
      SELECT c.id, 'AVAILABLE', 'RESERVED', ${`${t.holdKind} hold until ${t.heldUntil.toISOString()}`},
             ${t.actorId}, 'HOLD_CREATED', ${t.holdKind}, ${t.holdOwnerId},
             ${t.holdKind === 'ORDER' ? t.holdOwnerId : null}::uuid, ${t.now}
        FROM ${sql.table(claimed)} c
    )`;

/**
 * Claims the first run of `quantity` adjacent claimable seats (same row_index, consecutive
 * col_index, so no gap and no aisle) in snake order. Runs are ranked (seat-runs.ts) by: does
 * the run leave a single orphan seat in its block of free seats (those last), then by the
 * snake position of the run's first seat. Two statements: a plain read of the first
 * CLAIM_WINDOW claimable seats, ranked here in the API process, then the claim of the best
 * RUN_CANDIDATES runs' seats (see claimRunAmong). `claimed` is empty when no candidate could
 * be taken (the caller retries with a fresh snapshot) or when no run exists (`runs` = 0).
 * When the window is full and holds no run (a fragmented sector), the whole sector is read.
 *
 * Why the ranking is not in SQL: PostgreSQL's CPU limits the on-sale and only API processes
 * scale out. In a half-sold 2,000-seat sector the former single statement (window functions
 * over the window, then lock and update) took 0.6 ms to plan and 1.8 ms to run alone, 5.6 ms
 * mean under bench:cart's contention; now the read takes 0.06 + 0.17 ms, the ranking 0.05 ms
 * of API CPU, the claim statement 0.3 + 0.45 ms (0.5 and 1.7 ms under contention), and a
 * cart addition costs 4.4 ms of database time instead of 9.8 (2026-12-02, EXPLAIN ANALYZE
 * medians and pg_stat_statements).
 */
export async function claimAdjacentRun(db: Executor, t: ClaimTarget): Promise<ClaimResult> {
  // The read and the claim on one connection (the caller's transaction, or one reserved for
  // both): the candidates then age by a round trip, not by a wait for a free connection of
  // the pool, during which concurrent claimers take them all. Measured with 256 claimers on
  // 20 connections, 2,000 seats: 11.8 claim statements per claim (61 claims/s) with the
  // wait, 1.5 (310 claims/s) without.
  if (db.isTransaction) return claimAdjacentRunOn(db, t);
  return (db as Database).connection().execute((conn) => claimAdjacentRunOn(conn, t));
}

async function claimAdjacentRunOn(db: Executor, t: ClaimTarget): Promise<ClaimResult> {
  const windowed = await claimAdjacentRunAmong(db, t, CLAIM_WINDOW);
  if (windowed.claimed.length > 0 || windowed.runs > 0 || windowed.free < CLAIM_WINDOW) {
    return windowed;
  }
  return claimAdjacentRunAmong(db, t, null);
}

/**
 * The first `limit` claimable seats of a sector in snake order, or all of them (null): the
 * partial index match_seat_inventory_claim_idx walks them in order. No lock: what it reads
 * only decides which seats the claim tries, and the claim re-checks them under the lock.
 */
export async function claimableInSnakeOrder(
  db: Executor,
  matchSectorId: string,
  now: Date,
  limit: number | null,
): Promise<FreeSeat[]> {
  const { rows } = await sql<FreeSeat>`
    SELECT s.id, s.row_index, s.col_index, s.snake_order
      FROM match_seat_inventory s
     WHERE s.match_sector_id = ${matchSectorId} AND ${claimable('s', now)}
     ORDER BY s.snake_order
     ${limit === null ? sql`` : sql`LIMIT ${limit}`}
  `.execute(db);
  return rows;
}

/** Reads the window (`window` seats, or the whole sector), ranks its runs and claims the best free one. */
async function claimAdjacentRunAmong(
  db: Executor,
  t: ClaimTarget,
  window: number | null,
): Promise<ClaimResult> {
  const seats = await claimableInSnakeOrder(db, t.matchSectorId, t.now, window);
  const ranked = rankAdjacentRuns(seats, t.quantity, RUN_CANDIDATES);
  const claimed = ranked.best.length > 0 ? await claimRunAmong(db, t, ranked.best) : [];
  return { claimed, free: ranked.free, runs: ranked.runs };
}

/**
 * The claim statement: given candidate runs best first, locks (SKIP LOCKED, in rank order)
 * at most RUNS_LOCKED runs' worth of their seats that are still claimable, takes the best
 * run whose seats were ALL locked, holds its seats and writes their trail. A candidate seat
 * somebody claimed since the read fails the claimable re-check under the lock, one another
 * claimer is taking right now is skipped; either way its run is passed over. Empty when no
 * candidate run could be taken.
 */
export async function claimRunAmong(
  db: Executor,
  t: ClaimTarget,
  runs: readonly SeatRun[],
): Promise<ClaimedSeat[]> {
  // Parallel arrays: the candidates' seat ids in rank order (a seat of two overlapping runs
  // appears twice; array_position locks it at its first, best place) and each one's run rank.
  const ids = runs.flatMap((r) => r.ids);
  const ranks = runs.flatMap((r, rank) => r.ids.map(() => rank));
  const { rows } = await sql<{ claimed: ClaimedSeat[] }>`
    WITH candidates AS (
      SELECT c.id, c.rank FROM unnest(${ids}::uuid[], ${ranks}::int[]) AS c(id, rank)
    ),
    locked AS (
      SELECT m.id
        FROM match_seat_inventory m
       WHERE m.id = ANY (${ids}::uuid[])
         AND m.match_sector_id = ${t.matchSectorId}
         AND ${claimable('m', t.now)}
       ORDER BY array_position(${ids}::uuid[], m.id)
       LIMIT ${t.quantity * RUNS_LOCKED}
         FOR UPDATE SKIP LOCKED
    ),
    chosen AS (
      SELECT c.id FROM candidates c
       WHERE c.rank = (
         SELECT c2.rank FROM candidates c2 LEFT JOIN locked l ON l.id = c2.id
          GROUP BY c2.rank HAVING count(l.id) = ${t.quantity}
          ORDER BY c2.rank LIMIT 1)
    ),
    claimed AS (
      UPDATE match_seat_inventory m
         SET status = 'RESERVED', hold_kind = ${t.holdKind}, hold_owner_id = ${t.holdOwnerId},
             held_until = ${t.heldUntil}, last_modified_at = ${t.now},
             last_modified_by = ${t.actorId}, version = m.version + 1
        FROM chosen
       WHERE m.id = chosen.id
      RETURNING m.id, m.seat_id, m.row_index, m.col_index, m.snake_order
    ),
    ${holdTrail(t, 'claimed')}
    SELECT COALESCE((SELECT json_agg(claimed ORDER BY snake_order) FROM claimed), '[]'::json) AS claimed
  `.execute(db);
  return rows[0]!.claimed;
}

/**
 * Fallback when no adjacent run exists: the first `quantity` claimable seats in snake order
 * (so the seats stay as close as the sector allows), all or nothing.
 */
export async function claimSeparated(db: Executor, t: ClaimTarget): Promise<ClaimResult> {
  const { rows } = await sql<{ free: number; claimed: ClaimedSeat[] }>`
    WITH locked AS (
      SELECT m.id
        FROM match_seat_inventory m
       WHERE m.match_sector_id = ${t.matchSectorId} AND ${claimable('m', t.now)}
       ORDER BY m.snake_order
       LIMIT ${t.quantity}
         FOR UPDATE SKIP LOCKED
    ),
    complete AS (SELECT count(*) = ${t.quantity} AS ok FROM locked),
    claimed AS (
      UPDATE match_seat_inventory m
         SET status = 'RESERVED', hold_kind = ${t.holdKind}, hold_owner_id = ${t.holdOwnerId},
             held_until = ${t.heldUntil}, last_modified_at = ${t.now},
             last_modified_by = ${t.actorId}, version = m.version + 1
        FROM locked, complete
       WHERE m.id = locked.id AND complete.ok
      RETURNING m.id, m.seat_id, m.row_index, m.col_index, m.snake_order
    ),
    ${holdTrail(t, 'claimed')}
    SELECT (SELECT count(*) FROM match_seat_inventory f
             WHERE f.match_sector_id = ${t.matchSectorId} AND ${claimable('f', t.now)})::int AS free,
           COALESCE((SELECT json_agg(claimed ORDER BY snake_order) FROM claimed), '[]'::json) AS claimed
  `.execute(db);
  return { ...rows[0]!, runs: 0 };
}

/** Claimable seats per match sector of a match (zone availability, E4-F2). */
export async function countClaimableBySector(
  db: Executor,
  matchId: string,
  now: Date,
): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom('match_seat_inventory')
    .select(['match_sector_id', (eb) => eb.fn.countAll<number>().as('n')])
    .where('match_id', '=', matchId)
    .where((eb) =>
      eb.or([
        eb('status', '=', 'AVAILABLE'),
        eb.and([eb('status', '=', 'RESERVED'), eb('held_until', '<', now)]),
      ]),
    )
    .groupBy('match_sector_id')
    .execute();
  return new Map(rows.map((r) => [r.match_sector_id, Number(r.n)]));
}
