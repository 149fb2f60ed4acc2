import type { Insertable } from 'kysely';
import type { AppDeps } from '../../deps.ts';
import type { Executor, Tx } from '../../platform/db/database.ts';
import type { MatchSectors } from '../../platform/db/types.generated.ts';
import { AppError, notFound, type FieldError } from '../../platform/errors.ts';
import { recordAudit } from '../audit/audit.service.ts';
import {
  DEFAULT_SNAKE_CONFIG,
  snakeConfigSchema,
  snakeOrder,
  type SnakeConfig,
} from '../venues/snake.ts';
import * as repo from './matches.repo.ts';
import {
  assertEditable,
  assertTransition,
  changedFields,
  changeTypeForStatus,
  changeTypeForUpdate,
  DERIVED_SEAT_STATUSES,
  initialSeatStatus,
  normaliseEligibility,
  phaseProblems,
  validateConfiguration,
  type ConfigIssue,
  type MatchChangeType,
  type MatchStatus,
  type StatusChangeTarget,
} from './matches.rules.ts';
import type {
  AddMatchSectorBody,
  ConfigureStadiumBody,
  CreateMatchBody,
  CreatePhaseBody,
  CreatePriceCategoryBody,
  MatchOut,
  MatchSectorChange,
  MatchSectorOut,
  PhaseOut,
  UpdateMatchBody,
  UpdatePhaseBody,
  UpdatePriceCategoryBody,
} from './matches.schemas.ts';

/**
 * Match use cases (E2-F1, E2-F2, E2-F4). Each exported function is one transaction; every
 * change writes a `match_audit_logs` row and an audit event inside it. Changes to one
 * match's configuration are serialised by locking the match row first.
 */
export type MatchesDeps = Pick<AppDeps, 'db' | 'jobs' | 'clock'>;

/** Who is acting: a staff user, or the system (CLI, jobs, test factories). */
export interface Actor {
  userId: string | null;
  /** Request context for the audit event (ip, request id, …). */
  context?: Record<string, unknown>;
}

// Mapping rows to API shapes ---------------------------------------------------------------

const iso = (d: Date) => d.toISOString();
const isoOrNull = (d: Date | null) => (d ? d.toISOString() : null);

export function toMatchOut(m: repo.MatchRow): MatchOut {
  return {
    id: m.id,
    home_team: m.home_team,
    away_team: m.away_team,
    competition: m.competition,
    kick_off_time: iso(m.kick_off_time),
    venue_id: m.venue_id,
    match_type: m.match_type,
    is_numbered: m.is_numbered,
    status: m.status,
    stadium_config_status: m.stadium_config_status,
    config_locked_at: isoOrNull(m.config_locked_at),
    created_by: m.created_by,
    created_at: iso(m.created_at),
    updated_at: iso(m.updated_at),
    closed_at: isoOrNull(m.closed_at),
    cancelled_at: isoOrNull(m.cancelled_at),
    cancellation_reason: m.cancellation_reason,
    deleted_at: isoOrNull(m.deleted_at),
  };
}

function toPhaseOut(p: repo.SalesPhaseRow): PhaseOut {
  return {
    id: p.id,
    match_id: p.match_id,
    phase_type: p.phase_type,
    name: p.name,
    start_at: iso(p.start_at),
    end_at: iso(p.end_at),
    eligibility_rules_json: p.eligibility_rules_json as PhaseOut['eligibility_rules_json'],
    ticket_limit: p.ticket_limit,
    is_active: p.is_active,
    created_at: iso(p.created_at),
  };
}

