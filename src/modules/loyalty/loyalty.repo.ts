import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';

/** SQL of the loyalty program (E6): loyalty_points and the LOYALTY sales phases. */

/**
 * The fan's balance: points earned after `since` (the rolling window start). One range scan
 * of loyalty_points_user_earned_idx (user_id, earned_at) INCLUDE (points): index-only.
 */
export async function sumPointsSince(db: Executor, userId: string, since: Date): Promise<number> {
  const row = await db
    .selectFrom('loyalty_points')
    .select(sql<number>`coalesce(sum(points), 0)::int`.as('balance'))
    .where('user_id', '=', userId)
    .where('earned_at', '>', since)
    .executeTakeFirstOrThrow();
  return Number(row.balance);
}

export interface LoyaltyHistoryRow {
  /** null for historic points imported by OIB (source IMPORT, named by `reference`) */
  match_id: string | null;
  home_team: string | null;
  away_team: string | null;
  competition: string | null;
  kick_off_time: Date | null;
  match_type: 'HOME' | 'AWAY' | null;
  source: 'MATCH' | 'IMPORT';
  reference: string | null;
  points: number;
  earned_at: Date;
}

/** Match-by-match points, newest first; `limit` null lists everything. */
export async function listPointsHistory(
  db: Executor,
  userId: string,
  page: { page: number; limit: number } | null,
): Promise<{ rows: LoyaltyHistoryRow[]; total: number }> {
  let q = db
    .selectFrom('loyalty_points as lp')
    .leftJoin('matches as m', 'm.id', 'lp.match_id')
    .select([
      'lp.match_id',
      'm.home_team',
      'm.away_team',
      'm.competition',
      'm.kick_off_time',
      'm.match_type',
      'lp.source',
      'lp.reference',
      'lp.points',
      'lp.earned_at',
    ])
    .where('lp.user_id', '=', userId)
    .orderBy('lp.earned_at', 'desc')
    .orderBy('lp.id');
  if (page) q = q.limit(page.limit).offset((page.page - 1) * page.limit);
  const [rows, count] = await Promise.all([
    q.execute(),
    db
      .selectFrom('loyalty_points')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow(),
  ]);
  return { rows: rows as LoyaltyHistoryRow[], total: Number(count.n) };
}

export interface LoyaltyPhaseRow {
  phase_id: string;
  phase_name: string;
  start_at: Date;
  end_at: Date;
  ticket_limit: number;
  eligibility_rules_json: unknown;
  match_id: string;
  home_team: string;
  away_team: string;
  kick_off_time: Date;
}

/** LOYALTY phases open now or later, of matches on sale or about to be. */
export async function listOpenLoyaltyPhases(db: Executor, now: Date): Promise<LoyaltyPhaseRow[]> {
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
    .where('p.phase_type', '=', 'LOYALTY')
    .where('p.is_active', '=', true)
    .where('p.end_at', '>', now)
    .where('m.status', 'in', ['PUBLISHED', 'ACTIVE'])
    .where('m.kick_off_time', '>', now)
    .orderBy('p.start_at')
    .orderBy('p.id')
    .limit(50)
    .execute() as Promise<LoyaltyPhaseRow[]>;
}

export async function findUser(db: Executor, userId: string) {
  return db.selectFrom('users').select(['id', 'email']).where('id', '=', userId).executeTakeFirst();
}
