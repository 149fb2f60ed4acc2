import type { AppDeps } from '../../deps.ts';
import type { Executor, Tx } from '../../platform/db/database.ts';
import { AppError, notFound, type FieldError } from '../../platform/errors.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { assertEditable, type MatchChangeType } from './matches.rules.ts';
import * as matchesRepo from './matches.repo.ts';

/**
 * Steps shared by the use cases of every matches sub-domain: loading (and locking) the
 * match, the change log, the transaction, the errors every sub-domain maps.
 */

export type MatchesDeps = Pick<AppDeps, 'db' | 'jobs' | 'clock'>;

/** Who is acting: a staff user, or the system (CLI, jobs, test factories). */

export interface Actor {
  userId: string | null;
  /** Request context for the audit event (ip, request id, …). */
  context?: Record<string, unknown>;
}

export const iso = (d: Date) => d.toISOString();
export const isoOrNull = (d: Date | null) => (d ? d.toISOString() : null);

export interface Change {
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

/**
 * The match change log row and the audit event, both in the caller's transaction.
 * Returns the log row's id (an update notice names the rows it announces).
 */
export async function logChange(
  deps: MatchesDeps,
  trx: Executor,
  matchId: string,
  actor: Actor,
  change: Change,
): Promise<string> {
  const changes = {
    entity: change.entity,
    entity_id: change.entity_id,
    action: change.action,
    before: change.before,
    after: change.after,
  };
  const id = await matchesRepo.insertMatchAuditLog(trx, {
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
  return id;
}

export const transaction = <T>(deps: MatchesDeps, work: (trx: Tx) => Promise<T>) =>
  deps.db.transaction().execute(work);

/** One CONFIGURE entry of the change log (`logChange` with the change type filled in). */
export type ConfigureEntry = Omit<Change, 'change_type' | 'notification_preference'>;

/** What a configuration write answers, and the change-log entries it made (none: no change). */
export interface Configured<T> {
  result: T;
  changes: ConfigureEntry[];
}

export const configured = <T>(result: T, ...changes: ConfigureEntry[]): Configured<T> => ({
  result,
  changes,
});

/**
 * The shape of every configuration change (phases, prices, sectors, stadium): one
 * transaction that loads and locks the editable match, writes, logs each entry as
 * CONFIGURE, and maps the write's database errors to problems.
 */
export async function configureChange<T>(
  deps: MatchesDeps,
  actor: Actor,
  matchId: string,
  write: (trx: Tx, match: matchesRepo.MatchRow) => Promise<Configured<T>>,
  writeError: (err: unknown) => unknown = (err) => err,
): Promise<T> {
  try {
    return await transaction(deps, async (trx) => {
      const match = await loadEditableMatch(trx, matchId);
      const { result, changes } = await write(trx, match);
      for (const change of changes) {
        await logChange(deps, trx, matchId, actor, { change_type: 'CONFIGURE', ...change });
      }
      return result;
    });
  } catch (err) {
    throw writeError(err);
  }
}

export async function loadMatch(
  trx: Executor,
  id: string,
  lock = false,
): Promise<matchesRepo.MatchRow> {
  const match = await matchesRepo.findMatch(trx, id, { lock });
  if (!match) throw notFound('Match');
  return match;
}

/** Loads and locks a match whose configuration is about to change. */
export async function loadEditableMatch(trx: Executor, id: string): Promise<matchesRepo.MatchRow> {
  const match = await loadMatch(trx, id, true);
  assertEditable(match.status);
  return match;
}

export const pgCode = (err: unknown) => (err as { code?: string }).code;
export const pgConstraint = (err: unknown) => (err as { constraint?: string }).constraint;

export const validation = (errors: FieldError[]) =>
  new AppError('VALIDATION_FAILED', `${errors.length} field(s) are invalid`, { errors });

export function assertNotLocked(match: matchesRepo.MatchRow) {
  if (match.stadium_config_status === 'LOCKED') {
    throw new AppError(
      'CONFIG_LOCKED',
      'The stadium configuration is locked: unlock it before changing it',
    );
  }
}
