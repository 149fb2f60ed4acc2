import type { Tx } from '../../platform/db/database.ts';
import { AppError } from '../../platform/errors.ts';
import {
  assertEditable,
  assertTransition,
  changedFields,
  changeTypeForStatus,
  changeTypeForUpdate,
  type MatchStatus,
  type StatusChangeTarget,
} from './matches.rules.ts';
import type { CreateMatchBody, MatchOut, UpdateMatchBody } from './matches.schemas.ts';
import {
  iso,
  isoOrNull,
  loadMatch,
  logChange,
  transaction,
  validation,
  type Actor,
  type MatchesDeps,
} from './match-changes.ts';
import * as sectorsRepo from './match-sectors.repo.ts';
import * as matchesRepo from './matches.repo.ts';
import * as stadiumRepo from './stadium-config.repo.ts';
import { queueUpdateNotice } from './update-notices.service.ts';

/**
 * Match CRUD and status use cases (E2-F1). Each exported function is one transaction; every
 * change writes a `match_audit_logs` row and an audit event inside it.
 */

export function toMatchOut(m: matchesRepo.MatchRow): MatchOut {
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

export async function createMatch(
  deps: MatchesDeps,
  actor: Actor,
  body: CreateMatchBody,
): Promise<MatchOut> {
  return transaction(deps, async (trx) => {
    if (body.venue_id && !(await stadiumRepo.findStadium(trx, body.venue_id))) {
      throw validation([{ field: 'body.venue_id', message: 'no such stadium' }]);
    }
    const match = await matchesRepo.insertMatch(trx, {
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
  const { rows, total } = await matchesRepo.listMatches(
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
  match: matchesRepo.MatchRow,
  to: StatusChangeTarget,
  notification_preference?: 'notify' | 'silent',
): Promise<{ match: matchesRepo.MatchRow; logId: string }> {
  assertTransition(match.status, to);
  // Sales open on ACTIVE: without a locked configuration there is no inventory to sell.
  if (to === 'ACTIVE' && match.stadium_config_status !== 'LOCKED') {
    throw new AppError(
      'CONFIG_NOT_LOCKED',
      'Validate and lock the stadium configuration before activating the match',
    );
  }
  const updated = await matchesRepo.updateMatch(trx, match.id, { status: to });
  const logId = await logChange(deps, trx, match.id, actor, {
    change_type: changeTypeForStatus(to),
    entity: 'match',
    entity_id: match.id,
    action: `match_${to.toLowerCase()}`,
    before: { status: match.status },
    after: { status: to },
    notification_preference,
  });
  return { match: updated, logId };
}

/** E2-F6: with `notify`, the change's update notice (when it is one fans are told about). */
async function announce(
  deps: MatchesDeps,
  trx: Tx,
  preference: 'notify' | 'silent' | undefined,
  before: matchesRepo.MatchRow,
  after: matchesRepo.MatchRow,
  auditLogIds: string[],
) {
  if (preference !== 'notify' || auditLogIds.length === 0) return;
  await queueUpdateNotice(deps, trx, { before, after, auditLogIds });
}

export async function changeMatchStatus(
  deps: MatchesDeps,
  actor: Actor,
  id: string,
  body: { status: StatusChangeTarget; notification_preference?: 'notify' | 'silent' },
): Promise<MatchOut> {
  return transaction(deps, async (trx) => {
    const match = await loadMatch(trx, id, true);
    const { match: updated, logId } = await applyStatusChange(
      deps,
      trx,
      actor,
      match,
      body.status,
      body.notification_preference,
    );
    await announce(deps, trx, body.notification_preference, match, updated, [logId]);
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
    const original = await loadMatch(trx, id, true);
    let match = original;
    const logIds: string[] = [];
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
      if (details.venue_id && !(await stadiumRepo.findStadium(trx, details.venue_id))) {
        throw validation([{ field: 'body.venue_id', message: 'no such stadium' }]);
      }
      if ((await sectorsRepo.listMatchSectors(trx, id)).length > 0) {
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
      match = await matchesRepo.updateMatch(trx, id, values);
      const after = toMatchOut(match);
      const pick = (o: MatchOut) =>
        Object.fromEntries(fields.map((f) => [f, o[f as keyof MatchOut]]));
      const logId = await logChange(deps, trx, id, actor, {
        change_type: changeTypeForUpdate(fields),
        entity: 'match',
        entity_id: id,
        action: fields.includes('kick_off_time') ? 'match_rescheduled' : 'match_updated',
        before: pick(before),
        after: pick(after),
        notification_preference,
      });
      logIds.push(logId);
    }
    if (status !== undefined && status !== match.status) {
      const changed = await applyStatusChange(
        deps,
        trx,
        actor,
        match,
        status,
        notification_preference,
      );
      match = changed.match;
      logIds.push(changed.logId);
    }
    // One notice for the whole request, however many log rows it wrote.
    await announce(deps, trx, notification_preference, original, match, logIds);
    return toMatchOut(match);
  });
}

/** Soft delete (E2-F1): status DELETED and deleted_at; lists hide it from then on. */

export async function deleteMatch(deps: MatchesDeps, actor: Actor, id: string): Promise<MatchOut> {
  return transaction(deps, async (trx) => {
    const match = await loadMatch(trx, id, true);
    // Only DRAFT and CANCELLED matches may be deleted (see the status machine).
    assertTransition(match.status, 'DELETED');
    const updated = await matchesRepo.updateMatch(trx, id, {
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

/**
 * The match side of the closure with attendance (E2-F9), in the caller's transaction (the
 * access-control module's closure, which marks the tickets ATTENDED in the same one): locks
 * the match, refuses a match already closed (409 MATCH_ALREADY_CLOSED) or one the status
 * machine does not let close (400 INVALID_STATUS_TRANSITION: only an ACTIVE match closes),
 * then writes CLOSED with who, when, the attendance mode and the reason, and logs CLOSE.
 */
export async function closeMatchRecord(
  deps: MatchesDeps,
  trx: Tx,
  actor: Actor,
  id: string,
  closure: { attendance_mode: 'WITH_DATA' | 'WITHOUT_DATA'; reason: string | null },
): Promise<matchesRepo.MatchRow> {
  const match = await loadMatch(trx, id, true);
  if (match.status === 'CLOSED') {
    throw new AppError('MATCH_ALREADY_CLOSED', undefined, {
      extra: { closed_at: isoOrNull(match.closed_at) },
    });
  }
  assertTransition(match.status, 'CLOSED');
  const updated = await matchesRepo.updateMatch(trx, id, {
    status: 'CLOSED',
    closed_at: deps.clock.now(),
    closed_by: actor.userId,
    attendance_mode: closure.attendance_mode,
    closure_reason: closure.reason,
  });
  await logChange(deps, trx, id, actor, {
    change_type: changeTypeForStatus('CLOSED'),
    entity: 'match',
    entity_id: id,
    action: 'match_closed',
    before: { status: match.status },
    after: {
      status: 'CLOSED',
      closed_at: isoOrNull(updated.closed_at),
      attendance_mode: closure.attendance_mode,
      closure_reason: closure.reason,
    },
  });
  return updated;
}
