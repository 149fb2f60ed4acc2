import type { Insertable } from 'kysely';
import type { Executor, Tx } from '../../platform/db/database.ts';
import type { MatchSectors } from '../../platform/db/types.generated.ts';
import { AppError, type FieldError } from '../../platform/errors.ts';
import { changedFields } from './matches.rules.ts';
import type {
  AddMatchSectorBody,
  MatchSectorChange,
  MatchSectorOut,
} from './match-sectors.schemas.ts';
import {
  configureChange,
  configured,
  iso,
  assertNotLocked,
  loadMatch,
  pgCode,
  validation,
  type ConfigureEntry,
  type Configured,
  type Actor,
  type MatchesDeps,
} from './match-changes.ts';
import { assertNothingSoldOrHeld, lockUncommittedInventory } from './commitments.ts';
import * as sectorsRepo from './match-sectors.repo.ts';
import type * as matchesRepo from './matches.repo.ts';
import * as pricesRepo from './price-categories.repo.ts';
import * as stadiumRepo from './stadium-config.repo.ts';

/** Match sector use cases (E2-F4), one transaction each, logged like every match change. */

export function toSectorOut(s: sectorsRepo.MatchSectorRow): MatchSectorOut {
  return { ...s, created_at: iso(s.created_at) };
}

/** Defaults for a match sector copied from a template sector. */
export function sectorFromTemplate(
  matchId: string,
  stadiumNumbered: boolean,
  s: stadiumRepo.TemplateSector,
): Insertable<MatchSectors> {
  const isNumbered = stadiumNumbered && s.sector_type !== 'STANDING';
  // A numbered sector with generated seats holds exactly those seats.
  const total = isNumbered && s.generated_seats > 0 ? s.generated_seats : s.capacity;
  const technical = Math.min(s.technical_generated_seats, total);
  return {
    match_id: matchId,
    sector_id: s.id,
    name: s.name,
    code: s.code,
    total_capacity: total,
    technical_seats: technical,
    sellable_capacity: total - technical,
    status: 'ACTIVE',
    purpose: s.sector_type === 'VIP' ? 'VIP' : 'GENERAL',
    is_numbered: isNumbered,
    has_seat_map: s.has_seat_map,
  };
}

/** Changing these alters the inventory a lock created, so they need an unlocked configuration. */
const STRUCTURAL_FIELDS = [
  'status',
  'total_capacity',
  'technical_seats',
  'sellable_capacity',
  'is_numbered',
] as const;

export async function listMatchSectors(
  deps: MatchesDeps,
  matchId: string,
): Promise<MatchSectorOut[]> {
  await loadMatch(deps.db, matchId);
  return (await sectorsRepo.listMatchSectors(deps.db, matchId)).map(toSectorOut);
}

async function assertPriceCategoryOfMatch(
  trx: Executor,
  matchId: string,
  categoryId: string | null | undefined,
  field: string,
) {
  if (categoryId && !(await pricesRepo.findPriceCategory(trx, matchId, categoryId))) {
    throw validation([{ field, message: 'no such price category in this match' }]);
  }
}

function capacityProblems(
  s: { total_capacity: number; technical_seats: number; sellable_capacity: number },
  field: string,
): FieldError[] {
  return s.sellable_capacity + s.technical_seats > s.total_capacity
    ? [
        {
          field: `${field}.sellable_capacity`,
          message: `sellable (${s.sellable_capacity}) + technical (${s.technical_seats}) exceeds total capacity (${s.total_capacity})`,
        },
      ]
    : [];
}

export async function addMatchSector(
  deps: MatchesDeps,
  actor: Actor,
  matchId: string,
  body: AddMatchSectorBody,
): Promise<MatchSectorOut> {
  return configureChange(
    deps,
    actor,
    matchId,
    async (trx, match) => {
      assertNotLocked(match);
      if (!match.venue_id) {
        throw new AppError(
          'CONFLICT',
          'The match has no stadium yet: configure it with POST /admin/matches/{matchId}/stadium',
        );
      }
      const template = (await stadiumRepo.listTemplateSectors(trx, match.venue_id)).find(
        (s) => s.id === body.sector_id,
      );
      if (!template) {
        throw validation([{ field: 'body.sector_id', message: 'not a sector of the match venue' }]);
      }
      await assertPriceCategoryOfMatch(
        trx,
        matchId,
        body.price_category_id,
        'body.price_category_id',
      );
      const stadium = (await stadiumRepo.findStadium(trx, match.venue_id))!;
      const defaults = sectorFromTemplate(matchId, stadium.is_numbered, template);
      const { sector_id: _sectorId, ...overrides } = body;
      const values = { ...defaults, ...stripUndefined(overrides) } as Insertable<MatchSectors> & {
        total_capacity: number;
        technical_seats: number;
        sellable_capacity: number;
      };
      // A capacity given alone keeps the rest consistent: sellable = total - technical.
      if (body.sellable_capacity === undefined) {
        values.sellable_capacity = Math.max(values.total_capacity - values.technical_seats, 0);
      }
      const problems = capacityProblems(values, 'body');
      if (problems.length) throw validation(problems);
      const [created] = await sectorsRepo.insertMatchSectors(trx, [values]);
      const out = toSectorOut(created!);
      return configured(out, {
        entity: 'match_sector',
        entity_id: out.id,
        action: 'match_sector_added',
        before: null,
        after: out,
      });
    },
    (err) =>
      pgCode(err) === '23505'
        ? new AppError('CONFLICT', 'The sector is already part of this match configuration')
        : err,
  );
}

