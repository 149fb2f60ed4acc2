import type { AppDeps } from '../../deps.ts';
import { loyaltyStanding } from '../loyalty/loyalty.service.ts';
import type { LoyaltyTier } from '../loyalty/loyalty.rules.ts';
import { countFanSeats } from './carts.repo.ts';
import { saleMatch } from './sale-facts.ts';
import type { SaleMatchRow } from './sales.repo.ts';

/** A fan may hold or own at most this many tickets of one match, across all phases. */
export const MATCH_TICKET_LIMIT = 4;

/** The per-match limit in the open phase: its `ticket_limit` can lower 4, never raise it. */
export const fanLimit = (match: Pick<SaleMatchRow, 'phase_ticket_limit'>) =>
  Math.min(MATCH_TICKET_LIMIT, match.phase_ticket_limit ?? MATCH_TICKET_LIMIT);
/** The per-match limit of a fan in a LOYALTY phase: their tier's, never above the others. */
export const loyaltyLimit = (match: Pick<SaleMatchRow, 'phase_ticket_limit'>, tier: LoyaltyTier) =>
  Math.min(fanLimit(match), tier.ticket_limit);

type Deps = Pick<AppDeps, 'db' | 'clock' | 'config'>;

export interface FanAllowance {
  limit: number;
  /** Tickets more the fan may buy now (limit less valid tickets and live holds). */
  remaining: number;
  /** The fan's loyalty standing, in a LOYALTY phase only. */
  standing: Awaited<ReturnType<typeof loyaltyStanding>> | null;
}

/**
 * What the purchase path will sell the fan of this match now: the zones show it as
 * `fan_remaining`, and a fan whose queued purchase is complete may join the waiting room
 * again only while it is above 0.
 */
export async function fanAllowance(
  deps: Deps,
  userId: string,
  match: SaleMatchRow,
  now: Date,
): Promise<FanAllowance> {
  const [held, standing] = await Promise.all([
    countFanSeats(deps.db, userId, match.id, now),
    match.phase_type === 'LOYALTY'
      ? loyaltyStanding(deps, deps.db, userId, match.phase_rules)
      : Promise.resolve(null),
  ]);
  // In a LOYALTY phase a fan may buy what their tier allows (none without a tier).
  const limit = standing
    ? standing.tier
      ? loyaltyLimit(match, standing.tier)
      : 0
    : fanLimit(match);
  return { limit, remaining: Math.max(0, limit - held), standing };
}

/** fanAllowance of a match by id: 0 when the match is not on sale now. */
export async function remainingAllowance(
  deps: Deps,
  userId: string,
  matchId: string,
): Promise<number> {
  const now = deps.clock.now();
  const match = await saleMatch(deps, matchId, now);
  if (!match?.phase_id || match.kick_off_time <= now) return 0;
  return (await fanAllowance(deps, userId, match, now)).remaining;
}
