import type { Insertable, Selectable } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type {
  Blacklist,
  BlacklistAction,
  ViolationAction,
} from '../../platform/db/types.generated.ts';

/** The only SQL on blacklist, blacklist_audit_logs and violation_logs (E11-F1, E11-F3). */
export type BlacklistRow = Selectable<Blacklist>;

export async function findEntryByBlindIndex(
  db: Executor,
  blindIndex: string,
  options: { forUpdate?: boolean } = {},
): Promise<BlacklistRow | undefined> {
  let query = db.selectFrom('blacklist').selectAll().where('oib_blind_index', '=', blindIndex);
  if (options.forUpdate) query = query.forUpdate();
  return query.executeTakeFirst();
}

export async function findEntry(
  db: Executor,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<BlacklistRow | undefined> {
  let query = db.selectFrom('blacklist').selectAll().where('id', '=', id);
  if (options.forUpdate) query = query.forUpdate();
  return query.executeTakeFirst();
}

/** ACTIVE entries among these blind indexes (one query for all holders of a checkout). */
export async function findActiveByBlindIndexes(
  db: Executor,
  blindIndexes: string[],
): Promise<Pick<BlacklistRow, 'id' | 'oib_blind_index'>[]> {
  if (blindIndexes.length === 0) return [];
  return db
    .selectFrom('blacklist')
    .select(['id', 'oib_blind_index'])
    .where('oib_blind_index', 'in', blindIndexes)
    .where('status', '=', 'ACTIVE')
    .execute();
}

export async function insertEntry(
  db: Executor,
  values: Insertable<Blacklist>,
): Promise<BlacklistRow> {
  return db.insertInto('blacklist').values(values).returningAll().executeTakeFirstOrThrow();
}

export async function restoreEntry(
  db: Executor,
  id: string,
  values: Pick<
    Insertable<Blacklist>,
    'first_name' | 'last_name' | 'date_of_birth' | 'notes' | 'source' | 'created_by'
  >,
): Promise<BlacklistRow> {
  return db
    .updateTable('blacklist')
    .set({
      ...values,
      status: 'ACTIVE',
      removed_at: null,
      removed_by: null,
      removal_reason: null,
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function markRemoved(
  db: Executor,
  id: string,
  removedBy: string,
  reason: string,
  at: Date,
): Promise<BlacklistRow> {
  return db
    .updateTable('blacklist')
    .set({ status: 'REMOVED', removed_by: removedBy, removed_at: at, removal_reason: reason })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function listEntries(
  db: Executor,
  filter: { status?: 'ACTIVE' | 'REMOVED'; page: number; limit: number },
): Promise<{ rows: BlacklistRow[]; total: number }> {
  let base = db.selectFrom('blacklist');
  if (filter.status) base = base.where('status', '=', filter.status);
  const [rows, count] = await Promise.all([
    base
      .selectAll()
      .orderBy('created_at', 'desc')
      .orderBy('id')
      .limit(filter.limit)
      .offset((filter.page - 1) * filter.limit)
      .execute(),
    base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { rows, total: Number(count.n) };
}

export async function insertAuditLog(
  db: Executor,
  values: {
    blacklist_id: string;
    action: BlacklistAction;
    changed_by: string | null;
    changes: Record<string, unknown>;
  },
): Promise<void> {
  await db
    .insertInto('blacklist_audit_logs')
    .values({
      blacklist_id: values.blacklist_id,
      action: values.action,
      changed_by: values.changed_by,
      changes_json: JSON.stringify(values.changes),
    })
    .execute();
}

export async function insertViolations(
  db: Executor,
  rows: Array<{
    oib_blind_index: string;
    oib_last4: string;
    blacklist_id: string;
    action_type: ViolationAction;
    match_id: string | null;
    user_id: string | null;
    session_id: string | null;
    ip_address: string | null;
    user_agent: string | null;
    blocked_at: Date;
  }>,
): Promise<void> {
  if (rows.length === 0) return;
  await db.insertInto('violation_logs').values(rows).execute();
}
