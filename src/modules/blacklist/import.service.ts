import { createHash, randomUUID } from 'node:crypto';
import type { AppDeps } from '../../deps.ts';
import { getPiiCipher } from '../../platform/crypto.ts';
import { AppError, notFound } from '../../platform/errors.ts';
import { readCsvTable, type CsvRow } from '../../platform/files/csv-table.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { isValidOib } from '../identity/oib.ts';
import { announceRevokedSessions } from '../identity/revocations.ts';
import { revokeUserSessions } from '../identity/sessions.repo.ts';
import { activeEntriesOfBatch } from './auto-cancel.repo.ts';
import { affectedBy, batchConfirmPath } from './auto-cancel.service.ts';
import {
  IMPORT_COLUMNS,
  IMPORT_MAX_ROWS,
  REQUIRED_COLUMNS,
  type lineError,
} from './import.schemas.ts';
import {
  findBatch,
  findBatchBySha,
  findListed,
  finishBatch,
  insertBatch,
  insertEntries,
  profileOwners,
  type ImportBatchRow,
  type ImportRow,
} from './import.repo.ts';
import type { z } from 'zod';

/**
 * The MUP's CSV list (E11-F2). The file is read and each row checked in memory (OIB
 * checksum, names, date of birth); the valid rows' OIBs are encrypted and blind-indexed,
 * duplicates within the file dropped, those already on the list found with one query, and
 * the rest inserted with one statement (unnest), their audit rows with it. One transaction
 * for the batch. The plaintext OIB is only in memory: errors name the line and the last 4
 * digits. The same file (SHA-256) again answers the first batch and changes nothing.
 */
type Deps = Pick<AppDeps, 'db' | 'clock' | 'config' | 'jobs' | 'redis' | 'logger'>;
type LineError = z.infer<typeof lineError>;

const fileInvalid = (detail: string) => new AppError('BLACKLIST_IMPORT_FILE_INVALID', detail);
const DATE = /^\d{4}-\d{2}-\d{2}$/;

type Parsed = CsvRow;

function readFile(bytes: Buffer): { columns: string[]; rows: Parsed[] } {
  return readCsvTable(bytes, {
    columns: IMPORT_COLUMNS,
    required: REQUIRED_COLUMNS,
    maxRows: IMPORT_MAX_ROWS,
    invalid: fileInvalid,
  });
}

const last4 = (oib: string) => (oib.length >= 4 ? `*******${oib.slice(-4)}` : 'the OIB');

/** A row's problem, or its values; never echoes more of the OIB than its last 4 digits. */
function checkRow(
  row: Parsed,
  width: number,
  today: string,
):
  | { error: LineError }
  | { entry: Omit<ImportRow, 'oib_encrypted' | 'oib_blind_index'> & { oib: string } } {
  const err = (field: string | null, code: LineError['code'], message: string) => ({
    error: { line: row.line, field, code, message },
  });
  if (row.width !== width)
    return err(null, 'COLUMN_COUNT', `${row.width} columns, ${width} expected`);
  const v = row.values;
  const oib = v.oib!.replace(/\s+/g, '');
  if (!/^\d{11}$/.test(oib)) return err('oib', 'OIB_INVALID', 'the OIB is not 11 digits');
  if (!isValidOib(oib)) return err('oib', 'OIB_INVALID', `${last4(oib)} fails the OIB checksum`);
  const first = v.first_name!;
  const last = v.last_name!;
  if (!first || first.length > 100)
    return err('first_name', 'VALUE_INVALID', 'required, at most 100 characters');
  if (!last || last.length > 100)
    return err('last_name', 'VALUE_INVALID', 'required, at most 100 characters');
  const dob = v.date_of_birth || null;
  if (dob !== null) {
    const d = new Date(`${dob}T00:00:00Z`);
    if (!DATE.test(dob) || Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== dob) {
      return err('date_of_birth', 'VALUE_INVALID', 'not a date (YYYY-MM-DD)');
    }
    if (dob > today) return err('date_of_birth', 'VALUE_INVALID', 'in the future');
  }
  const notes = v.notes || null;
  if (notes && notes.length > 2000) return err('notes', 'VALUE_INVALID', 'at most 2000 characters');
  return {
    entry: {
      oib,
      oib_last4: oib.slice(-4),
      first_name: first,
      last_name: last,
      date_of_birth: dob,
      notes,
    },
  };
}

async function report(deps: Deps, batch: ImportBatchRow, replayed: boolean) {
  const entryIds = await activeEntriesOfBatch(deps.db, batch.id);
  return {
    batch_id: batch.id,
    file_name: batch.file_name,
    replayed,
    total_rows: batch.total_rows,
    imported: batch.successful_rows,
    duplicates: batch.duplicate_rows,
    failed: batch.failed_rows,
    errors: batch.error_report_json as LineError[],
    imported_at: batch.imported_at.toISOString(),
    affected: await affectedBy(deps, deps.db, entryIds, {
      confirmPath: batchConfirmPath(batch.id),
      cancelledAt: batch.tickets_cancelled_at,
    }),
  };
}

