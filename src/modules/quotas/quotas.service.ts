import { randomUUID } from 'node:crypto';
import type { AppDeps } from '../../deps.ts';
import type { Executor } from '../../platform/db/database.ts';
import { AppError, notFound, type FieldError } from '../../platform/errors.ts';
import type { Insertable } from 'kysely';
import type { Quotas } from '../../platform/db/types.generated.ts';
import { recordAudit, recordAudits, type AuditEvent } from '../audit/audit.service.ts';
import {
  allocateClaimableSeats,
  allocateLockedSeats,
  countClaimableSeats,
  lockClaimableSeats,
  returnQuotaSeatsToSale,
  seatDetails,
} from '../inventory/quota-seats.repo.ts';
import { sendEmail, sendEmails } from '../notifications/notify.ts';
import { closeClaimsOfQuota } from './claims.service.ts';
import {
  cancelQuotaSeatsIn,
  findQuota,
  insertQuota,
  insertQuotas,
  insertQuotaSeats,
  insertSeatsOfQuotas,
  inventorySectorsOf,
  listQuotaSeats,
  listQuotasOfMatch,
  lockMatchForQuota,
  markQuotaCancelled,
  type QuotaMatch,
  type QuotaRow,
  type QuotaSeatRow,
} from './quotas.repo.ts';
import type { CreateQuotaBody } from './quotas.schemas.ts';
import { cancelSubquotasOfQuota } from './subquotas.repo.ts';
import { formatKickoff, matchName, portalUrl } from './quota-links.ts';

/**
 * Quota administration (E7-F1, E7-F7): creating a quota allocates its seats at once and
 * takes them out of public sale; cancelling gives the unused ones back. One transaction per
 * use case; the seats' inventory side goes through inventory/quota-seats.repo.ts.
 */
type Deps = Pick<AppDeps, 'db' | 'clock' | 'jobs' | 'config'>;

export interface QuotaSeatView {
  quota_seat_id: string;
  inventory_id: string;
  status: QuotaSeatRow['status'];
  sector_code: string;
  row: string;
  seat_number: number;
}

export function quotaView(quota: QuotaRow) {
  return {
    id: quota.id,
    match_id: quota.match_id,
    recipient_email: quota.recipient_email,
    recipient_name: quota.recipient_name,
    internal_note: quota.internal_note,
    total_quantity: quota.total_quantity,
    sector_ids: quota.sector_ids,
    discount_percent: Number(quota.discount_percent),
    allocation_algorithm: quota.allocation_algorithm,
    expiration_date: quota.expiration_date?.toISOString() ?? null,
    can_create_subquotas: quota.can_create_subquotas,
    transfer_allowed: quota.transfer_allowed,
    deferred_payment: quota.deferred_payment,
    auto_send_email: quota.auto_send_email,
    status: quota.status,
    quota_type: quota.quota_type,
    batch_id: quota.batch_id,
    created_at: quota.created_at.toISOString(),
    cancelled_at: quota.cancelled_at?.toISOString() ?? null,
    cancellation_type: quota.cancellation_type,
  };
}

/** The quota's live seats with their numbers, in sector and snake order. */
export async function seatViews(db: Executor, seats: QuotaSeatRow[]): Promise<QuotaSeatView[]> {
  const details = await seatDetails(
    db,
    seats.map((s) => s.match_seat_inventory_id),
  );
  const bySeat = new Map(seats.map((s) => [s.match_seat_inventory_id, s]));
  return details.map((d) => {
    const s = bySeat.get(d.inventory_id)!;
    return {
      quota_seat_id: s.id,
      inventory_id: d.inventory_id,
      status: s.status,
      sector_code: d.sector_code,
      row: d.row_identifier,
      seat_number: d.seat_number,
    };
  });
}

/** Checks the body against the match (no writes); field problems listed together. */
export async function checkSectors(trx: Executor, body: CreateQuotaBody): Promise<void> {
  const sectors = await inventorySectorsOf(trx, body.match_id, body.sector_ids);
  const known = new Map(sectors.map((s) => [s.id, s]));
  const errors: FieldError[] = [];
  body.sector_ids.forEach((id, i) => {
    const sector = known.get(id);
    if (!sector)
      errors.push({ field: `body.sector_ids.${i}`, message: 'not a sector of the match' });
    else if (!sector.is_numbered) {
      errors.push({
        field: `body.sector_ids.${i}`,
        message: 'an unnumbered sector has no seat inventory to allocate from',
      });
    }
  });
  if (errors.length) {
    throw new AppError('QUOTA_SECTOR_INVALID', 'A sector cannot take quota seats', { errors });
  }
}

