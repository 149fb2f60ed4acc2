import type { Insertable } from 'kysely';
import type { Executor, Tx } from '../../platform/db/database.ts';
import type { MatchSectors } from '../../platform/db/types.generated.ts';
import { AppError, notFound } from '../../platform/errors.ts';
import { recordAudit } from '../audit/audit.service.ts';
import {
  DEFAULT_SNAKE_CONFIG,
  snakeConfigSchema,
  snakeOrder,
  type SnakeConfig,
} from '../venues/snake.ts';
import {
  DERIVED_SEAT_STATUSES,
  initialSeatStatus,
  validateConfiguration,
  type ConfigIssue,
} from './matches.rules.ts';
import type { ConfigureStadiumBody } from './stadium-config.schemas.ts';
import {
  configureChange,
  configured,
  isoOrNull,
  assertNotLocked,
  loadMatch,
  pgCode,
  validation,
  type Actor,
  type MatchesDeps,
} from './match-changes.ts';
import { assertNoCommittedSeats, lockUncommittedInventory } from './commitments.ts';
import { toPriceCategoryOut } from './price-categories.service.ts';
import { sectorFromTemplate, toSectorOut } from './match-sectors.service.ts';
import * as sectorsRepo from './match-sectors.repo.ts';
import * as matchesRepo from './matches.repo.ts';
import * as phasesRepo from './phases.repo.ts';
import * as pricesRepo from './price-categories.repo.ts';
import * as stadiumRepo from './stadium-config.repo.ts';

/**
 * Match stadium configuration use cases (E2-F4, E2-F5 inline): configure from a template,
 * another match or a new away stadium; validate and lock (writing the seat inventory);
 * unlock. Changes to one match's configuration are serialised by locking the match row first.
 */

async function stadiumConfig(trx: Executor, match: matchesRepo.MatchRow) {
  const [stadium, sectors, categories, inventory] = await Promise.all([
    match.venue_id ? stadiumRepo.findStadium(trx, match.venue_id) : Promise.resolve(undefined),
    sectorsRepo.listMatchSectors(trx, match.id),
    pricesRepo.listPriceCategories(trx, match.id),
    stadiumRepo.countInventory(trx, match.id),
  ]);
  return {
    match_id: match.id,
    stadium_config_status: match.stadium_config_status,
    config_locked_at: isoOrNull(match.config_locked_at),
    stadium: stadium
      ? {
          id: stadium.id,
          name: stadium.name,
          city: stadium.city,
          country: stadium.country,
          address: stadium.address,
          type: stadium.type,
          base_capacity: stadium.base_capacity,
          is_numbered: stadium.is_numbered,
        }
      : null,
    sectors: sectors.map(toSectorOut),
    price_categories: categories.map(toPriceCategoryOut),
    inventory_seats: inventory,
  };
}

export async function getStadiumConfig(deps: MatchesDeps, matchId: string) {
  return stadiumConfig(deps.db, await loadMatch(deps.db, matchId));
}

/**
 * POST /admin/matches/{matchId}/stadium: (re)builds the match configuration from a
 * template, from another match, or from an away stadium created inline. Replaces the
 * previous sectors (not allowed once locked); price categories of the match are kept.
 */
