import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';

/** SQL of the turnstile export (E2-F8, E13-F1): the barcodes, the export log. */

/** Valid tickets: what the gates must let in (not cancelled, refunded or transferred away). */
const VALID = ['SOLD', 'ATTENDED'] as const;

/** Serialises the exports of one match (their top-ups of extra codes), until commit. */
export async function lockMatchExports(db: Executor, matchId: string): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`access-control-export:${matchId}`}, 0))`.execute(
    db,
  );
}

export async function findMatchStatus(db: Executor, matchId: string) {
  return db
    .selectFrom('matches')
    .select(['id', 'status'])
    .where('id', '=', matchId)
    .executeTakeFirst();
}

export async function countValidTickets(db: Executor, matchId: string): Promise<number> {
  const row = await db
    .selectFrom('tickets')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('match_id', '=', matchId)
    .where('status', 'in', VALID)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * One keyset page of the valid tickets' barcodes, in barcode order, after `after`: a
 * range scan of tickets_match_barcode_idx (match_id, barcode) INCLUDE (status).
 */
export async function ticketBarcodePage(
  db: Executor,
  matchId: string,
  after: string,
  limit: number,
): Promise<string[]> {
  const rows = await db
    .selectFrom('tickets')
    .select('barcode')
    .where('match_id', '=', matchId)
    .where('barcode', '>', after)
    .where('status', 'in', VALID)
    .orderBy('barcode')
    .limit(limit)
    .execute();
  return rows.map((r) => r.barcode);
}

/** One keyset page of the match's unused extra codes, in barcode order. */
export async function extraCodePage(
  db: Executor,
  matchId: string,
  after: string,
  limit: number,
): Promise<string[]> {
  const rows = await db
    .selectFrom('extra_barcodes')
    .select('barcode')
    .where('match_id', '=', matchId)
    .where('is_used', '=', false)
    .where('barcode', '>', after)
    .orderBy('barcode')
    .limit(limit)
    .execute();
  return rows.map((r) => r.barcode);
}

export async function insertExportLog(
  db: Executor,
  log: {
    match_id: string;
    file_name: string;
    total_barcodes: number;
    extra_barcodes: number;
    exported_by: string | null;
    exported_at: Date;
  },
): Promise<string> {
  const row = await db
    .insertInto('barcode_export_logs')
    .values(log)
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function listExportLogs(db: Executor, matchId: string, limit: number) {
  return db
    .selectFrom('barcode_export_logs')
    .selectAll()
    .where('match_id', '=', matchId)
    .orderBy('exported_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}
