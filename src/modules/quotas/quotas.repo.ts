import { sql, type Insertable, type Selectable } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type {
  CancellationType,
  QuotaSeatStatus,
  Quotas,
} from '../../platform/db/types.generated.ts';

/** SQL on quotas and quota_seats (E7-F1, E7-F4, E7-F7); the seats' inventory side is in inventory/quota-seats.repo.ts. */

export type QuotaRow = Selectable<Quotas>;

export interface QuotaMatch {
  id: string;
  match_type: 'HOME' | 'AWAY';
  home_team: string;
  away_team: string;
  kick_off_time: Date;
  status: string;
  stadium_config_status: string;
}

/**
 * The match a quota is created for, locked FOR SHARE: a configuration change (which locks
 * the match FOR NO KEY UPDATE) waits until the allocation has committed, and vice versa.
 */
export async function lockMatchForQuota(
  db: Executor,
  matchId: string,
): Promise<QuotaMatch | undefined> {
  return db
    .selectFrom('matches')
    .select([
      'id',
      'match_type',
      'home_team',
      'away_team',
      'kick_off_time',
      'status',
      'stadium_config_status',
    ])
    .where('id', '=', matchId)
    .forShare()
    .executeTakeFirst();
}

export async function findMatchOfQuota(
  db: Executor,
  matchId: string,
): Promise<QuotaMatch | undefined> {
  return db
    .selectFrom('matches')
    .select([
      'id',
      'match_type',
      'home_team',
      'away_team',
      'kick_off_time',
      'status',
      'stadium_config_status',
    ])
    .where('id', '=', matchId)
    .executeTakeFirst();
}

/** The match's sectors among `ids` that have seat inventory (numbered), with their codes. */
export async function inventorySectorsOf(db: Executor, matchId: string, ids: readonly string[]) {
  if (ids.length === 0) return [];
  const { rows } = await sql<{ id: string; code: string; is_numbered: boolean }>`
    SELECT ms.id, ms.code, ms.is_numbered FROM match_sectors ms
     WHERE ms.match_id = ${matchId} AND ms.id = ANY (${ids}::uuid[])`.execute(db);
  return rows;
}

export async function insertQuota(db: Executor, values: Insertable<Quotas>): Promise<QuotaRow> {
  return db.insertInto('quotas').values(values).returningAll().executeTakeFirstOrThrow();
}

export async function insertQuotaSeats(
  db: Executor,
  quotaId: string,
  inventoryIds: readonly string[],
): Promise<void> {
  if (inventoryIds.length === 0) return;
  await db
    .insertInto('quota_seats')
    .values(inventoryIds.map((id) => ({ quota_id: quotaId, match_seat_inventory_id: id })))
    .execute();
}

/** Many quotas with few statements (the import), in chunks within PostgreSQL's parameter limit. */
export async function insertQuotas(
  db: Executor,
  values: readonly Insertable<Quotas>[],
): Promise<QuotaRow[]> {
  const out: QuotaRow[] = [];
  for (let i = 0; i < values.length; i += 1000) {
    out.push(
      ...(await db
        .insertInto('quotas')
        .values(values.slice(i, i + 1000))
        .returningAll()
        .execute()),
    );
  }
  return out;
}

/** The seats of many quotas with one statement: (quota, inventory row) pairs. */
export async function insertSeatsOfQuotas(
  db: Executor,
  seats: readonly { quotaId: string; inventoryId: string }[],
): Promise<void> {
  if (seats.length === 0) return;
  await sql`
    INSERT INTO quota_seats (quota_id, match_seat_inventory_id)
    SELECT * FROM unnest(${seats.map((s) => s.quotaId)}::uuid[],
                         ${seats.map((s) => s.inventoryId)}::uuid[])`.execute(db);
}

