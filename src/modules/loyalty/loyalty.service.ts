import type { AppDeps } from '../../deps.ts';
import type { Executor } from '../../platform/db/database.ts';
import { notFound } from '../../platform/errors.ts';
import {
  findUser,
  listOpenLoyaltyPhases,
  listPointsHistory,
  sumPointsSince,
  type LoyaltyHistoryRow,
} from './loyalty.repo.ts';
import {
  LOYALTY_WINDOW_YEARS,
  loyaltyExpiry,
  loyaltyWindowStart,
  tierFor,
  tiersOf,
  type LoyaltyTier,
} from './loyalty.rules.ts';

/**
 * Loyalty program (E6-F1, E6-F2): the rolling 5-year balance, the fan's standing in the
 * LOYALTY sales phases, match-by-match history, the admin view, and the tier the cart
 * enforces during a LOYALTY phase.
 */

type ReadDeps = Pick<AppDeps, 'db' | 'clock'>;

/** The fan's balance now (one indexed query). */
export async function loyaltyBalance(deps: ReadDeps, db: Executor, userId: string) {
  return sumPointsSince(db, userId, loyaltyWindowStart(deps.clock.now()));
}

/**
 * The fan's tier among `rules.loyalty_tiers` (a LOYALTY phase's eligibility_rules_json):
 * null when the balance reaches none. Used by POST /cart/add and GET /matches/{id}/zones.
 */
export async function loyaltyStanding(
  deps: ReadDeps,
  db: Executor,
  userId: string,
  rules: unknown,
): Promise<{ balance: number; tier: LoyaltyTier | null; next: LoyaltyTier | null }> {
  const balance = await loyaltyBalance(deps, db, userId);
  return { balance, ...tierFor(tiersOf(rules), balance) };
}

const historyItem = (r: LoyaltyHistoryRow, windowStart: Date) => ({
  match_id: r.match_id,
  // historic points imported by OIB are named by their import reference
  match_name: r.home_team ? `${r.home_team} – ${r.away_team}` : (r.reference ?? ''),
  competition: r.competition,
  match_type: r.match_type,
  kick_off_time: r.kick_off_time ? r.kick_off_time.toISOString() : null,
  source: r.source,
  points: r.points,
  earned_at: r.earned_at.toISOString(),
  expires_at: loyaltyExpiry(r.earned_at).toISOString(),
  counts: r.earned_at > windowStart,
});

async function summary(deps: ReadDeps, userId: string) {
  const now = deps.clock.now();
  const windowStart = loyaltyWindowStart(now);
  const [balance, phases] = await Promise.all([
    sumPointsSince(deps.db, userId, windowStart),
    listOpenLoyaltyPhases(deps.db, now),
  ]);
  return {
    user_id: userId,
    balance,
    window_years: LOYALTY_WINDOW_YEARS,
    window_start: windowStart.toISOString(),
    loyalty_phases: phases.map((p) => {
      const tiers = tiersOf(p.eligibility_rules_json).sort((a, b) => a.min_points - b.min_points);
      const { tier, next } = tierFor(tiers, balance);
      return {
        phase_id: p.phase_id,
        phase_name: p.phase_name,
        match_id: p.match_id,
        match_name: `${p.home_team} – ${p.away_team}`,
        kick_off_time: p.kick_off_time.toISOString(),
        start_at: p.start_at.toISOString(),
        end_at: p.end_at.toISOString(),
        open: p.start_at <= now,
        tiers,
        eligible: !!tier,
        tier,
        ticket_limit: tier ? Math.min(tier.ticket_limit, p.ticket_limit) : 0,
        next_tier: next,
        points_to_next_tier: next ? next.min_points - balance : null,
      };
    }),
  };
}

/** GET /users/me/loyalty: balance and the fan's tier in each open or upcoming LOYALTY phase. */
export async function getMyLoyalty(deps: ReadDeps, userId: string) {
  return summary(deps, userId);
}

/** GET /users/me/loyalty/history: points match by match, newest first. */
export async function getMyLoyaltyHistory(
  deps: ReadDeps,
  userId: string,
  page: number,
  limit: number,
) {
  const windowStart = loyaltyWindowStart(deps.clock.now());
  const { rows, total } = await listPointsHistory(deps.db, userId, { page, limit });
  return { items: rows.map((r) => historyItem(r, windowStart)), total, page, limit };
}

/** GET /admin/users/{id}/loyalty: any user's balance, phase standing and full history. */
export async function getUserLoyalty(deps: ReadDeps, userId: string) {
  const user = await findUser(deps.db, userId);
  if (!user) throw notFound('User');
  const windowStart = loyaltyWindowStart(deps.clock.now());
  const [base, history] = await Promise.all([
    summary(deps, userId),
    listPointsHistory(deps.db, userId, null),
  ]);
  return {
    ...base,
    email: user.email,
    history: history.rows.map((r) => historyItem(r, windowStart)),
  };
}
