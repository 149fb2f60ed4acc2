import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';

/** SQL on extra_barcodes and access_control_fallbacks (E2-F8, extra codes in use). */

export async function countUnusedExtraCodes(db: Executor, matchId: string): Promise<number> {
  const row = await db
    .selectFrom('extra_barcodes')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('match_id', '=', matchId)
    .where('is_used', '=', false)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Reserves these codes for the match; a code that is already a ticket's barcode or
 * another extra code (of any match) is skipped. Returns how many were inserted.
 */
export async function insertExtraCodes(
  db: Executor,
  matchId: string,
  codes: readonly string[],
  now: Date,
): Promise<number> {
  if (codes.length === 0) return 0;
  const { rows } = await sql<{ id: string }>`
    INSERT INTO extra_barcodes (match_id, barcode, created_at)
    SELECT ${matchId}::uuid, c.code, ${now}::timestamptz
      FROM unnest(${codes}::text[]) AS c(code)
     WHERE NOT EXISTS (SELECT 1 FROM tickets t WHERE t.barcode = c.code)
        ON CONFLICT (barcode) DO NOTHING
    RETURNING id`.execute(db);
  return rows.length;
}

/**
 * For tickets of the match being issued now: when the match was exported to the gates,
 * each ticket takes the oldest unused extra code (FOR UPDATE SKIP LOCKED, so concurrent
 * issues never take one twice), recorded as used by it. One statement; returns whether
 * the match was exported and the codes taken (fewer than asked when they ran out).
 */
export async function takeExtraCodes(
  db: Executor,
  input: { matchId: string; ticketIds: readonly string[]; now: Date },
): Promise<{ exported: boolean; taken: Array<{ ticket_id: string; barcode: string }> }> {
  const { rows } = await sql<{
    exported: boolean;
    ticket_id: string | null;
    barcode: string | null;
  }>`
    WITH exported AS (
      SELECT EXISTS (SELECT 1 FROM barcode_export_logs WHERE match_id = ${input.matchId}) AS yes
    ),
    free AS (
      SELECT e.id, e.created_at FROM extra_barcodes e, exported
       WHERE exported.yes AND e.match_id = ${input.matchId} AND NOT e.is_used
       ORDER BY e.created_at, e.id
       LIMIT ${input.ticketIds.length}
         FOR UPDATE OF e SKIP LOCKED
    ),
    numbered AS (SELECT id, row_number() OVER (ORDER BY created_at, id) AS n FROM free),
    wanted AS (
      SELECT w.ticket_id, w.n FROM unnest(${input.ticketIds}::uuid[]) WITH ORDINALITY AS w(ticket_id, n)
    ),
    taken AS (
      UPDATE extra_barcodes e
         SET is_used = true, used_at = ${input.now}, assigned_ticket_id = wanted.ticket_id
        FROM numbered JOIN wanted ON wanted.n = numbered.n
       WHERE e.id = numbered.id
      RETURNING wanted.ticket_id, e.barcode
    )
    SELECT exported.yes AS exported, taken.ticket_id, taken.barcode
      FROM exported LEFT JOIN taken ON true`.execute(db);
  return {
    exported: rows[0]?.exported ?? false,
    taken: rows.flatMap((r) =>
      r.ticket_id && r.barcode ? [{ ticket_id: r.ticket_id, barcode: r.barcode }] : [],
    ),
  };
}

export async function insertFallbacks(
  db: Executor,
  matchId: string,
  tickets: ReadonlyArray<{ id: string; barcode: string }>,
  now: Date,
): Promise<void> {
  if (tickets.length === 0) return;
  await db
    .insertInto('access_control_fallbacks')
    .values(
      tickets.map((t) => ({
        match_id: matchId,
        ticket_id: t.id,
        barcode: t.barcode,
        created_at: now,
      })),
    )
    .execute();
}

/** The match's codes: reserved, used, unused. */
export async function extraCodeCounts(db: Executor, matchId: string) {
  const row = await db
    .selectFrom('extra_barcodes')
    .select([
      sql<string>`count(*)`.as('total'),
      sql<string>`count(*) FILTER (WHERE is_used)`.as('used'),
    ])
    .where('match_id', '=', matchId)
    .executeTakeFirstOrThrow();
  const total = Number(row.total);
  const used = Number(row.used);
  return { total, used, unused: total - used };
}

/** Tickets that got a normal barcode because no extra code was left, not exported since. */
export async function listOpenFallbacks(db: Executor, matchId: string) {
  return db
    .selectFrom('access_control_fallbacks')
    .select(['ticket_id', 'barcode', 'created_at'])
    .where('match_id', '=', matchId)
    .where('resolved_by_export_id', 'is', null)
    .orderBy('created_at')
    .limit(1000)
    .execute();
}

/** An export hands every open fallback's barcode to the gates. */
export async function resolveFallbacks(db: Executor, matchId: string, exportId: string) {
  await db
    .updateTable('access_control_fallbacks')
    .set({ resolved_by_export_id: exportId })
    .where('match_id', '=', matchId)
    .where('resolved_by_export_id', 'is', null)
    .execute();
}

/** Undoes the codes and fallbacks of tickets that were not issued (same transaction). */
export async function releaseTicketCodes(db: Executor, ticketIds: readonly string[]) {
  if (ticketIds.length === 0) return;
  await db
    .updateTable('extra_barcodes')
    .set({ is_used: false, used_at: null, assigned_ticket_id: null })
    .where('assigned_ticket_id', 'in', ticketIds)
    .execute();
  await db.deleteFrom('access_control_fallbacks').where('ticket_id', 'in', ticketIds).execute();
}
