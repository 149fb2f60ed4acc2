import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';

/** SQL on apple_pass_registrations: the devices that installed a pass (pass web service). */

/** Registers (or refreshes) a device for a pass; true when the registration is new. */
export async function upsertRegistration(
  db: Executor,
  input: { device: string; passType: string; ticketId: string; pushToken: string; now: Date },
): Promise<boolean> {
  const row = await db
    .insertInto('apple_pass_registrations')
    .values({
      device_library_identifier: input.device,
      pass_type_identifier: input.passType,
      ticket_id: input.ticketId,
      push_token: input.pushToken,
      created_at: input.now,
      updated_at: input.now,
    })
    .onConflict((oc) =>
      oc
        .columns(['device_library_identifier', 'pass_type_identifier', 'ticket_id'])
        .doUpdateSet({ push_token: input.pushToken, updated_at: input.now }),
    )
    // xmax is 0 on a row this statement inserted (not on one it updated).
    .returning(sql<boolean>`(xmax = 0)`.as('inserted'))
    .executeTakeFirstOrThrow();
  return row.inserted;
}

export async function deleteRegistration(
  db: Executor,
  input: { device: string; passType: string; ticketId: string },
): Promise<boolean> {
  const r = await db
    .deleteFrom('apple_pass_registrations')
    .where('device_library_identifier', '=', input.device)
    .where('pass_type_identifier', '=', input.passType)
    .where('ticket_id', '=', input.ticketId)
    .executeTakeFirst();
  return r.numDeletedRows > 0n;
}

/** The serial numbers (ticket ids) registered on a device whose pass changed after `since`. */
export async function listUpdatedSerials(
  db: Executor,
  input: { device: string; passType: string; since: Date | null },
) {
  let q = db
    .selectFrom('apple_pass_registrations as r')
    .innerJoin('wallet_passes as p', 'p.ticket_id', 'r.ticket_id')
    .select(['r.ticket_id', 'p.updated_at'])
    .where('r.device_library_identifier', '=', input.device)
    .where('r.pass_type_identifier', '=', input.passType);
  if (input.since) q = q.where('p.updated_at', '>', input.since);
  return q.orderBy('p.updated_at').execute();
}

/** Push tokens of the devices holding these tickets' passes. */
export async function listPushTokens(db: Executor, ticketIds: readonly string[]) {
  if (ticketIds.length === 0) return [];
  return db
    .selectFrom('apple_pass_registrations')
    .select(['id', 'ticket_id', 'push_token', 'pass_type_identifier'])
    .where('ticket_id', 'in', ticketIds)
    .execute();
}

/** Drops registrations whose device token APNs no longer accepts. */
export async function deleteRegistrationsByToken(db: Executor, pushTokens: readonly string[]) {
  if (pushTokens.length === 0) return;
  await db.deleteFrom('apple_pass_registrations').where('push_token', 'in', pushTokens).execute();
}
