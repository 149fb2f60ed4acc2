import { sql } from 'kysely';
import type { RecordedAuditEvent } from '../../src/modules/audit/audit.service.ts';
import type { Executor } from '../../src/platform/db/database.ts';

/**
 * The audit events waiting in the outbox (nothing ships them unless a test starts the
 * shipper), oldest first; with a subject id, only that subject's.
 */
export async function auditEvents(db: Executor, subjectId?: string): Promise<RecordedAuditEvent[]> {
  const { rows } = await sql<{ event: RecordedAuditEvent }>`
    SELECT event FROM audit_outbox
     WHERE ${subjectId === undefined} OR event->'subject'->>'id' = ${subjectId ?? null}
     ORDER BY id`.execute(db);
  return rows.map((r) => r.event);
}