function toPriceCategoryOut(c: repo.PriceCategoryRow) {
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

export function toSectorOut(s: repo.MatchSectorRow): MatchSectorOut {
  return { ...s, created_at: iso(s.created_at) };
}

// Shared steps -----------------------------------------------------------------------------

interface Change {
  change_type: MatchChangeType;
  /** What changed: match, sales_phase, price_category, match_sector, stadium_config. */
  entity: string;
  entity_id: string;
  /** snake_case action for the audit event, e.g. `match_published`. */
  action: string;
  before: unknown;
  after: unknown;
  notification_preference?: 'notify' | 'silent';
}

/** The match change log row and the audit event, both in the caller's transaction. */
async function logChange(
  deps: MatchesDeps,
  trx: Executor,
  matchId: string,
  actor: Actor,
  change: Change,
): Promise<void> {
  const changes = {
    entity: change.entity,
    entity_id: change.entity_id,
    action: change.action,
    before: change.before,
    after: change.after,
  };
  await repo.insertMatchAuditLog(trx, {
    match_id: matchId,
    changed_by: actor.userId,
    change_type: change.change_type,
    changes,
    notification_preference: change.notification_preference ?? null,
  });
  await recordAudit(deps, trx, {
    domain: 'match',
    action: change.action,
    actor: actor.userId ? { type: 'user', id: actor.userId } : { type: 'system' },
    subject: { type: change.entity, id: change.entity_id },
    changes: { match_id: matchId, change_type: change.change_type, ...changes },
    context: actor.context,
  });
}

const transaction = <T>(deps: MatchesDeps, work: (trx: Tx) => Promise<T>) =>
  deps.db.transaction().execute(work);

async function loadMatch(trx: Executor, id: string, lock = false): Promise<repo.MatchRow> {
  const match = await repo.findMatch(trx, id, { lock });
  if (!match) throw notFound('Match');
  return match;
}

/** Loads and locks a match whose configuration is about to change. */
async function loadEditableMatch(trx: Executor, id: string): Promise<repo.MatchRow> {
  const match = await loadMatch(trx, id, true);
  assertEditable(match.status);
  return match;
}

const pgCode = (err: unknown) => (err as { code?: string }).code;
const pgConstraint = (err: unknown) => (err as { constraint?: string }).constraint;

const validation = (errors: FieldError[]) =>
  new AppError('VALIDATION_FAILED', `${errors.length} field(s) are invalid`, { errors });

// Seats committed to buyers -------------------------------------------------------------------

/**
 * Refuses a change while seats of its scope are sold (TICKETS_SOLD) or held by a live cart,
 * quota-portal, petrol or order hold (SALES_STARTED): a fan holding a seat has been shown a
 * price and a sector, and must pay that price, not a new one. Expired holds do not count
 * (architecture invariant 2).
 */
function assertNothingSoldOrHeld(rows: repo.InventoryCommitments[]) {
  const sold = rows.filter((r) => r.sold > 0).map((r) => r.match_sector_id);
  if (sold.length) {
    throw new AppError('TICKETS_SOLD', 'Tickets have been sold in these sectors', {
      extra: { match_sector_ids: sold },
    });
  }
  const held = rows.filter((r) => r.held > 0);
  if (held.length) {
    throw new AppError(
      'SALES_STARTED',
      'Seats of these sectors are held in carts or pending orders: the configuration their ' +
        'buyers were shown cannot change until the holds end',
      {
        extra: {
          match_sector_ids: held.map((r) => r.match_sector_id),
          held_seats: held.reduce((n, r) => n + r.held, 0),
        },
      },
    );
  }
}

/**
 * The race-free form of "refused once tickets are sold" for a change of the configuration
 * (sector pricing, status, capacities; a category's price; unlock; stadium replacement).
 * First a plain read, so that during a sale the usual answer (refused) comes with its
 * reason and without touching a row lock. Then every inventory row of the scope is locked
 * (`FOR NO KEY UPDATE NOWAIT`, see repo.inventoryCommitments) and checked again; the locks last
 * until the change commits, so no claim, checkout or ticket issue can slip in between the
 * check and the change: claims skip locked rows, and a row some claim is taking right now
 * answers 409 CONFLICT (retry) instead of making the change wait. `check` decides what
 * refuses the change.
 */
async function lockUncommittedInventory(
  trx: Tx,
  scope: { matchId: string; matchSectorIds?: readonly string[] },
  now: Date,
  check: (rows: repo.InventoryCommitments[]) => void,
): Promise<void> {
  check(await repo.inventoryCommitments(trx, scope, now));
  let locked: repo.InventoryCommitments[];
  try {
    locked = await repo.inventoryCommitments(trx, scope, now, { lock: true });
  } catch (err) {
    if (pgCode(err) === '55P03') {
      throw new AppError(
        'CONFLICT',
        'Seats concerned by this change are being claimed or changed right now; try again',
        { cause: err, extra: { retryable: true } },
      );
    }
    throw err;
  }
  check(locked);
}

/** Unlock and stadium replacement: any reserved (even expired), sold or allocated seat. */
function assertNoCommittedSeats(detail: string) {
  return (rows: repo.InventoryCommitments[]) => {
    if (rows.some((r) => r.reserved + r.sold + r.allocated > 0)) {
      throw new AppError('SALES_STARTED', detail);
    }
  };
}

// Matches (E2-F1) --------------------------------------------------------------------------

export async function createMatch(
  deps: MatchesDeps,
  actor: Actor,
  body: CreateMatchBody,
): Promise<MatchOut> {
  return transaction(deps, async (trx) => {
    if (body.venue_id && !(await repo.findStadium(trx, body.venue_id))) {
      throw validation([{ field: 'body.venue_id', message: 'no such stadium' }]);
    }
    const match = await repo.insertMatch(trx, {
      home_team: body.home_team,
      away_team: body.away_team,
      competition: body.competition,
      kick_off_time: new Date(body.kick_off_time),
      venue_id: body.venue_id ?? null,
      match_type: body.match_type,
      is_numbered: body.is_numbered ?? true,
      created_by: actor.userId,
    });
    const out = toMatchOut(match);
    await logChange(deps, trx, match.id, actor, {
      change_type: 'CREATE',
      entity: 'match',
      entity_id: match.id,
      action: 'match_created',
      before: null,
      after: out,
    });
    return out;
  });
}

export async function getMatch(deps: MatchesDeps, id: string): Promise<MatchOut> {
  return toMatchOut(await loadMatch(deps.db, id));
}

export async function listMatches(
  deps: MatchesDeps,
  query: {
    page: number;
    limit: number;
    status?: MatchStatus;
    match_type?: 'HOME' | 'AWAY';
    from?: string;
    to?: string;
    include_deleted?: 'true' | 'false';
  },
) {
  const { rows, total } = await repo.listMatches(
    deps.db,
    {
      status: query.status,
      match_type: query.match_type,
      from: query.from ? new Date(query.from) : undefined,
      to: query.to ? new Date(query.to) : undefined,
      include_deleted: query.include_deleted === 'true',
    },
    { offset: (query.page - 1) * query.limit, limit: query.limit },
  );
  return { items: rows.map(toMatchOut), page: query.page, limit: query.limit, total };
}

/** Applies a status change to a locked, loaded match (shared by PUT and POST /status). */
async function applyStatusChange(
  deps: MatchesDeps,
  trx: Tx,
  actor: Actor,
  match: repo.MatchRow,
  to: StatusChangeTarget,
  notification_preference?: 'notify' | 'silent',
): Promise<repo.MatchRow> {
  assertTransition(match.status, to);
  // Sales open on ACTIVE: without a locked configuration there is no inventory to sell.
  if (to === 'ACTIVE' && match.stadium_config_status !== 'LOCKED') {
    throw new AppError(
      'CONFIG_NOT_LOCKED',
      'Validate and lock the stadium configuration before activating the match',
    );
  }
  const now = deps.clock.now();
  const updated = await repo.updateMatch(trx, match.id, {
    status: to,
    ...(to === 'CLOSED' ? { closed_at: now, closed_by: actor.userId } : {}),
  });
  await logChange(deps, trx, match.id, actor, {
    change_type: changeTypeForStatus(to),
    entity: 'match',
    entity_id: match.id,
    action: `match_${to.toLowerCase()}`,
    before: { status: match.status },
    after: { status: to },
    notification_preference,
  });
  return updated;
}

export async function changeMatchStatus(
  deps: MatchesDeps,
  actor: Actor,
  id: string,
  body: { status: StatusChangeTarget; notification_preference?: 'notify' | 'silent' },
): Promise<MatchOut> {
  return transaction(deps, async (trx) => {
    const match = await loadMatch(trx, id, true);
    const updated = await applyStatusChange(
      deps,
      trx,
      actor,
      match,
      body.status,
      body.notification_preference,
    );
    return toMatchOut(updated);
  });
}

export async function updateMatch(
  deps: MatchesDeps,
  actor: Actor,
  id: string,
  body: UpdateMatchBody,
): Promise<MatchOut> {
  return transaction(deps, async (trx) => {
    let match = await loadMatch(trx, id, true);
    if (body.status !== undefined && body.status !== match.status) {
      // An invalid transition is answered 400 before anything else is looked at.
      assertTransition(match.status, body.status);
    }
    assertEditable(match.status);
    const { status, notification_preference, ...details } = body;
    const patch = {
      ...details,
      kick_off_time: details.kick_off_time ? new Date(details.kick_off_time) : undefined,
    };
    const fields = changedFields(match as unknown as Record<string, unknown>, patch);
    if (fields.includes('venue_id')) {
      if (details.venue_id && !(await repo.findStadium(trx, details.venue_id))) {
        throw validation([{ field: 'body.venue_id', message: 'no such stadium' }]);
      }
      if ((await repo.listMatchSectors(trx, id)).length > 0) {
        throw new AppError(
          'CONFLICT',
          'The match stadium is configured: change it with POST /admin/matches/{matchId}/stadium',
        );
      }
    }
    if (fields.length > 0) {
      const before = toMatchOut(match);
      const values = Object.fromEntries(
        fields.map((f) => [f, patch[f as keyof typeof patch]]),
      ) as Partial<typeof patch>;
      match = await repo.updateMatch(trx, id, values);
      const after = toMatchOut(match);
      const pick = (o: MatchOut) =>
        Object.fromEntries(fields.map((f) => [f, o[f as keyof MatchOut]]));
      await logChange(deps, trx, id, actor, {
        change_type: changeTypeForUpdate(fields),
        entity: 'match',
        entity_id: id,
        action: fields.includes('kick_off_time') ? 'match_rescheduled' : 'match_updated',
        before: pick(before),
        after: pick(after),
        notification_preference,
      });
    }
    if (status !== undefined && status !== match.status) {
      match = await applyStatusChange(deps, trx, actor, match, status, notification_preference);
    }
    return toMatchOut(match);
  });
}

/** Soft delete (E2-F1): status DELETED and deleted_at; lists hide it from then on. */
export async function deleteMatch(deps: MatchesDeps, actor: Actor, id: string): Promise<MatchOut> {
  return transaction(deps, async (trx) => {
    const match = await loadMatch(trx, id, true);
    // Only DRAFT and CANCELLED matches may be deleted (see the status machine).
    assertTransition(match.status, 'DELETED');
    const updated = await repo.updateMatch(trx, id, {
      status: 'DELETED',
      deleted_at: deps.clock.now(),
    });
    await logChange(deps, trx, id, actor, {
      change_type: 'DELETE',
      entity: 'match',
      entity_id: id,
      action: 'match_deleted',
      before: { status: match.status },
      after: { status: 'DELETED', deleted_at: iso(updated.deleted_at!) },
    });
    return toMatchOut(updated);
  });
}

// Sales phases (E2-F2) -----------------------------------------------------------------------

/** Overlap is enforced by the sales_phases_no_overlap exclusion constraint. */
function phaseWriteError(err: unknown): unknown {
  if (pgCode(err) === '23P01' && pgConstraint(err) === 'sales_phases_no_overlap') {
    return new AppError(
      'PHASES_OVERLAP',
      'The phase overlaps another active sales phase of this match',
    );
  }
  return err;
}

function checkPhase(phase: Parameters<typeof phaseProblems>[0]) {
  const problems = phaseProblems(phase);
  if (problems.length) throw validation(problems);
}

export async function listSalesPhases(deps: MatchesDeps, matchId: string): Promise<PhaseOut[]> {
  await loadMatch(deps.db, matchId);
  return (await repo.listSalesPhases(deps.db, matchId)).map(toPhaseOut);
}

export async function createSalesPhase(
  deps: MatchesDeps,
  actor: Actor,
  matchId: string,
  body: CreatePhaseBody,
): Promise<PhaseOut> {
  const values = {
    match_id: matchId,
    phase_type: body.phase_type,
    name: body.name,
    start_at: new Date(body.start_at),
    end_at: new Date(body.end_at),
    eligibility_rules_json: normaliseEligibility(body.eligibility_rules_json),
    ticket_limit: body.ticket_limit,
    is_active: body.is_active,
  };
  checkPhase(values);
  try {
    return await transaction(deps, async (trx) => {
      await loadEditableMatch(trx, matchId);
      const phase = await repo.insertSalesPhase(trx, {
        ...values,
        eligibility_rules_json: JSON.stringify(values.eligibility_rules_json),
      });
      const out = toPhaseOut(phase);
      await logChange(deps, trx, matchId, actor, {
        change_type: 'CONFIGURE',
        entity: 'sales_phase',
        entity_id: phase.id,
        action: 'sales_phase_created',
        before: null,
        after: out,
      });
      return out;
    });
  } catch (err) {
    throw phaseWriteError(err);
  }
}

export async function updateSalesPhase(
  deps: MatchesDeps,
  actor: Actor,
  matchId: string,
  phaseId: string,
  body: UpdatePhaseBody,
): Promise<PhaseOut> {
  try {
    return await transaction(deps, async (trx) => {
      await loadEditableMatch(trx, matchId);
      const phase = await repo.findSalesPhase(trx, matchId, phaseId);
      if (!phase) throw notFound('Sales phase');
      const merged = {
        phase_type: body.phase_type ?? phase.phase_type,
        name: body.name ?? phase.name,
        start_at: body.start_at ? new Date(body.start_at) : phase.start_at,
        end_at: body.end_at ? new Date(body.end_at) : phase.end_at,
        eligibility_rules_json: normaliseEligibility(
          body.eligibility_rules_json ??
            (phase.eligibility_rules_json as PhaseOut['eligibility_rules_json']),
        ),
        ticket_limit: body.ticket_limit ?? phase.ticket_limit,
        is_active: body.is_active ?? phase.is_active,
      };
      checkPhase(merged);
      const updated = await repo.updateSalesPhase(trx, phaseId, {
        ...merged,
        eligibility_rules_json: JSON.stringify(merged.eligibility_rules_json),
      });
      const out = toPhaseOut(updated);
      await logChange(deps, trx, matchId, actor, {
        change_type: 'CONFIGURE',
        entity: 'sales_phase',
        entity_id: phaseId,
        action: 'sales_phase_updated',
        before: toPhaseOut(phase),
        after: out,
      });
      return out;
    });
  } catch (err) {
    throw phaseWriteError(err);
  }
}

// Price categories (E2-F4) -------------------------------------------------------------------

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
  return (await repo.listPriceCategories(deps.db, matchId)).map(toPriceCategoryOut);
}