export async function configureStadium(
  deps: MatchesDeps,
  actor: Actor,
  matchId: string,
  body: ConfigureStadiumBody,
) {
  return configureChange(
    deps,
    actor,
    matchId,
    async (trx, match) => {
      assertNotLocked(match);
      const previous = await sectorsRepo.listMatchSectors(trx, matchId);
      // Replacing the sectors drops their inventory rows: never once a seat is committed.
      await lockUncommittedInventory(
        trx,
        { matchId },
        deps.clock.now(),
        assertNoCommittedSeats('Seats of this match are reserved, sold or allocated'),
      );
      await sectorsRepo.deleteMatchSectors(trx, matchId);

      let stadium: stadiumRepo.StadiumRow;
      let sectors: Insertable<MatchSectors>[];
      let source: Record<string, unknown>;
      if (body.stadium_template_id) {
        const found = await stadiumRepo.findStadium(trx, body.stadium_template_id);
        if (!found) throw notFound('Stadium template');
        stadium = found;
        const template = await stadiumRepo.listTemplateSectors(trx, stadium.id);
        sectors = template.map((s) => sectorFromTemplate(matchId, stadium.is_numbered, s));
        source = { stadium_template_id: stadium.id };
      } else if (body.import_from_match_id) {
        if (body.import_from_match_id === matchId) {
          throw validation([
            { field: 'body.import_from_match_id', message: 'must be another match' },
          ]);
        }
        const from = await loadMatch(trx, body.import_from_match_id);
        const fromSectors = await sectorsRepo.listMatchSectors(trx, from.id);
        if (!from.venue_id || fromSectors.length === 0) {
          throw validation([
            {
              field: 'body.import_from_match_id',
              message: 'that match has no stadium configuration',
            },
          ]);
        }
        stadium = (await stadiumRepo.findStadium(trx, from.venue_id))!;
        const categoryIds = await copyPriceCategories(trx, from.id, matchId);
        sectors = fromSectors.map((s) => ({
          match_id: matchId,
          sector_id: s.sector_id,
          name: s.name,
          code: s.code,
          total_capacity: s.total_capacity,
          technical_seats: s.technical_seats,
          sellable_capacity: s.sellable_capacity,
          price_category_id: s.price_category_id ? categoryIds.get(s.price_category_id) : null,
          status: s.status,
          purpose: s.purpose,
          is_numbered: s.is_numbered,
          has_seat_map: s.has_seat_map,
        }));
        source = { import_from_match_id: from.id };
      } else {
        const spec = body.create_new!;
        stadium = await stadiumRepo.insertStadium(trx, {
          name: spec.name,
          city: spec.city,
          country: spec.country,
          address: spec.address ?? null,
          type: 'AWAY',
          is_numbered: spec.is_numbered,
          base_capacity: spec.sectors.reduce((sum, s) => sum + s.capacity, 0),
        });
        const created = await stadiumRepo.insertSectors(
          trx,
          spec.sectors.map((s) => ({
            stadium_id: stadium.id,
            name: s.name,
            code: s.code,
            capacity: s.capacity,
            sector_type: s.sector_type,
          })),
        );
        sectors = created.map((s) =>
          sectorFromTemplate(matchId, stadium.is_numbered, {
            ...s,
            generated_seats: 0,
            technical_generated_seats: 0,
          }),
        );
        await recordAudit(deps, trx, {
          domain: 'stadium',
          action: 'stadium_created',
          actor: actor.userId ? { type: 'user', id: actor.userId } : { type: 'system' },
          subject: { type: 'stadium', id: stadium.id },
          changes: { after: { ...spec, id: stadium.id, type: 'AWAY' }, match_id: matchId },
          context: actor.context,
        });
        source = { create_new: { stadium_id: stadium.id } };
      }

      await sectorsRepo.insertMatchSectors(trx, sectors);
      const updated = await matchesRepo.updateMatch(trx, matchId, {
        venue_id: stadium.id,
        is_numbered: stadium.is_numbered,
        stadium_config_status: 'DRAFT',
      });
      const config = await stadiumConfig(trx, updated);
      return configured(config, {
        entity: 'stadium_config',
        entity_id: matchId,
        action: 'match_stadium_configured',
        before: {
          venue_id: match.venue_id,
          sectors: previous.map((s) => s.code),
        },
        after: { ...source, venue_id: stadium.id, sectors: config.sectors.map((s) => s.code) },
      });
    },
    // Orders or tickets of other modules still point at the old inventory rows.
    (err) =>
      pgCode(err) === '23503'
        ? new AppError('SALES_STARTED', 'Seats of this configuration are referenced by sales', {
            cause: err,
          })
        : err,
  );
}

/**
 * Copies the price categories of one match to another, reusing a target category of the
 * same name. Returns source id → target id.
 */
async function copyPriceCategories(
  trx: Executor,
  fromMatchId: string,
  toMatchId: string,
): Promise<Map<string, string>> {
  const [source, existing] = await Promise.all([
    pricesRepo.listPriceCategories(trx, fromMatchId),
    pricesRepo.listPriceCategories(trx, toMatchId),
  ]);
  const byName = new Map(existing.map((c) => [c.name, c.id]));
  const created = await pricesRepo.insertPriceCategories(
    trx,
    source
      .filter((c) => !byName.has(c.name))
      .map((c) => ({
        match_id: toMatchId,
        name: c.name,
        price: c.price,
        currency: c.currency,
        color: c.color,
      })),
  );
  for (const c of created) byName.set(c.name, c.id);
  return new Map(source.map((c) => [c.id, byName.get(c.name)!]));
}

/**
 * Creates (or, after an unlock, refreshes) the match seat inventory: one row per seat of
 * every numbered match sector, with the sector's snake order precomputed (1 = first seat
 * to assign) so that seat assignment is one indexed query. One statement for all seats.
 */
