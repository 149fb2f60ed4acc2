import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';

/** SQL on wallet_passes: when a ticket's pass last changed, and where it was issued. */

/** Records that a pass of the ticket was handed out; returns when the pass last changed. */
export async function notePassIssued(
  db: Executor,
  input: { ticketId: string; wallet: 'apple' | 'google'; now: Date; googleObjectId?: string },
): Promise<Date> {
  const google = input.wallet === 'google';
  const row = await db
    .insertInto('wallet_passes')
    .values({
      ticket_id: input.ticketId,
      updated_at: input.now,
      apple_issued_at: google ? null : input.now,
      google_issued_at: google ? input.now : null,
      google_object_id: input.googleObjectId ?? null,
    })
    .onConflict((oc) =>
      oc.column('ticket_id').doUpdateSet(
        google
          ? {
              google_issued_at: input.now,
              google_object_id: sql`excluded.google_object_id`,
            }
          : { apple_issued_at: input.now },
      ),
    )
    .returning('updated_at')
    .executeTakeFirstOrThrow();
  return row.updated_at;
}

/** The passes of these tickets changed now (only tickets given to a wallet have a row). */
export async function touchPasses(db: Executor, ticketIds: readonly string[], now: Date) {
  if (ticketIds.length === 0) return [];
  return db
    .updateTable('wallet_passes')
    .set({ updated_at: now })
    .where('ticket_id', 'in', ticketIds)
    .returning(['ticket_id', 'google_object_id'])
    .execute();
}

export async function markGoogleSynced(db: Executor, ticketId: string, now: Date) {
  await db
    .updateTable('wallet_passes')
    .set({ google_synced_at: now })
    .where('ticket_id', '=', ticketId)
    .execute();
}

export async function findPass(db: Executor, ticketId: string) {
  return db
    .selectFrom('wallet_passes')
    .selectAll()
    .where('ticket_id', '=', ticketId)
    .executeTakeFirst();
}