export async function createPriceCategory(
  deps: MatchesDeps,
  actor: Actor,
  matchId: string,
  body: CreatePriceCategoryBody,
) {
  try {
    return await transaction(deps, async (trx) => {
      await loadEditableMatch(trx, matchId);
      const [category] = await repo.insertPriceCategories(trx, [
        {
          match_id: matchId,
          name: body.name,
          price: body.price,
          currency: body.currency,
          color: body.color ?? null,
        },
      ]);
      const out = toPriceCategoryOut(category!);
      await logChange(deps, trx, matchId, actor, {
        change_type: 'CONFIGURE',
        entity: 'price_category',
        entity_id: out.id,
        action: 'price_category_created',
        before: null,
        after: out,
      });
      return out;
    });
  } catch (err) {
    throw priceCategoryWriteError(err);
  }
}

export async function updatePriceCategory(
  deps: MatchesDeps,
  actor: Actor,
  matchId: string,
  categoryId: string,
  body: UpdatePriceCategoryBody,
) {
  try {
    return await transaction(deps, async (trx) => {
      await loadEditableMatch(trx, matchId);
      const category = await repo.findPriceCategory(trx, matchId, categoryId);
      if (!category) throw notFound('Price category');
      if (body.price !== undefined && body.price !== category.price) {
        // A new price reaches every sector priced with the category: the same rule as
        // repricing the sectors themselves.
        const sectorIds = await repo.sectorIdsWithPriceCategory(trx, categoryId);
        await lockUncommittedInventory(
          trx,
          { matchId, matchSectorIds: sectorIds },
          deps.clock.now(),
          assertNothingSoldOrHeld,
        );
      }
      const updated = await repo.updatePriceCategory(trx, categoryId, body);
      const out = toPriceCategoryOut(updated);
      await logChange(deps, trx, matchId, actor, {
        change_type: 'CONFIGURE',
        entity: 'price_category',
        entity_id: categoryId,
        action: 'price_category_updated',
        before: toPriceCategoryOut(category),
        after: out,
      });
      return out;
    });
  } catch (err) {
    throw priceCategoryWriteError(err);
  }
}

