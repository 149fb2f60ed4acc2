import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type { PointsLevel } from './loyalty.rules.ts';

/** SQL of the points administration: the distribution (E6-F2), the historic import (E6-F1). */

/** How many fans hold each balance inside the window (balances above zero). */
export async function pointsDistribution(db: Executor, since: Date): Promise<PointsLevel[]> {
  const { rows } = await sql<{ points: number; fans: number }>`
    SELECT b.balance::int AS points, count(*)::int AS fans
      FROM (SELECT user_id, sum(points) AS balance FROM loyalty_points
             WHERE earned_at > ${since} GROUP BY user_id) b
     GROUP BY b.balance ORDER BY b.balance`.execute(db);
  return rows;
}

/** The LOYALTY phases of one match, any time. */
export async function listMatchLoyaltyPhases(db: Executor, matchId: string) {
  return db
    .selectFrom('sales_phases as p')
    .innerJoin('matches as m', 'm.id', 'p.match_id')
    .select([
      'p.id as phase_id',
      'p.name as phase_name',
      'p.start_at',
      'p.end_at',
      'p.ticket_limit',
      'p.eligibility_rules_json',
      'm.id as match_id',
      'm.home_team',
      'm.away_team',
      'm.kick_off_time',
    ])
    .where('p.match_id', '=', matchId)
    .where('p.phase_type', '=', 'LOYALTY')
    .where('p.is_active', '=', true)
    .orderBy('p.start_at')
    .execute();
}

export async function matchExists(db: Executor, matchId: string): Promise<boolean> {
  return !!(await db
    .selectFrom('matches')
    .select('id')
    .where('id', '=', matchId)
    .executeTakeFirst());
}

export interface ImportLine {
  line: number;
  oib_blind_index: string;
  points: number;
  earned_at: Date;
  reference: string;
}

/**
 * Writes the historic points of the lines whose OIB is a fan account's (profile blind
 * index), once per fan and reference (loyalty_points_user_reference_key: re-importing
 * writes nothing twice; of two lines with one fan and reference the first counts). One
 * statement. Returns per line whether the OIB has an account, and the rows written.
 */
export async function insertImportedPoints(
  db: Executor,
  lines: readonly ImportLine[],
): Promise<{ known: Map<number, boolean>; inserted: number; points: number }> {
  if (lines.length === 0) return { known: new Map(), inserted: 0, points: 0 };
  const { rows } = await sql<{ line: number; known: boolean; inserted: number; points: number }>`
    WITH x AS (
      SELECT * FROM unnest(${lines.map((l) => l.line)}::int[],
                           ${lines.map((l) => l.oib_blind_index)}::text[],
                           ${lines.map((l) => l.points)}::int[],
                           ${lines.map((l) => l.earned_at)}::timestamptz[],
                           ${lines.map((l) => l.reference)}::text[])
               AS x(line, oib_blind_index, points, earned_at, reference)
    ),
    fans AS (
      SELECT x.*, p.user_id FROM x LEFT JOIN profiles p ON p.oib_blind_index = x.oib_blind_index
    ),
    written AS (
      INSERT INTO loyalty_points (user_id, points, earned_at, source, reference)
      SELECT DISTINCT ON (user_id, reference) user_id, points, earned_at, 'IMPORT', reference
        FROM fans WHERE user_id IS NOT NULL
       ORDER BY user_id, reference, line
          ON CONFLICT (user_id, reference) DO NOTHING
      RETURNING points
    )
    SELECT f.line, (f.user_id IS NOT NULL) AS known,
           (SELECT count(*)::int FROM written) AS inserted,
           (SELECT coalesce(sum(points), 0)::int FROM written) AS points
      FROM fans f`.execute(db);
  return {
    known: new Map(rows.map((r) => [r.line, r.known])),
    inserted: rows[0]?.inserted ?? 0,
    points: rows[0]?.points ?? 0,
  };
}