/** The quota row a creation body gives (quota id drawn before its seats are allocated). */
function quotaValues(
  body: CreateQuotaBody,
  input: {
    quotaId: string;
    actorId: string;
    batchId: string | null;
    now: Date;
    quotaType?: 'STANDARD' | 'PETROL';
  },
): Insertable<Quotas> {
  return {
    id: input.quotaId,
    match_id: body.match_id,
    recipient_email: body.recipient_email.toLowerCase(),
    recipient_name: body.recipient_name ?? null,
    internal_note: body.internal_note ?? null,
    total_quantity: body.total_quantity,
    sector_ids: body.sector_ids,
    discount_percent: body.discount_percent.toFixed(2),
    allocation_algorithm: body.allocation_algorithm,
    expiration_date: body.expiration_date ? new Date(body.expiration_date) : null,
    can_create_subquotas: body.can_create_subquotas,
    transfer_allowed: body.transfer_allowed,
    deferred_payment: body.deferred_payment,
    auto_send_email: body.auto_send_email,
    status: 'ACTIVE',
    batch_id: input.batchId,
    quota_type: input.quotaType ?? 'STANDARD',
    created_by: input.actorId,
    created_at: input.now,
  };
}

/** The invitation email with the portal deep link (auto_send_email). */
function invitationOf(deps: Pick<AppDeps, 'config'>, quota: QuotaRow, match: QuotaMatch) {
  return {
    template_key: 'quota_invitation',
    to: quota.recipient_email,
    variables: {
      recipient_name: quota.recipient_name ?? quota.recipient_email,
      quota_name: `${quota.total_quantity} × ${matchName(match)}`,
      match_name: matchName(match),
      kickoff: formatKickoff(match.kick_off_time),
      ticket_count: quota.total_quantity,
      accept_url: portalUrl(deps.config, quota.id),
      expires_at: formatKickoff(quota.expiration_date ?? match.kick_off_time),
    },
  };
}

function createdAuditOf(quota: QuotaRow, actorId: string): AuditEvent {
  return {
    domain: 'quota',
    action: 'quota_created',
    actor: { type: 'user', id: actorId },
    subject: { type: 'quota', id: quota.id },
    changes: {
      match_id: quota.match_id,
      total_quantity: quota.total_quantity,
      allocation_algorithm: quota.allocation_algorithm,
      sector_ids: quota.sector_ids,
      batch_id: quota.batch_id,
    },
  };
}

/**
 * Allocates and writes one quota inside the caller's transaction (the match locked and
 * checked, the sectors checked): one statement allocates the seats — claimable seats of the
 * sectors in snake order, locked with SKIP LOCKED so fans buying in the same sector keep
 * what they hold and the quota takes the next ones, all or nothing. The quota row is written
 * only when the seats were allocated (its id is drawn first for the seat trail); too few →
 * `{ available }` and nothing written. The invitation email (auto_send_email) goes to the
 * outbox with it.
 */
export async function placeQuota(
  deps: Deps,
  trx: Executor,
  input: {
    body: CreateQuotaBody;
    match: QuotaMatch;
    actorId: string;
    batchId: string | null;
    now: Date;
    /** PETROL: a petrol-station allocation (modules/petrol, E12-F4) */
    quotaType?: 'STANDARD' | 'PETROL';
  },
): Promise<{ quota: QuotaRow } | { available: number }> {
  const { body, match, now } = input;
  const quotaId = randomUUID();
  const seats = await allocateClaimableSeats(trx, {
    matchId: body.match_id,
    matchSectorIds: body.sector_ids,
    quantity: body.total_quantity,
    quotaId,
    by: input.actorId,
    now,
  });
  if (seats.length !== body.total_quantity) {
    return { available: await countClaimableSeats(trx, body.match_id, body.sector_ids, now) };
  }
  const quota = await insertQuota(trx, quotaValues(body, { ...input, quotaId }));
  await insertQuotaSeats(
    trx,
    quota.id,
    seats.map((s) => s.id),
  );
  if (quota.auto_send_email) await sendEmail(deps, trx, invitationOf(deps, quota, match));
  await recordAudit(deps, trx, createdAuditOf(quota, input.actorId));
  return { quota };
}

/** Generic quota endpoints are read-only for petrol quotas (E12-F4): the route to use. */
const petrolOnly = (use: string) =>
  new AppError('QUOTA_TYPE_PETROL', `Petrol quotas are managed with ${use}`, { extra: { use } });

/**
 * `placeQuota` for many quotas of one match at once (the CSV import), with a handful of
 * statements whatever their number: one locks the claimable seats the quotas could need (per
 * sector, up to the sum of the quantities asking for it, snake order, SKIP LOCKED); the
 * seats are shared out here in the order of `bodies`, each quota all or nothing from its
 * sectors in their order and snake order — the seats a sequence of single creations would
 * give, since an earlier quota's seats are gone for the later ones. One statement each then
 * allocates the seats (with their trail), writes the quotas, their seats, the invitations
 * and the audit events. Result per body, in order: the quota, or `{ available }` (the free
 * seats of its sectors left at its turn) with nothing written for it.
 */