function stripUndefined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Applies sector changes (single PUT and bulk PUT) all-or-nothing: refused with 409 when a
 * sector has sold seats, or when a locked configuration would change structurally.
 */
async function applySectorChanges(
  deps: MatchesDeps,
  trx: Tx,
  match: matchesRepo.MatchRow,
  changes: (MatchSectorChange & { id: string })[],
  fieldPrefix: (i: number) => string,
): Promise<Configured<MatchSectorOut[]>> {
  const ids = changes.map((c) => c.id);
  const rows = new Map(
    (await sectorsRepo.findMatchSectors(trx, match.id, ids, { lock: true })).map((r) => [r.id, r]),
  );
  const missing = ids.filter((id) => !rows.has(id));
  if (missing.length) {
    throw new AppError('NOT_FOUND', 'Match sector was not found', {
      extra: { match_sector_ids: missing },
    });
  }
  await lockUncommittedInventory(
    trx,
    { matchId: match.id, matchSectorIds: [...rows.keys()] },
    deps.clock.now(),
    assertNothingSoldOrHeld,
  );
  const problems: FieldError[] = [];
  const plans = changes.map((change, i) => {
    const before = rows.get(change.id)!;
    const { id: _id, ...fields } = change;
    const patch = stripUndefined(fields);
    const changed = changedFields(before as unknown as Record<string, unknown>, patch);
    if (
      match.stadium_config_status === 'LOCKED' &&
      changed.some((f) => (STRUCTURAL_FIELDS as readonly string[]).includes(f))
    ) {
      throw new AppError(
        'CONFIG_LOCKED',
        'Status and capacities of a locked configuration cannot change: unlock it first',
        { extra: { match_sector_id: change.id } },
      );
    }
    problems.push(...capacityProblems({ ...before, ...patch }, fieldPrefix(i)));
    return { before, patch, changed, prefix: fieldPrefix(i) };
  });
  if (problems.length) throw validation(problems);
  const out: MatchSectorOut[] = [];
  const logged: ConfigureEntry[] = [];
  for (const plan of plans) {
    await assertPriceCategoryOfMatch(
      trx,
      match.id,
      plan.patch.price_category_id,
      `${plan.prefix}.price_category_id`,
    );
    if (plan.changed.length === 0) {
      out.push(toSectorOut(plan.before));
      continue;
    }
    const values = Object.fromEntries(
      plan.changed.map((f) => [f, plan.patch[f as keyof typeof plan.patch]]),
    );
    const updated = await sectorsRepo.updateMatchSector(trx, plan.before.id, values);
    const sectorOut = toSectorOut(updated);
    const beforeOut = toSectorOut(plan.before);
    logged.push({
      entity: 'match_sector',
      entity_id: updated.id,
      action: 'match_sector_updated',
      before: Object.fromEntries(
        plan.changed.map((f) => [f, beforeOut[f as keyof MatchSectorOut]]),
      ),
      after: Object.fromEntries(plan.changed.map((f) => [f, sectorOut[f as keyof MatchSectorOut]])),
    });
    out.push(sectorOut);
  }
  return configured(out, ...logged);
}

export async function updateMatchSector(
  deps: MatchesDeps,
  actor: Actor,
  matchId: string,
  sectorId: string,
  body: MatchSectorChange,
): Promise<MatchSectorOut> {
  const [out] = await configureChange(deps, actor, matchId, (trx, match) =>
    applySectorChanges(deps, trx, match, [{ ...body, id: sectorId }], () => 'body'),
  );
  return out!;
}

export async function bulkUpdateMatchSectors(
  deps: MatchesDeps,
  actor: Actor,
  matchId: string,
  body: { sectors: (MatchSectorChange & { id: string })[] },
): Promise<MatchSectorOut[]> {
  return configureChange(deps, actor, matchId, (trx, match) =>
    applySectorChanges(deps, trx, match, body.sectors, (i) => `body.sectors.${i}`),
  );
}
