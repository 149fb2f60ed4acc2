import type { Executor } from '../../platform/db/database.ts';

/** SQL on wallet_passes and google_wallet_objects: when passes changed, where they went. */

/** Records that a pass of the ticket was handed out; returns when the pass last changed. */
export async function notePassIssued(
  db: Executor,
  input: { ticketId: string; wallet: 'apple' | 'google'; now: Date },
): Promise<Date> {
  const google = input.wallet === 'google';
  const row = await db
    .insertInto('wallet_passes')
    .values({
      ticket_id: input.ticketId,
      updated_at: input.now,
      apple_issued_at: google ? null : input.now,
      google_issued_at: google ? input.now : null,
    })
    .onConflict((oc) =>
      oc
        .column('ticket_id')
        .doUpdateSet(google ? { google_issued_at: input.now } : { apple_issued_at: input.now }),
    )
    .returning('updated_at')
    .executeTakeFirstOrThrow();
  return row.updated_at;
}

export async function noteGoogleObject(
  db: Executor,
  input: { objectId: string; ticketId: string; ownerUserId: string; now: Date },
) {
  await db
    .insertInto('google_wallet_objects')
    .values({
      object_id: input.objectId,
      ticket_id: input.ticketId,
      owner_user_id: input.ownerUserId,
      issued_at: input.now,
    })
    .onConflict((oc) => oc.column('object_id').doUpdateSet({ issued_at: input.now }))
    .execute();
}

/** The passes of these tickets changed now (only tickets given to a wallet have a row). */
export async function touchPasses(db: Executor, ticketIds: readonly string[], now: Date) {
  if (ticketIds.length === 0) return [];
  const rows = await db
    .updateTable('wallet_passes')
    .set({ updated_at: now })
    .where('ticket_id', 'in', ticketIds)
    .returning('ticket_id')
    .execute();
  return rows.map((r) => r.ticket_id);
}

export async function listGoogleObjects(db: Executor, ticketIds: readonly string[]) {
  if (ticketIds.length === 0) return [];
  return db
    .selectFrom('google_wallet_objects')
    .select(['object_id', 'ticket_id', 'owner_user_id'])
    .where('ticket_id', 'in', ticketIds)
    .execute();
}

export async function markGoogleSynced(db: Executor, objectId: string, now: Date) {
  await db
    .updateTable('google_wallet_objects')
    .set({ synced_at: now })
    .where('object_id', '=', objectId)
    .execute();
}

export async function findPass(db: Executor, ticketId: string) {
  return db
    .selectFrom('wallet_passes')
    .selectAll()
    .where('ticket_id', '=', ticketId)
    .executeTakeFirst();
}