export async function findQuota(
  db: Executor,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<QuotaRow | undefined> {
  let q = db.selectFrom('quotas').selectAll().where('id', '=', id);
  if (options.forUpdate) q = q.forUpdate();
  return q.executeTakeFirst();
}

export interface QuotaSeatRow {
  id: string;
  quota_id: string;
  match_seat_inventory_id: string;
  status: QuotaSeatStatus;
  subquota_id: string | null;
  claim_cart_id: string | null;
  ticket_id: string | null;
}

export async function listQuotaSeats(
  db: Executor,
  quotaIds: readonly string[],
): Promise<QuotaSeatRow[]> {
  if (quotaIds.length === 0) return [];
  return db
    .selectFrom('quota_seats')
    .select([
      'id',
      'quota_id',
      'match_seat_inventory_id',
      'status',
      'subquota_id',
      'claim_cart_id',
      'ticket_id',
    ])
    .where('quota_id', 'in', quotaIds)
    .where('status', '<>', 'CANCELLED')
    .orderBy('created_at')
    .execute();
}

/**
 * Quotas addressed to `email` (the portal holder's own), newest kick-off last; never a
 * petrol quota (E12-F4: sold at petrol stations, not claimed in the portal).
 */
export async function listQuotasOfRecipient(db: Executor, email: string) {
  return db
    .selectFrom('quotas as q')
    .innerJoin('matches as m', 'm.id', 'q.match_id')
    .selectAll('q')
    .select(['m.home_team', 'm.away_team', 'm.kick_off_time'])
    .where('q.recipient_email', '=', email)
    .where('q.quota_type', '=', 'STANDARD')
    .orderBy('m.kick_off_time')
    .orderBy('q.created_at')
    .execute();
}

/** Does `email` hold a live quota (or, once E7-F6 writes them, a sub-quota)? */
export async function holdsLiveQuota(db: Executor, email: string): Promise<boolean> {
  const { rows } = await sql<{ yes: boolean }>`
    SELECT EXISTS (SELECT 1 FROM quotas WHERE recipient_email = ${email}
                      AND status IN ('PENDING', 'ACTIVE', 'FULLY_CLAIMED')
                      AND quota_type = 'STANDARD')
        OR EXISTS (SELECT 1 FROM subquotas WHERE recipient_email = ${email}
                      AND status IN ('ALLOCATED', 'RESERVED', 'SOLD')) AS yes`.execute(db);
  return rows[0]!.yes;
}

/** Quota seats → CANCELLED for the given quota-seat statuses; returns their inventory ids. */
export async function cancelQuotaSeatsIn(
  db: Executor,
  quotaId: string,
  statuses: readonly QuotaSeatStatus[],
): Promise<string[]> {
  const rows = await db
    .updateTable('quota_seats')
    .set({ status: 'CANCELLED' })
    .where('quota_id', '=', quotaId)
    .where('status', 'in', [...statuses])
    .returning('match_seat_inventory_id')
    .execute();
  return rows.map((r) => r.match_seat_inventory_id);
}

export async function markQuotaCancelled(
  db: Executor,
  quotaId: string,
  values: { by: string; type: CancellationType; now: Date },
): Promise<QuotaRow> {
  return db
    .updateTable('quotas')
    .set({
      status: 'CANCELLED',
      cancelled_at: values.now,
      cancelled_by: values.by,
      cancellation_type: values.type,
    })
    .where('id', '=', quotaId)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function listQuotasOfMatch(db: Executor, matchId: string) {
  return db
    .selectFrom('quotas')
    .selectAll()
    .where('match_id', '=', matchId)
    .orderBy('created_at')
    .execute();
}

/** Live quotas past their deadline, locked (SKIP LOCKED: workers never wait on each other). */
export async function lockQuotasPastDeadline(db: Executor, now: Date, limit: number) {
  return db
    .selectFrom('quotas')
    .selectAll()
    .where('status', 'in', ['ACTIVE', 'FULLY_CLAIMED'])
    .where('expiration_date', '<', now)
    .orderBy('expiration_date')
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute();
}

/** ACTIVE quotas whose deadline is within `before` of now and not yet reminded, locked. */
export async function lockQuotasToRemind(db: Executor, now: Date, before: Date, limit: number) {
  return db
    .selectFrom('quotas')
    .selectAll()
    .where('status', '=', 'ACTIVE')
    .where('reminder_sent_at', 'is', null)
    .where('expiration_date', '>=', now)
    .where('expiration_date', '<=', before)
    .orderBy('expiration_date')
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute();
}

export async function markQuotaStatus(
  db: Executor,
  quotaId: string,
  values: { status?: 'PAST_DEADLINE'; reminder_sent_at?: Date },
) {
  await db.updateTable('quotas').set(values).where('id', '=', quotaId).execute();
}

/** How many seats of the quota are still unclaimed (ALLOCATED or DELEGATED). */
export async function countUnclaimed(db: Executor, quotaId: string): Promise<number> {
  const row = await db
    .selectFrom('quota_seats')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('quota_id', '=', quotaId)
    .where('status', 'in', ['ALLOCATED', 'DELEGATED'])
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The match sectors with seat inventory, by code (the import names sectors by code). */
export async function numberedSectorsByCode(db: Executor, matchId: string) {
  const rows = await db
    .selectFrom('match_sectors')
    .select(['id', 'code'])
    .where('match_id', '=', matchId)
    .where('is_numbered', '=', true)
    .execute();
  return new Map(rows.map((r) => [r.code.toUpperCase(), r.id]));
}

export async function findImportBatch(db: Executor, sha256: string, matchIds: readonly string[]) {
  return db
    .selectFrom('quota_import_batches')
    .selectAll()
    .where('file_sha256', '=', sha256)
    .where('match_ids', '=', sql<string[]>`${[...matchIds]}::uuid[]`)
    .executeTakeFirst();
}

export async function insertImportBatch(
  db: Executor,
  values: {
    id: string;
    match_ids: string[];
    file_name: string;
    file_sha256: string;
    total_rows: number;
    successful_rows: number;
    failed_rows: number;
    error_report_json: unknown;
    imported_by: string;
    imported_at: Date;
  },
) {
  return db
    .insertInto('quota_import_batches')
    .values({
      ...values,
      match_id: values.match_ids[0]!,
      error_report_json: JSON.stringify(values.error_report_json),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function listQuotasOfBatch(db: Executor, batchId: string) {
  return db
    .selectFrom('quotas')
    .select(['id', 'match_id', 'recipient_email', 'internal_note'])
    .where('batch_id', '=', batchId)
    .orderBy('created_at')
    .execute();
}

export async function finishImportBatch(
  db: Executor,
  id: string,
  values: { successful_rows: number; failed_rows: number; error_report_json: unknown },
) {
  return db
    .updateTable('quota_import_batches')
    .set({ ...values, error_report_json: JSON.stringify(values.error_report_json) })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}