async function buildInventory(trx: Tx, matchId: string): Promise<number> {
  const seats = await stadiumRepo.seatsToInventory(trx, matchId);
  const bySector = new Map<string, stadiumRepo.LockSeat[]>();
  for (const seat of seats) {
    let list = bySector.get(seat.match_sector_id);
    if (!list) bySector.set(seat.match_sector_id, (list = []));
    list.push(seat);
  }
  const templateSectorIds = [...new Set(seats.map((s) => s.sector_id))];
  const configs = new Map<string, SnakeConfig>();
  for (const stored of await stadiumRepo.snakeConfigs(trx, templateSectorIds)) {
    const parsed = snakeConfigSchema.safeParse(stored);
    // A stored configuration the current rules reject must not block locking: the default
    // order is still a valid snake; the venues module validates configurations on save.
    if (parsed.success) configs.set(stored.sector_id, parsed.data);
  }
  const batch: stadiumRepo.InventoryBatch = {
    seat_id: [],
    match_sector_id: [],
    row_index: [],
    col_index: [],
    snake_order: [],
    status: [],
  };
  for (const [matchSectorId, sectorSeats] of bySector) {
    const config = configs.get(sectorSeats[0]!.sector_id) ?? DEFAULT_SNAKE_CONFIG;
    snakeOrder(sectorSeats, config).forEach((seat, i) => {
      batch.seat_id.push(seat.id);
      batch.match_sector_id.push(matchSectorId);
      batch.row_index.push(seat.row_index);
      batch.col_index.push(seat.col_index);
      batch.snake_order.push(i + 1);
      batch.status.push(initialSeatStatus(seat.sector_status, seat.seat_type));
    });
  }
  await stadiumRepo.deleteUnnumberedInventory(trx, matchId);
  if (batch.seat_id.length) {
    const firstLock = (await stadiumRepo.countInventory(trx, matchId)) === 0;
    await stadiumRepo.upsertInventory(trx, matchId, batch, DERIVED_SEAT_STATUSES, firstLock);
  }
  return batch.seat_id.length;
}

export interface ValidationResult {
  valid: boolean;
  issues: ConfigIssue[];
  stadium_config_status: 'DRAFT' | 'VALIDATED' | 'LOCKED';
  inventory_seats: number;
}

/**
 * POST /admin/matches/{matchId}/stadium/validate: runs every configuration check; when
 * none fails the configuration becomes VALIDATED and is then locked (spec "Lock
 * configuration after validation passes"), which creates the seat inventory, all in one
 * transaction. With issues nothing changes and the issues are returned.
 */
export async function validateAndLock(
  deps: MatchesDeps,
  actor: Actor,
  matchId: string,
): Promise<ValidationResult> {
  return configureChange(deps, actor, matchId, async (trx, match) => {
    assertNotLocked(match);
    const issues = validateConfiguration(await sectorsRepo.sectorFacts(trx, matchId));
    if (issues.length) {
      return configured<ValidationResult>({
        valid: false,
        issues,
        stadium_config_status: match.stadium_config_status,
        inventory_seats: await stadiumRepo.countInventory(trx, matchId),
      });
    }
    await matchesRepo.updateMatch(trx, matchId, { stadium_config_status: 'VALIDATED' });
    const seats = await buildInventory(trx, matchId);
    const lockedAt = deps.clock.now();
    await matchesRepo.updateMatch(trx, matchId, {
      stadium_config_status: 'LOCKED',
      config_locked_at: lockedAt,
    });
    return configured<ValidationResult>(
      {
        valid: true,
        issues: [],
        stadium_config_status: 'LOCKED',
        inventory_seats: await stadiumRepo.countInventory(trx, matchId),
      },
      {
        entity: 'stadium_config',
        entity_id: matchId,
        action: 'match_config_validated',
        before: { stadium_config_status: match.stadium_config_status },
        after: { stadium_config_status: 'VALIDATED' },
      },
      {
        entity: 'stadium_config',
        entity_id: matchId,
        action: 'match_config_locked',
        before: { stadium_config_status: 'VALIDATED' },
        after: { stadium_config_status: 'LOCKED', inventory_seats: seats },
      },
    );
  });
}

/**
 * POST /admin/matches/{matchId}/stadium/unlock: back to DRAFT for changes, refused once
 * sales have started: an active sales phase has begun, or a seat is already reserved,
 * sold or allocated. The inventory rows stay; the next lock refreshes them in place.
 */
export async function unlockConfiguration(deps: MatchesDeps, actor: Actor, matchId: string) {
  return configureChange(deps, actor, matchId, async (trx, match) => {
    if (match.stadium_config_status !== 'LOCKED') {
      throw new AppError('CONFIG_NOT_LOCKED', 'The stadium configuration is not locked');
    }
    const now = deps.clock.now();
    const started = 'Sales for this match have started: the configuration stays locked';
    // Phases cannot change meanwhile: their writes lock the match row first, as this does.
    if (await phasesRepo.hasStartedSalesPhase(trx, matchId, now)) {
      throw new AppError('SALES_STARTED', started);
    }
    await lockUncommittedInventory(trx, { matchId }, now, assertNoCommittedSeats(started));
    const updated = await matchesRepo.updateMatch(trx, matchId, { stadium_config_status: 'DRAFT' });
    return configured(await stadiumConfig(trx, updated), {
      entity: 'stadium_config',
      entity_id: matchId,
      action: 'match_config_unlocked',
      before: { stadium_config_status: 'LOCKED' },
      after: { stadium_config_status: 'DRAFT' },
    });
  });
}