export async function placeQuotas(
  deps: Deps,
  trx: Executor,
  input: {
    bodies: readonly CreateQuotaBody[];
    match: QuotaMatch;
    actorId: string;
    batchId: string | null;
    now: Date;
  },
): Promise<({ quota: QuotaRow } | { available: number })[]> {
  const { match, now } = input;
  const wanted = new Map<string, number>();
  for (const body of input.bodies) {
    for (const id of body.sector_ids) {
      wanted.set(id, Math.min((wanted.get(id) ?? 0) + body.total_quantity, 1_000_000));
    }
  }
  const locked = await lockClaimableSeats(trx, {
    matchId: match.id,
    sectors: [...wanted].map(([id, limit]) => ({ id, limit })),
    now,
  });
  const pools = new Map<string, { ids: string[]; next: number }>();
  for (const seat of locked) {
    const pool = pools.get(seat.match_sector_id) ?? { ids: [], next: 0 };
    pool.ids.push(seat.id);
    pools.set(seat.match_sector_id, pool);
  }
  const left = (id: string) => {
    const pool = pools.get(id);
    return pool ? pool.ids.length - pool.next : 0;
  };
  const results: ({ quota: QuotaRow } | { available: number } | null)[] = [];
  const placed: { index: number; values: Insertable<Quotas> }[] = [];
  const seats: { id: string; quotaId: string }[] = [];
  for (const [index, body] of input.bodies.entries()) {
    const sectors = [...new Set(body.sector_ids)];
    const available = sectors.reduce((n, id) => n + left(id), 0);
    if (available < body.total_quantity) {
      results.push({ available });
      continue;
    }
    const quotaId = randomUUID();
    let needed = body.total_quantity;
    for (const id of sectors) {
      const pool = pools.get(id);
      while (pool && needed > 0 && pool.next < pool.ids.length) {
        seats.push({ id: pool.ids[pool.next++]!, quotaId });
        needed--;
      }
    }
    placed.push({ index, values: quotaValues(body, { ...input, quotaId }) });
    results.push(null); // its quota, once written
  }
  const allocated = await allocateLockedSeats(trx, { seats, by: input.actorId, now });
  if (allocated !== seats.length) {
    // The seats are locked by this transaction, so this cannot happen; never write half.
    throw new Error(`bulk allocation: ${allocated} of ${seats.length} seats allocated`);
  }
  const quotas = await insertQuotas(
    trx,
    placed.map((p) => p.values),
  );
  const byId = new Map(quotas.map((q) => [q.id, q]));
  await insertSeatsOfQuotas(
    trx,
    seats.map((s) => ({ quotaId: s.quotaId, inventoryId: s.id })),
  );
  const rows = placed.map((p) => byId.get(p.values.id!)!);
  await sendEmails(
    deps,
    trx,
    rows.filter((q) => q.auto_send_email).map((q) => invitationOf(deps, q, match)),
  );
  await recordAudits(
    deps,
    trx,
    rows.map((q) => createdAuditOf(q, input.actorId)),
  );
  placed.forEach((p, i) => {
    results[p.index] = { quota: rows[i]! };
  });
  return results as ({ quota: QuotaRow } | { available: number })[];
}

/** The match takes quotas: it exists, has not ended or kicked off, is configured (locked). */
export function checkQuotaMatch(match: QuotaMatch | undefined, now: Date): QuotaMatch {
  if (!match || match.status === 'DELETED') throw new AppError('MATCH_NOT_FOUND');
  if (match.status === 'CLOSED' || match.status === 'CANCELLED' || match.kick_off_time <= now) {
    throw new AppError('QUOTA_MATCH_CLOSED', `The match is ${match.status} or has kicked off`);
  }
  if (match.stadium_config_status !== 'LOCKED') throw new AppError('CONFIG_NOT_LOCKED');
  return match;
}

/**
 * POST /admin/quotas (E7-F1). Locks the match FOR SHARE (configuration changes wait), then
 * allocates and writes the quota (placeQuota). Too few free seats → 409 with how many are
 * free; nothing is allocated.
 */
