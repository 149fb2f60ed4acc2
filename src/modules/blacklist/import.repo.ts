import { sql, type Selectable } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type { BlacklistImportBatches } from '../../platform/db/types.generated.ts';

/** The SQL of the CSV import (E11-F2): set-based, a few statements whatever the file's size. */
export type ImportBatchRow = Selectable<BlacklistImportBatches>;

export async function findBatchBySha(
  db: Executor,
  sha256: string,
): Promise<ImportBatchRow | undefined> {
  return db
    .selectFrom('blacklist_import_batches')
    .selectAll()
    .where('file_sha256', '=', sha256)
    .executeTakeFirst();
}

export async function findBatch(db: Executor, id: string): Promise<ImportBatchRow | undefined> {
  return db
    .selectFrom('blacklist_import_batches')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function insertBatch(
  db: Executor,
  values: {
    id: string;
    file_name: string | null;
    file_sha256: string;
    total_rows: number;
    failed_rows: number;
    imported_by: string;
    imported_at: Date;
  },
): Promise<void> {
  // Provisional counts (every non-failed row as successful) until the insert has run.
  await db
    .insertInto('blacklist_import_batches')
    .values({
      ...values,
      successful_rows: values.total_rows - values.failed_rows,
      duplicate_rows: 0,
      error_report_json: '[]',
    })
    .execute();
}

export async function finishBatch(
  db: Executor,
  id: string,
  values: { successful_rows: number; duplicate_rows: number; errors: unknown[] },
): Promise<ImportBatchRow> {
  return db
    .updateTable('blacklist_import_batches')
    .set({
      successful_rows: values.successful_rows,
      duplicate_rows: values.duplicate_rows,
      error_report_json: JSON.stringify(values.errors),
    })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Entries (any status) among these blind indexes: the file's rows already listed. */
export async function findListed(
  db: Executor,
  blindIndexes: readonly string[],
): Promise<Array<{ oib_blind_index: string; status: 'ACTIVE' | 'REMOVED' }>> {
  if (blindIndexes.length === 0) return [];
  const { rows } = await sql<{ oib_blind_index: string; status: 'ACTIVE' | 'REMOVED' }>`
    SELECT oib_blind_index, status FROM blacklist
     WHERE oib_blind_index = ANY (${[...blindIndexes]}::text[])`.execute(db);
  return rows;
}

export interface ImportRow {
  oib_encrypted: string;
  oib_blind_index: string;
  oib_last4: string;
  first_name: string;
  last_name: string;
  date_of_birth: string | null;
  notes: string | null;
}

/**
 * One statement for all the rows: the entries (a row whose OIB another import or admin
 * listed meanwhile is skipped by the unique blind index) and their CREATE audit rows,
 * OIB masked. Returns the blind indexes inserted.
 */
export async function insertEntries(
  db: Executor,
  rows: readonly ImportRow[],
  ctx: { batchId: string; by: string; at: Date },
): Promise<string[]> {
  if (rows.length === 0) return [];
  const col = <K extends keyof ImportRow>(k: K) => rows.map((r) => r[k]);
  const { rows: inserted } = await sql<{ oib_blind_index: string }>`
    WITH x AS (
      SELECT * FROM unnest(${col('oib_encrypted')}::text[], ${col('oib_blind_index')}::text[],
                           ${col('oib_last4')}::text[], ${col('first_name')}::text[],
                           ${col('last_name')}::text[], ${col('date_of_birth')}::date[],
                           ${col('notes')}::text[])
             AS x(oib_encrypted, oib_blind_index, oib_last4, first_name, last_name, date_of_birth, notes)
    ),
    ins AS (
      INSERT INTO blacklist (oib_encrypted, oib_blind_index, oib_last4, first_name, last_name,
                             date_of_birth, notes, source, created_by, created_at, import_batch_id)
      SELECT oib_encrypted, oib_blind_index, oib_last4, first_name, last_name, date_of_birth,
             notes, 'IMPORT', ${ctx.by}::uuid, ${ctx.at}, ${ctx.batchId}::uuid
        FROM x
      ON CONFLICT (oib_blind_index) DO NOTHING
      RETURNING id, oib_blind_index, oib_last4, first_name, last_name, date_of_birth, notes
    ),
    logged AS (
      INSERT INTO blacklist_audit_logs (blacklist_id, action, changed_by, changes_json, created_at)
      SELECT id, 'CREATE', ${ctx.by}::uuid,
             jsonb_build_object('oib', '*******' || oib_last4, 'first_name', first_name,
                                'last_name', last_name, 'date_of_birth', date_of_birth,
                                'notes', notes, 'source', 'IMPORT', 'status', 'ACTIVE',
                                'import_batch_id', ${ctx.batchId}::uuid),
             ${ctx.at}
        FROM ins
    )
    SELECT oib_blind_index FROM ins`.execute(db);
  return inserted.map((r) => r.oib_blind_index);
}

/** The users whose profile carries one of these OIBs (their sessions end). */
export async function profileOwners(
  db: Executor,
  blindIndexes: readonly string[],
): Promise<string[]> {
  if (blindIndexes.length === 0) return [];
  const { rows } = await sql<{ user_id: string }>`
    SELECT user_id FROM profiles WHERE oib_blind_index = ANY (${[...blindIndexes]}::text[])`.execute(
    db,
  );
  return rows.map((r) => r.user_id);
}
