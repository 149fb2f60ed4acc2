import { sql, type Selectable, type Updateable } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type { PetrolReservations, PetrolPayment } from '../../platform/db/types.generated.ts';

/** SQL of petrol_reservations and petrol_sales (E12-F2, E12-F3). */

export type ReservationRow = Selectable<PetrolReservations>;

const LIVE = ['RESERVED', 'IDENTITY_VERIFIED'] as const;

/** The PIN's live reservation (at most one: the partial UNIQUE), locked. */
export async function liveReservationOfPin(
  db: Executor,
  pinId: string,
): Promise<ReservationRow | undefined> {
  return db
    .selectFrom('petrol_reservations')
    .selectAll()
    .where('pin_id', '=', pinId)
    .where('status', 'in', [...LIVE])
    .forUpdate()
    .executeTakeFirst();
}

export async function insertReservation(
  db: Executor,
  values: {
    pin_id: string;
    staff_id: string;
    station_id: string;
    quota_id: string;
    seats: string[];
    reserved_at: Date;
    expires_at: Date;
  },
): Promise<ReservationRow> {
  return db
    .insertInto('petrol_reservations')
    .values({ ...values, status: 'RESERVED' })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findReservation(
  db: Executor,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<ReservationRow | undefined> {
  let q = db.selectFrom('petrol_reservations').selectAll().where('id', '=', id);
  if (options.forUpdate) q = q.forUpdate();
  return q.executeTakeFirst();
}

export async function updateReservation(
  db: Executor,
  id: string,
  values: Updateable<PetrolReservations>,
): Promise<ReservationRow> {
  return db
    .updateTable('petrol_reservations')
    .set(values)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Live reservations past their expiry, locked, SKIP LOCKED (the release job). */
export async function lockExpiredReservations(db: Executor, now: Date, limit: number) {
  return db
    .selectFrom('petrol_reservations')
    .selectAll()
    .where('status', 'in', [...LIVE])
    .where('expires_at', '<=', now)
    .orderBy('expires_at')
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute();
}

/** Live reservations of a quota, locked (its cancellation closes them). */
export async function liveReservationsOfQuota(db: Executor, quotaId: string) {
  return db
    .selectFrom('petrol_reservations')
    .selectAll()
    .where('quota_id', '=', quotaId)
    .where('status', 'in', [...LIVE])
    .orderBy('id')
    .forUpdate()
    .execute();
}

/** A station's live reservations (its deactivation releases them). */
export async function liveReservationsOfStation(db: Executor, stationId: string) {
  return db
    .selectFrom('petrol_reservations')
    .selectAll()
    .where('station_id', '=', stationId)
    .where('status', 'in', [...LIVE])
    .orderBy('id')
    .execute();
}

/** A cashier's live reservations, soonest expiry first (the portal's poll). */
export async function liveReservationsOfStaff(db: Executor, staffId: string) {
  return db
    .selectFrom('petrol_reservations')
    .selectAll()
    .where('staff_id', '=', staffId)
    .where('status', 'in', [...LIVE])
    .orderBy('expires_at')
    .execute();
}

export async function insertSale(
  db: Executor,
  values: {
    reservation_id: string;
    order_id: string;
    payment_method: PetrolPayment;
    payment_reference: string;
    total_amount: number;
    processed_by: string;
    station_id: string;
    processed_at: Date;
  },
) {
  return db.insertInto('petrol_sales').values(values).returningAll().executeTakeFirstOrThrow();
}

/** The sale of a reservation, if any. */
export async function saleOfReservation(db: Executor, reservationId: string) {
  return db
    .selectFrom('petrol_sales')
    .selectAll()
    .where('reservation_id', '=', reservationId)
    .executeTakeFirst();
}

/** Seat numbers of inventory rows, for the cashier's screen. */
export async function seatLabels(db: Executor, inventoryIds: readonly string[]) {
  if (inventoryIds.length === 0) return [];
  const { rows } = await sql<{
    inventory_id: string;
    sector_code: string;
    row: string;
    seat_number: number;
  }>`
    SELECT i.id AS inventory_id, ms.code AS sector_code, s.row_identifier AS row, s.seat_number
      FROM match_seat_inventory i
      JOIN seats s ON s.id = i.seat_id
      JOIN match_sectors ms ON ms.id = i.match_sector_id
     WHERE i.id = ANY (${inventoryIds}::uuid[])
     ORDER BY ms.code, i.snake_order`.execute(db);
  return rows;
}
