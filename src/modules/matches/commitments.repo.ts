import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';

/** SQL of the seats committed to buyers, read (and locked) by configuration changes. */

export interface InventoryCommitments {
  match_sector_id: string;
  /** SOLD seats. */
  sold: number;
  /** RESERVED seats in a live hold (held_until NULL or not yet passed at `now`). */
  held: number;
  /** RESERVED seats, live or expired. */
  reserved: number;
  /** ALLOCATED (quota) seats. */
  allocated: number;
}

/**
 * Per match sector, the seats committed to buyers: sold, held, allocated. Scope: the given
 * sectors of the match, or the whole match. Sectors with none of these do not appear.
 *
 * With `lock`, every inventory row of the scope is first locked `FOR NO KEY UPDATE NOWAIT`
 * and the counts are taken from the locked rows (their newest versions). That is what
 * makes a configuration change race-free against the sale path without slowing the sale
 * path: the claims lock seats with `FOR UPDATE SKIP LOCKED` (sales/claim.repo.ts), which
 * conflicts with this lock (as every update of the row does; foreign-key checks do not),
 * so while the change's transaction holds the rows every claim passes over them, and a
 * claim that holds a row first makes NOWAIT fail at once (error 55P03) instead of the
 * change waiting, or deadlocking, behind it. Every row is locked, not only the claimable
 * ones: a staff status change could otherwise make a seat AVAILABLE and a claim take it
 * before the change commits. Without `lock`, a plain read (index-only on
 * match_seat_inventory_summary_idx).
 */
export async function inventoryCommitments(
  db: Executor,
  scope: { matchId: string; matchSectorIds?: readonly string[] },
  now: Date,
  options: { lock?: boolean } = {},
): Promise<InventoryCommitments[]> {
  if (scope.matchSectorIds && scope.matchSectorIds.length === 0) return [];
  const inSectors = scope.matchSectorIds
    ? sql`AND i.match_sector_id = ANY(${scope.matchSectorIds as string[]}::uuid[])`
    : sql``;
  const rows = options.lock
    ? sql`SELECT i.match_sector_id, i.status, i.held_until
            FROM match_seat_inventory i
           WHERE i.match_id = ${scope.matchId} ${inSectors}
             FOR NO KEY UPDATE NOWAIT`
    : sql`SELECT i.match_sector_id, i.status, i.held_until
            FROM match_seat_inventory i
           WHERE i.match_id = ${scope.matchId} ${inSectors}
             AND i.status IN ('SOLD', 'RESERVED', 'ALLOCATED')`;
  const result = await sql<InventoryCommitments>`
    WITH scoped AS MATERIALIZED (${rows})
    SELECT match_sector_id,
           count(*) FILTER (WHERE status = 'SOLD')::int AS sold,
           count(*) FILTER (WHERE status = 'RESERVED'
                              AND (held_until IS NULL OR held_until >= ${now}))::int AS held,
           count(*) FILTER (WHERE status = 'RESERVED')::int AS reserved,
           count(*) FILTER (WHERE status = 'ALLOCATED')::int AS allocated
      FROM scoped
     GROUP BY match_sector_id
    HAVING count(*) FILTER (WHERE status IN ('SOLD', 'RESERVED', 'ALLOCATED')) > 0
     ORDER BY match_sector_id`.execute(db);
  return result.rows;
}
