/** All SQL of the audit module: the audit outbox (db/migrations/20261203000000_audit_outbox.sql). */
import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type { RecordedAuditEvent } from './audit.service.ts';

/** Appends one masked event in the caller's transaction. */
export async function appendAuditEvent(db: Executor, event: RecordedAuditEvent): Promise<void> {
  await db
    .insertInto('audit_outbox')
    .values({ event: JSON.stringify(event) })
    .execute();
}

/** Many events with one statement (a bulk use case, e.g. a quota import of 1,000 rows). */
export async function appendAuditEvents(
  db: Executor,
  events: readonly RecordedAuditEvent[],
): Promise<void> {
  if (events.length === 0) return;
  await sql`
    INSERT INTO audit_outbox (event)
    SELECT e FROM jsonb_array_elements(${JSON.stringify(events)}::jsonb) AS e`.execute(db);
}

export interface OutboxRow {
  id: number;
  event: RecordedAuditEvent;
}

/**
 * The oldest `limit` events nobody else is shipping, locked by the caller's transaction
 * until it deletes them (shipped) or rolls back (they stay for the next attempt).
 */
export async function lockOldestAuditEvents(db: Executor, limit: number): Promise<OutboxRow[]> {
  const { rows } = await sql<OutboxRow>`
    SELECT id, event FROM audit_outbox ORDER BY id LIMIT ${limit} FOR UPDATE SKIP LOCKED
  `.execute(db);
  return rows.map((r) => ({ id: Number(r.id), event: r.event }));
}

export async function deleteAuditEvents(db: Executor, ids: readonly number[]): Promise<void> {
  if (ids.length === 0) return;
  await sql`DELETE FROM audit_outbox WHERE id = ANY(${ids}::bigint[])`.execute(db);
}

/** How many events wait to be shipped (health and tests). */
export async function countPendingAuditEvents(db: Executor): Promise<number> {
  const row = await db
    .selectFrom('audit_outbox')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