export async function importBlacklist(
  deps: Deps,
  actorId: string,
  input: { bytes: Buffer; fileName: string | null },
) {
  if (input.bytes.length === 0)
    throw fileInvalid('No file: send the CSV as the body or a form file');
  const sha256 = createHash('sha256').update(input.bytes).digest('hex');
  const previous = await findBatchBySha(deps.db, sha256);
  if (previous) return { status: 200 as const, body: await report(deps, previous, true) };

  const { columns, rows } = readFile(input.bytes);
  const now = deps.clock.now();
  const today = now.toISOString().slice(0, 10);
  const pii = getPiiCipher(deps.config);
  const errors: LineError[] = [];
  const candidates: Array<ImportRow & { line: number; oib: string }> = [];
  const firstLineOf = new Map<string, number>();
  let duplicates = 0;
  for (const row of rows) {
    const checked = checkRow(row, columns.length, today);
    if ('error' in checked) {
      errors.push(checked.error);
      continue;
    }
    const { oib } = checked.entry;
    const blindIndex = pii.blindIndex(oib);
    const first = firstLineOf.get(blindIndex);
    if (first !== undefined) {
      duplicates += 1;
      errors.push({
        line: row.line,
        field: 'oib',
        code: 'DUPLICATE_IN_FILE',
        message: `${last4(oib)} is on line ${first} already`,
      });
      continue;
    }
    firstLineOf.set(blindIndex, row.line);
    candidates.push({
      ...checked.entry,
      line: row.line,
      oib_blind_index: blindIndex,
      oib_encrypted: '',
    });
  }
  const failed = errors.length - duplicates;
  const batchId = randomUUID();

  try {
    const { batch, revoked } = await deps.db.transaction().execute(async (trx) => {
      await insertBatch(trx, {
        id: batchId,
        file_name: input.fileName,
        file_sha256: sha256,
        total_rows: rows.length,
        failed_rows: failed,
        imported_by: actorId,
        imported_at: now,
      });
      const listed = new Map(
        (
          await findListed(
            trx,
            candidates.map((c) => c.oib_blind_index),
          )
        ).map((r) => [r.oib_blind_index, r.status]),
      );
      const fresh: typeof candidates = [];
      for (const c of candidates) {
        const status = listed.get(c.oib_blind_index);
        if (!status) {
          fresh.push(c);
          continue;
        }
        duplicates += 1;
        errors.push({
          line: c.line,
          field: 'oib',
          code: status === 'ACTIVE' ? 'ALREADY_LISTED' : 'LISTED_REMOVED',
          message:
            status === 'ACTIVE'
              ? `*******${c.oib_last4} is on the list already`
              : `*******${c.oib_last4} had a ban that was lifted: restore it with POST /admin/blacklist`,
        });
      }
      // Encrypting only what is inserted: a re-import of a big list encrypts nothing.
      for (const c of fresh) c.oib_encrypted = pii.encrypt(c.oib);
      const inserted = new Set(await insertEntries(trx, fresh, { batchId, by: actorId, at: now }));
      for (const c of fresh) {
        if (inserted.has(c.oib_blind_index)) continue;
        // Listed by someone else between our read and our insert.
        duplicates += 1;
        errors.push({
          line: c.line,
          field: 'oib',
          code: 'ALREADY_LISTED',
          message: `*******${c.oib_last4} is on the list already`,
        });
      }
      errors.sort((a, b) => a.line - b.line);
      const batch = await finishBatch(trx, batchId, {
        successful_rows: inserted.size,
        duplicate_rows: duplicates,
        errors,
      });
      const owners = await profileOwners(trx, [...inserted]);
      const revoked: string[] = [];
      for (const owner of owners) {
        revoked.push(...(await revokeUserSessions(trx, owner, 'user_blacklisted', now)));
      }
      await recordAudit(deps, trx, {
        domain: 'blacklist',
        action: 'blacklist_imported',
        actor: { type: 'user', id: actorId },
        subject: { type: 'blacklist_import_batch', id: batchId },
        changes: {
          file_name: input.fileName,
          file_sha256: sha256,
          total_rows: rows.length,
          imported: inserted.size,
          duplicates,
          failed,
        },
      });
      return { batch, revoked };
    });
    await announceRevokedSessions(deps, revoked);
    return { status: 201 as const, body: await report(deps, batch, false) };
  } catch (err) {
    // The same file uploaded twice at once: the second answers the first's batch.
    if ((err as { code?: string }).code === '23505') {
      const winner = await findBatchBySha(deps.db, sha256);
      if (winner) return { status: 200 as const, body: await report(deps, winner, true) };
    }
    throw err;
  }
}

export async function getImportBatch(deps: Deps, batchId: string) {
  const batch = await findBatch(deps.db, batchId);
  if (!batch) throw notFound('Import batch');
  return report(deps, batch, false);
}
