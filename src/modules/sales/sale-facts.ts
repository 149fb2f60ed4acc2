import type { AppDeps } from '../../deps.ts';
import { memoOf } from '../../platform/memo.ts';
import {
  feeConfigurationAt,
  findSaleZone,
  loadFeeConfigurations,
  loadSaleMatchFacts,
  saleMatchAt,
  type FeeConfigRow,
  type SaleMatchFacts,
  type SaleMatchRow,
} from './sales.repo.ts';

/**
 * The reference facts every cart addition and checkout reads (match and phases, the zone,
 * the fees), memoised per process for SALE_FACTS_TTL_MS (platform/memo.ts). Only facts that
 * do not depend on the time are kept; which phase and which fee configuration are in force
 * is decided at the request's `now`, so a phase opening or closing is never late. An admin
 * edit reaches the sale within the TTL. Decisions that must see the latest committed state
 * (the zone re-read after a claim, in its transaction) read the database directly.
 */
type FactsDeps = Pick<AppDeps, 'db' | 'config'>;

const memo = <V>(deps: FactsDeps, name: string) =>
  memoOf<V>(deps.db, `sales.${name}`, deps.config.SALE_FACTS_TTL_MS);

/** The match with the public sales phase open at `now`, if any (saleMatchAt). */
export async function saleMatch(
  deps: FactsDeps,
  matchId: string,
  now: Date,
): Promise<SaleMatchRow | undefined> {
  const facts = await memo<SaleMatchFacts | undefined>(deps, 'match').get(matchId, () =>
    loadSaleMatchFacts(deps.db, matchId),
  );
  return facts && saleMatchAt(facts, now);
}

/** A zone of the match on public sale (ACTIVE, GENERAL) with its price (see findSaleZone). */
export function saleZone(deps: FactsDeps, matchId: string, matchSectorId: string) {
  return memo<Awaited<ReturnType<typeof findSaleZone>>>(deps, 'zone').get(
    `${matchId} ${matchSectorId}`,
    () => findSaleZone(deps.db, matchId, matchSectorId),
  );
}

/** The fee configuration in force for the match at `at` (see findFeeConfiguration). */
export async function feeConfiguration(
  deps: FactsDeps,
  matchId: string,
  at: Date,
): Promise<FeeConfigRow | undefined> {
  const rows = await memo<FeeConfigRow[]>(deps, 'fees').get(matchId, () =>
    loadFeeConfigurations(deps.db, matchId),
  );
  return feeConfigurationAt(rows, at);
}
