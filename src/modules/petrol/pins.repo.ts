import { sql, type Selectable, type Updateable } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type { PetrolPins } from '../../platform/db/types.generated.ts';

/** SQL of petrol_pins (E12-F1). */

export type PinRow = Selectable<PetrolPins>;

/**
 * Inserts an ACTIVE PIN unless that number is taken by another ACTIVE one (the partial
 * UNIQUE decides, also between concurrent inserts): undefined on a collision. A PIN of the
 * same number that has run out (and has no live reservation) is set EXPIRED first, so its
 * number is free again.
 */
export async function insertPinUnlessTaken(
  db: Executor,
  values: {
    pin: string;
    user_id: string;
    match_id: string;
    quota_id: string;
    quantity: number;
    ticket_holders_json: unknown;
    expires_at: Date;
    now: Date;
  },
): Promise<PinRow | undefined> {
  await sql`
    UPDATE petrol_pins p SET status = 'EXPIRED'
     WHERE p.pin = ${values.pin} AND p.status = 'ACTIVE' AND p.expires_at <= ${values.now}
       AND NOT EXISTS (SELECT 1 FROM petrol_reservations r WHERE r.pin_id = p.id
                          AND r.status IN ('RESERVED', 'IDENTITY_VERIFIED')
                          AND r.expires_at > ${values.now})`.execute(db);
  const { rows } = await sql<PinRow>`
    INSERT INTO petrol_pins (pin, user_id, match_id, quota_id, quantity, ticket_holders_json,
                             status, expires_at, created_at)
    VALUES (${values.pin}, ${values.user_id}, ${values.match_id}, ${values.quota_id},
            ${values.quantity}, ${JSON.stringify(values.ticket_holders_json)}::jsonb, 'ACTIVE',
            ${values.expires_at}, ${values.now})
    ON CONFLICT (pin) WHERE status = 'ACTIVE' DO NOTHING
    RETURNING *`.execute(db);
  return rows[0];
}

/** The fan's ACTIVE PINs for the match, locked. */
export async function activePinsOfFan(db: Executor, userId: string, matchId: string) {
  return db
    .selectFrom('petrol_pins')
    .selectAll()
    .where('user_id', '=', userId)
    .where('match_id', '=', matchId)
    .where('status', '=', 'ACTIVE')
    .forUpdate()
    .execute();
}

/** The newest PIN with this number, locked (lookups of one PIN run one after the other). */
export async function lockPinByNumber(db: Executor, pin: string): Promise<PinRow | undefined> {
  return db
    .selectFrom('petrol_pins')
    .selectAll()
    .where('pin', '=', pin)
    .orderBy('created_at', 'desc')
    .limit(1)
    .forUpdate()
    .executeTakeFirst();
}

export async function lockPin(db: Executor, id: string): Promise<PinRow | undefined> {
  return db
    .selectFrom('petrol_pins')
    .selectAll()
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();
}

export async function updatePin(
  db: Executor,
  id: string,
  values: Updateable<PetrolPins>,
): Promise<PinRow> {
  return db
    .updateTable('petrol_pins')
    .set(values)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** ACTIVE PINs past their expiry with no live reservation → EXPIRED (the job). */
export async function expireDuePins(db: Executor, now: Date): Promise<number> {
  const { rows } = await sql<{ id: string }>`
    UPDATE petrol_pins p SET status = 'EXPIRED'
     WHERE p.status = 'ACTIVE' AND p.expires_at <= ${now}
       AND NOT EXISTS (SELECT 1 FROM petrol_reservations r WHERE r.pin_id = p.id
                          AND r.status IN ('RESERVED', 'IDENTITY_VERIFIED'))
    RETURNING p.id`.execute(db);
  return rows.length;
}

/** The fan's newest PIN for the match. */
export async function latestPinOfFan(db: Executor, userId: string, matchId: string) {
  return db
    .selectFrom('petrol_pins')
    .selectAll()
    .where('user_id', '=', userId)
    .where('match_id', '=', matchId)
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/**
 * The ACTIVE PINs of a petrol quota → CANCELLED (its cancellation); `keepReserved`: a PIN
 * a cashier is serving stays (its reservation carries on). Returns how many.
 */
export async function cancelActivePinsOfQuota(
  db: Executor,
  quotaId: string,
  options: { keepReserved: boolean },
): Promise<number> {
  const { rows } = await sql<{ id: string }>`
    UPDATE petrol_pins p SET status = 'CANCELLED'
     WHERE p.quota_id = ${quotaId} AND p.status = 'ACTIVE'
       AND (NOT ${options.keepReserved}
            OR NOT EXISTS (SELECT 1 FROM petrol_reservations r WHERE r.pin_id = p.id
                              AND r.status IN ('RESERVED', 'IDENTITY_VERIFIED')))
    RETURNING p.id`.execute(db);
  return rows.length;
}

/** The ACTIVE PINs of a petrol quota → EXPIRED (its deadline passed). Returns how many. */
export async function expireActivePinsOfQuota(db: Executor, quotaId: string): Promise<number> {
  const rows = await db
    .updateTable('petrol_pins')
    .set({ status: 'EXPIRED' })
    .where('quota_id', '=', quotaId)
    .where('status', '=', 'ACTIVE')
    .returning('id')
    .execute();
  return rows.length;
}
