/**
 * Loyalty rules (E6-F1, E6-F2), pure. Points count for five years: the balance is the sum of
 * points earned after `now` minus 5 calendar years (UTC; 29 February rolls to 1 March). A
 * LOYALTY sales phase lists tiers `{ min_points, ticket_limit }`; a fan's tier is the one
 * with the highest `min_points` that the balance reaches.
 */

export const LOYALTY_WINDOW_YEARS = 5;

export interface LoyaltyTier {
  min_points: number;
  ticket_limit: number;
}

/** The start of the rolling window: points earned strictly after it count. */
export function loyaltyWindowStart(now: Date): Date {
  const start = new Date(now.getTime());
  start.setUTCFullYear(start.getUTCFullYear() - LOYALTY_WINDOW_YEARS);
  return start;
}

/** When points earned at `earnedAt` stop counting. */
export function loyaltyExpiry(earnedAt: Date): Date {
  const end = new Date(earnedAt.getTime());
  end.setUTCFullYear(end.getUTCFullYear() + LOYALTY_WINDOW_YEARS);
  return end;
}

/** The fan's tier (highest min_points ≤ balance) and the next one up, if any. */
export function tierFor(
  tiers: readonly LoyaltyTier[],
  balance: number,
): { tier: LoyaltyTier | null; next: LoyaltyTier | null } {
  const sorted = [...tiers].sort((a, b) => a.min_points - b.min_points);
  let tier: LoyaltyTier | null = null;
  let next: LoyaltyTier | null = null;
  for (const t of sorted) {
    if (t.min_points <= balance) tier = t;
    else if (!next) next = t;
  }
  return { tier, next };
}

/** The loyalty tiers of a phase's eligibility_rules_json (malformed entries are ignored). */
export function tiersOf(rules: unknown): LoyaltyTier[] {
  const tiers = (rules as { loyalty_tiers?: unknown } | null)?.loyalty_tiers;
  if (!Array.isArray(tiers)) return [];
  return tiers.filter(
    (t): t is LoyaltyTier =>
      !!t &&
      Number.isInteger((t as LoyaltyTier).min_points) &&
      Number.isInteger((t as LoyaltyTier).ticket_limit) &&
      (t as LoyaltyTier).ticket_limit > 0,
  );
}

/** How many fans hold each balance (E6-F2 planning): `fans` fans have `points` points. */
export interface PointsLevel {
  points: number;
  fans: number;
}

/**
 * The fans each tier of a phase would admit, from the distribution of balances: a fan
 * counts for the tier with the highest `min_points` their balance reaches, so every fan
 * is counted in at most one tier and `below` holds those reaching none.
 */
export function fansPerTier(
  tiers: readonly LoyaltyTier[],
  levels: readonly PointsLevel[],
): { tiers: Array<LoyaltyTier & { fans: number }>; below: number } {
  const sorted = [...tiers].sort((a, b) => a.min_points - b.min_points);
  const counts = new Map(sorted.map((t) => [t, 0]));
  let below = 0;
  for (const level of levels) {
    const { tier } = tierFor(sorted, level.points);
    if (tier) counts.set(tier, counts.get(tier)! + level.fans);
    else below += level.fans;
  }
  return { tiers: sorted.map((t) => ({ ...t, fans: counts.get(t)! })), below };
}
