import { type Insertable, type Selectable, type Updateable } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type { MatchAuditLogs, Matches } from '../../platform/db/types.generated.ts';
import type { MatchChangeType, MatchStatus } from './matches.rules.ts';

/** SQL of matches and their change log (match CRUD and status). Every function takes the caller's executor. */

export type MatchRow = Selectable<Matches>;

export async function insertMatch(db: Executor, values: Insertable<Matches>): Promise<MatchRow> {
  return db.insertInto('matches').values(values).returningAll().executeTakeFirstOrThrow();
}

/**
 * `lock` takes the row lock that serialises every change of one match's configuration.
 * FOR NO KEY UPDATE, not FOR UPDATE: the match's key never changes, and the weaker lock
 * does not conflict with the KEY SHARE lock that every insert referencing the match takes
 * for its foreign key check (carts, purchase limits, orders, tickets), so a configuration
 * change never makes the sale path wait.
 */
export async function findMatch(
  db: Executor,
  id: string,
  options: { lock?: boolean } = {},
): Promise<MatchRow | undefined> {
  let query = db.selectFrom('matches').selectAll().where('id', '=', id);
  if (options.lock) query = query.forNoKeyUpdate();
  return query.executeTakeFirst();
}

export interface MatchFilters {
  status?: MatchStatus;
  match_type?: 'HOME' | 'AWAY';
  from?: Date;
  to?: Date;
  include_deleted?: boolean;
}

export async function listMatches(
  db: Executor,
  filters: MatchFilters,
  page: { offset: number; limit: number },
): Promise<{ rows: MatchRow[]; total: number }> {
  let query = db.selectFrom('matches');
  if (filters.status) query = query.where('status', '=', filters.status);
  else if (!filters.include_deleted) query = query.where('status', '<>', 'DELETED');
  if (filters.match_type) query = query.where('match_type', '=', filters.match_type);
  if (filters.from) query = query.where('kick_off_time', '>=', filters.from);
  if (filters.to) query = query.where('kick_off_time', '<=', filters.to);
  const [rows, count] = await Promise.all([
    query
      .selectAll()
      .orderBy('kick_off_time', 'asc')
      .orderBy('id', 'asc')
      .offset(page.offset)
      .limit(page.limit)
      .execute(),
    query.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow(),
  ]);
  return { rows, total: Number(count.total) };
}

/** Matches of one competition, deleted ones excluded (the demo sale finds its own by it). */
export async function listMatchesOfCompetition(
  db: Executor,
  competition: string,
): Promise<MatchRow[]> {
  return db
    .selectFrom('matches')
    .selectAll()
    .where('competition', '=', competition)
    .where('status', '<>', 'DELETED')
    .orderBy('created_at')
    .execute();
}

/** Whether any match (deleted ones too) exists outside `competition`. */
export async function hasMatchOutside(db: Executor, competition: string): Promise<boolean> {
  const row = await db
    .selectFrom('matches')
    .select('id')
    .where('competition', '<>', competition)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

export async function updateMatch(
  db: Executor,
  id: string,
  patch: Updateable<Matches>,
): Promise<MatchRow> {
  return db
    .updateTable('matches')
    .set(patch)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function insertMatchAuditLog(
  db: Executor,
  entry: {
    match_id: string;
    changed_by: string | null;
    change_type: MatchChangeType;
    changes: Record<string, unknown>;
    notification_preference?: 'notify' | 'silent' | null;
  },
): Promise<string> {
  const values: Insertable<MatchAuditLogs> = {
    match_id: entry.match_id,
    changed_by: entry.changed_by,
    change_type: entry.change_type,
    changes_json: JSON.stringify(entry.changes),
    notification_preference: entry.notification_preference ?? null,
  };
  const { id } = await db
    .insertInto('match_audit_logs')
    .values(values)
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}