export async function createQuota(deps: Deps, actorId: string, body: CreateQuotaBody) {
  if (body.quota_type === 'PETROL') throw petrolOnly('POST /admin/petrol/quotas');
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const match = checkQuotaMatch(await lockMatchForQuota(trx, body.match_id), now);
    const expiration = body.expiration_date ? new Date(body.expiration_date) : null;
    if (expiration && (expiration <= now || expiration > match.kick_off_time)) {
      throw new AppError('VALIDATION_FAILED', 'The expiration date is not valid', {
        errors: [
          { field: 'body.expiration_date', message: 'must be in the future and before kick-off' },
        ],
      });
    }
    await checkSectors(trx, body);
    const placed = await placeQuota(deps, trx, { body, match, actorId, batchId: null, now });
    if ('available' in placed) {
      throw new AppError(
        'QUOTA_SEATS_INSUFFICIENT',
        `${body.total_quantity} seats requested, ${placed.available} free in the sectors`,
        { extra: { requested: body.total_quantity, available: placed.available } },
      );
    }
    const rows = await listQuotaSeats(trx, [placed.quota.id]);
    return { ...quotaView(placed.quota), seats: await seatViews(trx, rows) };
  });
}

export async function getQuota(deps: Pick<AppDeps, 'db'>, id: string) {
  const quota = await findQuota(deps.db, id);
  if (!quota) throw notFound('Quota');
  const rows = await listQuotaSeats(deps.db, [quota.id]);
  return { ...quotaView(quota), seats: await seatViews(deps.db, rows) };
}

export async function listQuotas(deps: Pick<AppDeps, 'db'>, matchId: string) {
  return { items: (await listQuotasOfMatch(deps.db, matchId)).map(quotaView) };
}

/**
 * DELETE /admin/quotas/{id}?option= (E7-F7). all_unused: every seat not sold goes back to
 * sale — ALLOCATED, RESERVED in a claim (the claim is abandoned) and DELEGATED to a
 * sub-quota (the sub-quota is cancelled); unfulfilled_only: only the ALLOCATED ones, claims
 * in progress and sub-quotas carry on. SOLD seats and their tickets are never touched. The
 * seats become AVAILABLE, the holder is emailed, all in one transaction.
 */
export async function cancelQuota(
  deps: Deps,
  actorId: string,
  id: string,
  option: 'all_unused' | 'unfulfilled_only',
  petrol?: {
    /** In the cancellation's transaction, the quota locked: close the petrol reservations. */
    before: (trx: Executor, quota: QuotaRow, now: Date) => Promise<void>;
  },
) {
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const quota = await findQuota(trx, id, { forUpdate: true });
    if (!quota) throw notFound('Quota');
    // A petrol quota is cancelled through POST /admin/petrol/quotas/{id}/cancel (E12-F4),
    // which passes `petrol`; a petrol route never cancels a standard quota.
    if ((quota.quota_type === 'PETROL') !== (petrol !== undefined)) {
      if (petrol) throw notFound('Petrol quota');
      throw petrolOnly(`POST /admin/petrol/quotas/${quota.id}/cancel`);
    }
    if (quota.status === 'CANCELLED') {
      throw new AppError('QUOTA_NOT_CANCELLABLE', 'The quota is already cancelled');
    }
    if (petrol) await petrol.before(trx, quota, now);
    const allUnused = option === 'all_unused';
    if (allUnused) {
      // Claims in progress give their seats back to the quota first (orders abandoned,
      // PaymentIntents cancelled), so every unsold seat is then ALLOCATED or DELEGATED.
      await closeClaimsOfQuota(deps, trx, quota.id, now);
      await cancelSubquotasOfQuota(trx, quota.id, now);
    }
    const inventoryIds = await cancelQuotaSeatsIn(
      trx,
      quota.id,
      allUnused ? ['ALLOCATED', 'RESERVED', 'DELEGATED'] : ['ALLOCATED'],
    );
    const returned = await returnQuotaSeatsToSale(trx, {
      inventoryIds,
      includeHeld: allUnused,
      quotaId: quota.id,
      reason: `quota ${quota.id} cancelled (${option})`,
      by: actorId,
      now,
    });
    const type = allUnused ? 'ALL_UNUSED' : 'UNFULFILLED_ONLY';
    const cancelled = await markQuotaCancelled(trx, quota.id, { by: actorId, type, now });
    const match = await lockMatchForQuota(trx, quota.match_id);
    await sendEmail(deps, trx, {
      template_key: 'quota_cancelled',
      to: quota.recipient_email,
      variables: {
        recipient_name: quota.recipient_name ?? quota.recipient_email,
        match_name: match ? matchName(match) : '',
        kickoff: match ? formatKickoff(match.kick_off_time) : '',
        returned_count: returned.length,
        portal_url: portalUrl(deps.config, quota.id),
      },
    });
    await recordAudit(deps, trx, {
      domain: 'quota',
      action: 'quota_cancelled',
      actor: { type: 'user', id: actorId },
      subject: { type: 'quota', id: quota.id },
      changes: { option, returned_seats: returned.length },
    });
    const rows = await listQuotaSeats(trx, [quota.id]);
    return {
      ...quotaView(cancelled),
      seats: await seatViews(trx, rows),
      returned_seats: returned.length,
    };
  });
}
