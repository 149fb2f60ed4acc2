import type { Executor } from '../../platform/db/database.ts';
import { AppError, notFound } from '../../platform/errors.ts';
import type {
  CreatePriceCategoryBody,
  UpdatePriceCategoryBody,
} from './price-categories.schemas.ts';
import {
  configureChange,
  configured,
  iso,
  loadMatch,
  pgCode,
  pgConstraint,
  type Actor,
  type MatchesDeps,
} from './match-changes.ts';
import { assertNothingSoldOrHeld, lockUncommittedInventory } from './commitments.ts';
import * as sectorsRepo from './match-sectors.repo.ts';
import * as pricesRepo from './price-categories.repo.ts';

/** Price category use cases (E2-F4), one transaction each, logged like every match change. */

export function toPriceCategoryOut(c: pricesRepo.PriceCategoryRow) {
  return {
    id: c.id,
    match_id: c.match_id,
    name: c.name,
    price: c.price,
    currency: c.currency,
    color: c.color,
    created_at: iso(c.created_at),
  };
}

function priceCategoryWriteError(err: unknown): unknown {
  if (pgCode(err) === '23505' && pgConstraint(err) === 'price_categories_match_id_name_key') {
    return new AppError(
      'PRICE_CATEGORY_NAME_TAKEN',
      'The match already has a price category with this name',
    );
  }
  // Any row still pointing at the category (a sector, a quota, a ticket) keeps it alive.
  if (pgCode(err) === '23503') {
    return new AppError('PRICE_CATEGORY_IN_USE', 'The price category is still in use');
  }
  return err;
}

export async function listPriceCategories(deps: MatchesDeps, matchId: string) {
  await loadMatch(deps.db, matchId);
  return (await pricesRepo.listPriceCategories(deps.db, matchId)).map(toPriceCategoryOut);
}

export async function createPriceCategory(
  deps: MatchesDeps,
  actor: Actor,
  matchId: string,
  body: CreatePriceCategoryBody,
) {
  return configureChange(
    deps,
    actor,
    matchId,
    async (trx) => {
      const [category] = await pricesRepo.insertPriceCategories(trx, [
        {
          match_id: matchId,
          name: body.name,
          price: body.price,
          currency: body.currency,
          color: body.color ?? null,
        },
      ]);
      const out = toPriceCategoryOut(category!);
      return configured(out, {
        entity: 'price_category',
        entity_id: out.id,
        action: 'price_category_created',
        before: null,
        after: out,
      });
    },
    priceCategoryWriteError,
  );
}

export async function updatePriceCategory(
  deps: MatchesDeps,
  actor: Actor,
  matchId: string,
  categoryId: string,
  body: UpdatePriceCategoryBody,
) {
  return configureChange(
    deps,
    actor,
    matchId,
    async (trx) => {
      const category = await findCategory(trx, matchId, categoryId);
      if (body.price !== undefined && body.price !== category.price) {
        // A new price reaches every sector priced with the category: the same rule as
        // repricing the sectors themselves.
        const sectorIds = await sectorsRepo.sectorIdsWithPriceCategory(trx, categoryId);
        await lockUncommittedInventory(
          trx,
          { matchId, matchSectorIds: sectorIds },
          deps.clock.now(),
          assertNothingSoldOrHeld,
        );
      }
      const updated = await pricesRepo.updatePriceCategory(trx, categoryId, body);
      const out = toPriceCategoryOut(updated);
      return configured(out, {
        entity: 'price_category',
        entity_id: categoryId,
        action: 'price_category_updated',
        before: toPriceCategoryOut(category),
        after: out,
      });
    },
    priceCategoryWriteError,
  );
}

export async function deletePriceCategory(
  deps: MatchesDeps,
  actor: Actor,
  matchId: string,
  categoryId: string,
): Promise<void> {
  await configureChange(
    deps,
    actor,
    matchId,
    async (trx) => {
      const category = await findCategory(trx, matchId, categoryId);
      if (await pricesRepo.priceCategoryInUse(trx, categoryId)) {
        throw new AppError('PRICE_CATEGORY_IN_USE', 'A sector of the match uses this category');
      }
      await pricesRepo.deletePriceCategory(trx, categoryId);
      return configured(undefined, {
        entity: 'price_category',
        entity_id: categoryId,
        action: 'price_category_deleted',
        before: toPriceCategoryOut(category),
        after: null,
      });
    },
    priceCategoryWriteError,
  );
}

async function findCategory(trx: Executor, matchId: string, categoryId: string) {
  const category = await pricesRepo.findPriceCategory(trx, matchId, categoryId);
  if (!category) throw notFound('Price category');
  return category;
}
