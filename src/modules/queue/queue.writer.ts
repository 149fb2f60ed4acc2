import type { Database } from '../../platform/db/database.ts';
import { upsertWaitingEntries, type WaitingEntryInput } from './queue.repo.ts';

/**
 * Group commit of joins. A burst of joins would otherwise need one pooled connection per
 * join and queue for the pool; here joins wait for a shared multi-row upsert instead:
 * while one batch is being written, the next one collects. Each join still answers only
 * after its row is committed (the durable record), and at low traffic a batch is a single
 * join written at once. A failed batch is retried row by row, so one bad row (e.g. a
 * deleted user) fails only its own join.
 */

const MAX_BATCH = 1_000;
const MAX_IN_FLIGHT = 4;

interface Pending {
  entry: WaitingEntryInput;
  resolve: (written: boolean) => void;
  reject: (err: unknown) => void;
}

class EntryWriter {
  private readonly db: Database;
  private queue: Pending[] = [];
  private inFlight = 0;

  constructor(db: Database) {
    this.db = db;
  }

  /** Resolves true when the row is WAITING now, false when an ACTIVE/COMPLETED row stands. */
  write(entry: WaitingEntryInput): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.queue.push({ entry, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < MAX_IN_FLIGHT && this.queue.length > 0) {
      const batch = this.takeBatch();
      this.inFlight++;
      void this.flush(batch).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  /** Up to MAX_BATCH entries with distinct (user, match); a repeat waits for the next batch. */
  private takeBatch(): Pending[] {
    const batch: Pending[] = [];
    const rest: Pending[] = [];
    const seen = new Set<string>();
    for (const p of this.queue) {
      const key = `${p.entry.user_id}:${p.entry.match_id}`;
      if (batch.length < MAX_BATCH && !seen.has(key)) {
        seen.add(key);
        batch.push(p);
      } else rest.push(p);
    }
    this.queue = rest;
    return batch;
  }

  private async flush(batch: Pending[]): Promise<void> {
    try {
      const written = await upsertWaitingEntries(
        this.db,
        batch.map((p) => p.entry),
      );
      const ok = new Set(written.map((r) => `${r.user_id}:${r.match_id}`));
      for (const p of batch) p.resolve(ok.has(`${p.entry.user_id}:${p.entry.match_id}`));
    } catch (err) {
      if (batch.length === 1) {
        batch[0]!.reject(err);
        return;
      }
      for (const p of batch) {
        try {
          p.resolve((await upsertWaitingEntries(this.db, [p.entry])).length > 0);
        } catch (e) {
          p.reject(e);
        }
      }
    }
  }
}

const writers = new WeakMap<Database, EntryWriter>();

/** Writes a fan's WAITING entry through the process's group-commit writer. */
export function writeWaitingEntry(db: Database, entry: WaitingEntryInput): Promise<boolean> {
  let writer = writers.get(db);
  if (!writer) writers.set(db, (writer = new EntryWriter(db)));
  return writer.write(entry);
}