export async function deletePriceCategory(
  deps: MatchesDeps,
  actor: Actor,
  matchId: string,
  categoryId: string,
): Promise<void> {
  try {
    await transaction(deps, async (trx) => {
      await loadEditableMatch(trx, matchId);
      const category = await repo.findPriceCategory(trx, matchId, categoryId);
      if (!category) throw notFound('Price category');
      if (await repo.priceCategoryInUse(trx, categoryId)) {
        throw new AppError('PRICE_CATEGORY_IN_USE', 'A sector of the match uses this category');
      }
      await repo.deletePriceCategory(trx, categoryId);
      await logChange(deps, trx, matchId, actor, {
        change_type: 'CONFIGURE',
        entity: 'price_category',
        entity_id: categoryId,
        action: 'price_category_deleted',
        before: toPriceCategoryOut(category),
        after: null,
      });
    });
  } catch (err) {
    throw priceCategoryWriteError(err);
  }
}

// Stadium configuration (E2-F4) --------------------------------------------------------------

function assertNotLocked(match: repo.MatchRow) {
  if (match.stadium_config_status === 'LOCKED') {
    throw new AppError(
      'CONFIG_LOCKED',
      'The stadium configuration is locked: unlock it before changing it',
    );
  }
}

async function stadiumConfig(trx: Executor, match: repo.MatchRow) {
  const [stadium, sectors, categories, inventory] = await Promise.all([
    match.venue_id ? repo.findStadium(trx, match.venue_id) : Promise.resolve(undefined),
    repo.listMatchSectors(trx, match.id),
    repo.listPriceCategories(trx, match.id),
    repo.countInventory(trx, match.id),
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

/** Defaults for a match sector copied from a template sector. */
function sectorFromTemplate(
  matchId: string,
  stadiumNumbered: boolean,
  s: repo.TemplateSector,
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
  return transaction(deps, async (trx) => {
    const match = await loadEditableMatch(trx, matchId);
    assertNotLocked(match);
    const previous = await repo.listMatchSectors(trx, matchId);
    // Replacing the sectors drops their inventory rows: never once a seat is committed.
    await lockUncommittedInventory(
      trx,
      { matchId },
      deps.clock.now(),
      assertNoCommittedSeats('Seats of this match are reserved, sold or allocated'),
    );
    await repo.deleteMatchSectors(trx, matchId);

    let stadium: repo.StadiumRow;
    let sectors: Insertable<MatchSectors>[];
    let source: Record<string, unknown>;
    if (body.stadium_template_id) {
      const found = await repo.findStadium(trx, body.stadium_template_id);
      if (!found) throw notFound('Stadium template');
      stadium = found;
      const template = await repo.listTemplateSectors(trx, stadium.id);
      sectors = template.map((s) => sectorFromTemplate(matchId, stadium.is_numbered, s));
      source = { stadium_template_id: stadium.id };
    } else if (body.import_from_match_id) {
      if (body.import_from_match_id === matchId) {
        throw validation([
          { field: 'body.import_from_match_id', message: 'must be another match' },
        ]);
      }
      const from = await loadMatch(trx, body.import_from_match_id);
      const fromSectors = await repo.listMatchSectors(trx, from.id);
      if (!from.venue_id || fromSectors.length === 0) {
        throw validation([
          {
            field: 'body.import_from_match_id',
            message: 'that match has no stadium configuration',
          },
        ]);
      }
      stadium = (await repo.findStadium(trx, from.venue_id))!;
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
      stadium = await repo.insertStadium(trx, {
        name: spec.name,
        city: spec.city,
        country: spec.country,
        address: spec.address ?? null,
        type: 'AWAY',
        is_numbered: spec.is_numbered,
        base_capacity: spec.sectors.reduce((sum, s) => sum + s.capacity, 0),
      });
      const created = await repo.insertSectors(
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

    await repo.insertMatchSectors(trx, sectors);
    const updated = await repo.updateMatch(trx, matchId, {
      venue_id: stadium.id,
      is_numbered: stadium.is_numbered,
      stadium_config_status: 'DRAFT',
    });
    const config = await stadiumConfig(trx, updated);
    await logChange(deps, trx, matchId, actor, {
      change_type: 'CONFIGURE',
      entity: 'stadium_config',
      entity_id: matchId,
      action: 'match_stadium_configured',
      before: {
        venue_id: match.venue_id,
        sectors: previous.map((s) => s.code),
      },
      after: { ...source, venue_id: stadium.id, sectors: config.sectors.map((s) => s.code) },
    });
    return config;
  }).catch((err: unknown) => {
    // Orders or tickets of other modules still point at the old inventory rows.
    if (pgCode(err) === '23503') {
      throw new AppError('SALES_STARTED', 'Seats of this configuration are referenced by sales', {
        cause: err,
      });
    }
    throw err;
  });
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
    repo.listPriceCategories(trx, fromMatchId),
    repo.listPriceCategories(trx, toMatchId),
  ]);
  const byName = new Map(existing.map((c) => [c.name, c.id]));
  const created = await repo.insertPriceCategories(
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
  const seats = await repo.seatsToInventory(trx, matchId);
  const bySector = new Map<string, repo.LockSeat[]>();
  for (const seat of seats) {
    let list = bySector.get(seat.match_sector_id);
    if (!list) bySector.set(seat.match_sector_id, (list = []));
    list.push(seat);
  }
  const templateSectorIds = [...new Set(seats.map((s) => s.sector_id))];
  const configs = new Map<string, SnakeConfig>();
  for (const stored of await repo.snakeConfigs(trx, templateSectorIds)) {
    const parsed = snakeConfigSchema.safeParse(stored);
    // A stored configuration the current rules reject must not block locking: the default
    // order is still a valid snake; the venues module validates configurations on save.
    if (parsed.success) configs.set(stored.sector_id, parsed.data);
  }
  const batch: repo.InventoryBatch = {
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
  await repo.deleteUnnumberedInventory(trx, matchId);
  if (batch.seat_id.length) {
    const firstLock = (await repo.countInventory(trx, matchId)) === 0;
    await repo.upsertInventory(trx, matchId, batch, DERIVED_SEAT_STATUSES, firstLock);
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
  return transaction(deps, async (trx) => {
    const match = await loadEditableMatch(trx, matchId);
    assertNotLocked(match);
    const issues = validateConfiguration(await repo.sectorFacts(trx, matchId));
    if (issues.length) {
      return {
        valid: false,
        issues,
        stadium_config_status: match.stadium_config_status,
        inventory_seats: await repo.countInventory(trx, matchId),
      };
    }
    await repo.updateMatch(trx, matchId, { stadium_config_status: 'VALIDATED' });
    await logChange(deps, trx, matchId, actor, {
      change_type: 'CONFIGURE',
      entity: 'stadium_config',
      entity_id: matchId,
      action: 'match_config_validated',
      before: { stadium_config_status: match.stadium_config_status },
      after: { stadium_config_status: 'VALIDATED' },
    });
    const seats = await buildInventory(trx, matchId);
    const lockedAt = deps.clock.now();
    await repo.updateMatch(trx, matchId, {
      stadium_config_status: 'LOCKED',
      config_locked_at: lockedAt,
    });
    await logChange(deps, trx, matchId, actor, {
      change_type: 'CONFIGURE',
      entity: 'stadium_config',
      entity_id: matchId,
      action: 'match_config_locked',
      before: { stadium_config_status: 'VALIDATED' },
      after: { stadium_config_status: 'LOCKED', inventory_seats: seats },
    });
    return {
      valid: true,
      issues: [],
      stadium_config_status: 'LOCKED',
      inventory_seats: await repo.countInventory(trx, matchId),
    };
  });
}

/**
 * POST /admin/matches/{matchId}/stadium/unlock: back to DRAFT for changes, refused once
 * sales have started: an active sales phase has begun, or a seat is already reserved,
 * sold or allocated. The inventory rows stay; the next lock refreshes them in place.
 */
export async function unlockConfiguration(deps: MatchesDeps, actor: Actor, matchId: string) {
  return transaction(deps, async (trx) => {
    const match = await loadEditableMatch(trx, matchId);
    if (match.stadium_config_status !== 'LOCKED') {
      throw new AppError('CONFIG_NOT_LOCKED', 'The stadium configuration is not locked');
    }
    const now = deps.clock.now();
    const started = 'Sales for this match have started: the configuration stays locked';
    // Phases cannot change meanwhile: their writes lock the match row first, as this does.
    if (await repo.hasStartedSalesPhase(trx, matchId, now)) {
      throw new AppError('SALES_STARTED', started);
    }
    await lockUncommittedInventory(trx, { matchId }, now, assertNoCommittedSeats(started));
    const updated = await repo.updateMatch(trx, matchId, { stadium_config_status: 'DRAFT' });
    await logChange(deps, trx, matchId, actor, {
      change_type: 'CONFIGURE',
      entity: 'stadium_config',
      entity_id: matchId,
      action: 'match_config_unlocked',
      before: { stadium_config_status: 'LOCKED' },
      after: { stadium_config_status: 'DRAFT' },
    });
    return stadiumConfig(trx, updated);
  });
}

// Match sectors (E2-F4) ----------------------------------------------------------------------

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
  return (await repo.listMatchSectors(deps.db, matchId)).map(toSectorOut);
}

async function assertPriceCategoryOfMatch(
  trx: Executor,
  matchId: string,
  categoryId: string | null | undefined,
  field: string,
) {
  if (categoryId && !(await repo.findPriceCategory(trx, matchId, categoryId))) {
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
  try {
    return await transaction(deps, async (trx) => {
      const match = await loadEditableMatch(trx, matchId);
      assertNotLocked(match);
      if (!match.venue_id) {
        throw new AppError(
          'CONFLICT',
          'The match has no stadium yet: configure it with POST /admin/matches/{matchId}/stadium',
        );
      }
      const template = (await repo.listTemplateSectors(trx, match.venue_id)).find(
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
      const stadium = (await repo.findStadium(trx, match.venue_id))!;
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
      const [created] = await repo.insertMatchSectors(trx, [values]);
      const out = toSectorOut(created!);
      await logChange(deps, trx, matchId, actor, {
        change_type: 'CONFIGURE',
        entity: 'match_sector',
        entity_id: out.id,
        action: 'match_sector_added',
        before: null,
        after: out,
      });
      return out;
    });
  } catch (err) {
    if (pgCode(err) === '23505') {
      throw new AppError('CONFLICT', 'The sector is already part of this match configuration');
    }
    throw err;
  }
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
  actor: Actor,
  match: repo.MatchRow,
  changes: (MatchSectorChange & { id: string })[],
  fieldPrefix: (i: number) => string,
): Promise<MatchSectorOut[]> {
  const ids = changes.map((c) => c.id);
  const rows = new Map(
    (await repo.findMatchSectors(trx, match.id, ids, { lock: true })).map((r) => [r.id, r]),
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
    const updated = await repo.updateMatchSector(trx, plan.before.id, values);
    const sectorOut = toSectorOut(updated);
    const beforeOut = toSectorOut(plan.before);
    await logChange(deps, trx, match.id, actor, {
      change_type: 'CONFIGURE',
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
  return out;
}

export async function updateMatchSector(
  deps: MatchesDeps,
  actor: Actor,
  matchId: string,
  sectorId: string,
  body: MatchSectorChange,
): Promise<MatchSectorOut> {
  return transaction(deps, async (trx) => {
    const match = await loadEditableMatch(trx, matchId);
    const [out] = await applySectorChanges(
      deps,
      trx,
      actor,
      match,
      [{ ...body, id: sectorId }],
      () => 'body',
    );
    return out!;
  });
}

export async function bulkUpdateMatchSectors(
  deps: MatchesDeps,
  actor: Actor,
  matchId: string,
  body: { sectors: (MatchSectorChange & { id: string })[] },
): Promise<MatchSectorOut[]> {
  return transaction(deps, async (trx) => {
    const match = await loadEditableMatch(trx, matchId);
    return applySectorChanges(deps, trx, actor, match, body.sectors, (i) => `body.sectors.${i}`);
  });
}
