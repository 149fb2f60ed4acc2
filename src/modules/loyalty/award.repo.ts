import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';

/** SQL of the points award after a match (E6-F3). */

export interface AwardedFan {
  user_id: string;
  locale: 'hr' | 'en';
}

/**
 * Awards 1 point, earned at kick-off, to every fan account whose OIB (profile blind index)
 * is the holder OIB of an ATTENDED ticket of the closed match — HOME and AWAY alike — in
 * one statement. A fan who already has the match's point gets nothing
 * (loyalty_points_user_match_key), so re-runs award nothing twice. Returns the fans
 * awarded by this run, with their language. Nothing for a match that is not CLOSED.
 */
export async function awardMatchPoints(db: Executor, matchId: string): Promise<AwardedFan[]> {
  const { rows } = await sql<AwardedFan>`
    WITH m AS (SELECT id, kick_off_time FROM matches WHERE id = ${matchId} AND status = 'CLOSED'),
    eligible AS (
      SELECT DISTINCT p.user_id
        FROM m
        JOIN tickets t ON t.match_id = m.id AND t.status = 'ATTENDED'
        JOIN ticket_holders h ON h.ticket_id = t.id AND h.oib_blind_index IS NOT NULL
        JOIN profiles p ON p.oib_blind_index = h.oib_blind_index
    ),
    awarded AS (
      INSERT INTO loyalty_points (user_id, match_id, points, earned_at, source)
      SELECT e.user_id, m.id, 1, m.kick_off_time, 'MATCH' FROM eligible e, m
          ON CONFLICT (user_id, match_id) DO NOTHING
      RETURNING user_id
    )
    SELECT a.user_id, u.locale FROM awarded a JOIN users u ON u.id = a.user_id`.execute(db);
  return rows;
}

export async function findMatchNames(db: Executor, matchId: string) {
  return db
    .selectFrom('matches')
    .select(['home_team', 'away_team'])
    .where('id', '=', matchId)
    .executeTakeFirst();
}
