import { sql, type Selectable } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type { FeeConfigurations } from '../../platform/db/types.generated.ts';

/**
 * SQL of what is on sale: the match listing, the facts that decide a match's open phase,
 * fee configurations, price categories and zones. Carts, holds and the per-match limit are
 * in carts.repo.ts, orders in orders.repo.ts, the expired-hold sweep in sweeper.repo.ts,
 * seat claims in claim.repo.ts.
 */

export type FeeConfigRow = Selectable<FeeConfigurations>;

// Matches, phases, prices --------------------------------------------------------------

export interface ListedMatchRow {
  id: string;
  home_team: string;
  away_team: string;
  competition: string;
  kick_off_time: Date;
  match_type: 'HOME' | 'AWAY';
  status: string;
  venue_name: string | null;
  venue_city: string | null;
  available: number;
  phase_id: string | null;
  next_phase_start: Date | null;
}

export async function listUpcomingMatches(
  db: Executor,
  now: Date,
  page: number,
  limit: number,
): Promise<{ rows: ListedMatchRow[]; total: number }> {
  const base = db
    .selectFrom('matches as m')
    .where('m.status', 'in', ['PUBLISHED', 'ACTIVE'])
    .where('m.kick_off_time', '>', now);
  const [rows, count] = await Promise.all([
    base
      .leftJoin('stadiums as s', 's.id', 'm.venue_id')
      .select([
        'm.id',
        'm.home_team',
        'm.away_team',
        'm.competition',
        'm.kick_off_time',
        'm.match_type',
        'm.status',
        's.name as venue_name',
        's.city as venue_city',
      ])
      .select(
        sql<number>`(SELECT count(*) FROM match_seat_inventory i
           JOIN match_sectors ms ON ms.id = i.match_sector_id
          WHERE i.match_id = m.id AND ms.status = 'ACTIVE' AND ms.purpose = 'GENERAL'
            AND (i.status = 'AVAILABLE' OR (i.status = 'RESERVED' AND i.held_until < ${now})))::int`.as(
          'available',
        ),
      )
      .select(
        sql<string | null>`(SELECT p.id FROM sales_phases p
          WHERE p.match_id = m.id AND p.is_active AND p.phase_type <> 'QUOTA_ONLY'
            AND m.stadium_config_status = 'LOCKED'
            AND p.start_at <= ${now} AND p.end_at > ${now}
          ORDER BY p.start_at DESC LIMIT 1)`.as('phase_id'),
      )
      .select(
        sql<Date | null>`(SELECT min(p.start_at) FROM sales_phases p
          WHERE p.match_id = m.id AND p.is_active AND p.phase_type <> 'QUOTA_ONLY'
            AND p.start_at > ${now})`.as('next_phase_start'),
      )
      .orderBy('m.kick_off_time')
      .orderBy('m.id')
      .limit(limit)
      .offset((page - 1) * limit)
      .execute(),
    base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { rows: rows as ListedMatchRow[], total: Number(count.n) };
}

export interface SaleMatchRow {
  id: string;
  home_team: string;
  away_team: string;
  competition: string;
  kick_off_time: Date;
  match_type: 'HOME' | 'AWAY';
  status: string;
  venue_name: string | null;
  phase_id: string | null;
  phase_ticket_limit: number | null;
  phase_type: 'LOYALTY' | 'GENERAL_PUBLIC' | null;
  /** The open phase's eligibility_rules_json (loyalty_tiers for a LOYALTY phase). */
  phase_rules: unknown;
}

/** A public sales phase of a match (QUOTA_ONLY phases are never sold to fans). */
interface SalePhaseFacts {
  id: string;
  ticket_limit: number;
  start_at: Date;
  end_at: Date;
  phase_type: 'LOYALTY' | 'GENERAL_PUBLIC';
  eligibility_rules_json: unknown;
}

/**
 * What decides whether and how a match is sold, independent of the time: the match, its
 * venue, whether its stadium configuration is locked, and its active public phases. Which
 * phase is open is decided at a given time by `saleMatchAt` (so these facts may be
 * memoised, see sale-facts.ts, without a phase boundary ever being late).
 */
export interface SaleMatchFacts {
  match: Omit<SaleMatchRow, 'phase_id' | 'phase_ticket_limit' | 'phase_type' | 'phase_rules'>;
  config_locked: boolean;
  phases: SalePhaseFacts[];
}

export async function loadSaleMatchFacts(
  db: Executor,
  matchId: string,
): Promise<SaleMatchFacts | undefined> {
  const row = await db
    .selectFrom('matches as m')
    .leftJoin('stadiums as s', 's.id', 'm.venue_id')
    .select([
      'm.id',
      'm.home_team',
      'm.away_team',
      'm.competition',
      'm.kick_off_time',
      'm.match_type',
      'm.status',
      's.name as venue_name',
      'm.stadium_config_status',
    ])
    .select(
      sql<SalePhaseFacts[]>`coalesce((
        SELECT json_agg(json_build_object(
                 'id', p.id, 'ticket_limit', p.ticket_limit, 'start_at', p.start_at,
                 'end_at', p.end_at, 'phase_type', p.phase_type,
                 'eligibility_rules_json', p.eligibility_rules_json))
          FROM sales_phases p
         WHERE p.match_id = m.id AND p.is_active AND p.phase_type <> 'QUOTA_ONLY'), '[]')`.as(
        'phases',
      ),
    )
    .where('m.id', '=', matchId)
    .executeTakeFirst();
  if (!row) return undefined;
  const { stadium_config_status, phases, ...match } = row;
  return {
    match: match as SaleMatchFacts['match'],
    config_locked: stadium_config_status === 'LOCKED',
    phases: phases.map((p) => ({
      ...p,
      start_at: new Date(p.start_at),
      end_at: new Date(p.end_at),
    })),
  };
}

/**
 * The match with the sales phase open at `now`: the latest-starting active public phase
 * whose window holds `now`. Only a locked stadium configuration is sold, so an unlocked
 * match has no open phase.
 */
export function saleMatchAt(facts: SaleMatchFacts, now: Date): SaleMatchRow {
  const open = facts.config_locked
    ? facts.phases
        .filter((p) => p.start_at <= now && p.end_at > now)
        .sort((a, b) => b.start_at.getTime() - a.start_at.getTime())[0]
    : undefined;
  return {
    ...facts.match,
    phase_id: open?.id ?? null,
    phase_ticket_limit: open?.ticket_limit ?? null,
    phase_type: open?.phase_type ?? null,
    phase_rules: open?.eligibility_rules_json ?? null,
  };
}

/** The fee configurations that may apply to a match: its own rows and the defaults. */
export async function loadFeeConfigurations(
  db: Executor,
  matchId: string,
): Promise<FeeConfigRow[]> {
  return db
    .selectFrom('fee_configurations')
    .selectAll()
    .where((eb) => eb.or([eb('match_id', '=', matchId), eb('match_id', 'is', null)]))
    .execute();
}

/**
 * The fee configuration in force at `at` among a match's configurations: its own row,
 * else the default; the latest effective_from among those in force.
 */
export function feeConfigurationAt(rows: FeeConfigRow[], at: Date): FeeConfigRow | undefined {
  const inForce = rows.filter(
    (r) => r.effective_from <= at && (r.effective_to === null || r.effective_to > at),
  );
  const best = (list: FeeConfigRow[]) =>
    list.sort((a, b) => b.effective_from.getTime() - a.effective_from.getTime())[0];
  return best(inForce.filter((r) => r.match_id !== null)) ?? best(inForce);
}

/** The fee configuration in force for a match at `at`: its own row, else the default. */
export async function findFeeConfiguration(
  db: Executor,
  matchId: string,
  at: Date,
): Promise<FeeConfigRow | undefined> {
  return feeConfigurationAt(await loadFeeConfigurations(db, matchId), at);
}

export async function listMatchPriceCategories(db: Executor, matchIds: string[]) {
  if (matchIds.length === 0) return [];
  return db
    .selectFrom('price_categories')
    .select(['id', 'match_id', 'name', 'price', 'currency'])
    .where('match_id', 'in', matchIds)
    .orderBy('price')
    .execute();
}

/** Zones on sale to the public: ACTIVE GENERAL sectors with a price category. */
export async function listSaleZones(db: Executor, matchId: string) {
  return db
    .selectFrom('match_sectors as ms')
    .innerJoin('price_categories as pc', 'pc.id', 'ms.price_category_id')
    .select([
      'ms.id',
      'ms.name',
      'ms.code',
      'ms.sellable_capacity',
      'pc.id as price_category_id',
      'pc.name as price_category_name',
      'pc.price',
      'pc.currency',
    ])
    .where('ms.match_id', '=', matchId)
    .where('ms.status', '=', 'ACTIVE')
    .where('ms.purpose', '=', 'GENERAL')
    .orderBy('ms.code')
    .execute();
}

/** The zone as the claim re-reads it, with its match's status (a cancellation, E2-F7). */
export async function findSaleZone(db: Executor, matchId: string, matchSectorId: string) {
  return db
    .selectFrom('match_sectors as ms')
    .innerJoin('price_categories as pc', 'pc.id', 'ms.price_category_id')
    .innerJoin('matches as m', 'm.id', 'ms.match_id')
    .select([
      'ms.id',
      'ms.name',
      'ms.code',
      'pc.id as price_category_id',
      'pc.price',
      'm.status as match_status',
    ])
    .where('ms.match_id', '=', matchId)
    .where('ms.id', '=', matchSectorId)
    .where('ms.status', '=', 'ACTIVE')
    .where('ms.purpose', '=', 'GENERAL')
    .executeTakeFirst();
}

/** The match's status as committed now (a plain read: the payment start's check, E2-F7). */
export async function findMatchStatus(db: Executor, matchId: string) {
  const row = await db
    .selectFrom('matches')
    .select('status')
    .where('id', '=', matchId)
    .executeTakeFirst();
  return row?.status;
}

/** A cancelled match (or one deleted after its cancellation) sells nothing (E2-F7). */
export const isCancelledStatus = (status: string | undefined) =>
  status === 'CANCELLED' || status === 'DELETED';
