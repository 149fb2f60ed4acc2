import { sql, type Selectable } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type { PetrolStations } from '../../platform/db/types.generated.ts';

/** SQL of petrol stations, their cashiers, and the cash/card totals of their sales. */

export type StationRow = Selectable<PetrolStations>;

export const isStationCodeTaken = (err: unknown) =>
  (err as { code?: string; constraint?: string }).code === '23505' &&
  (err as { constraint?: string }).constraint === 'petrol_stations_code_key';

export async function insertStation(
  db: Executor,
  values: { code: string; name: string; address: string | null; now: Date },
): Promise<StationRow> {
  return db
    .insertInto('petrol_stations')
    .values({
      code: values.code,
      name: values.name,
      address: values.address,
      created_at: values.now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findStation(db: Executor, id: string): Promise<StationRow | undefined> {
  return db.selectFrom('petrol_stations').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listStations(db: Executor) {
  const { rows } = await sql<StationRow & { staff_count: number }>`
    SELECT s.*, (SELECT count(*)::int FROM petrol_staff p WHERE p.station_id = s.id) AS staff_count
      FROM petrol_stations s ORDER BY s.code`.execute(db);
  return rows;
}

/** Assigns a cashier to a station (one station per cashier: a new one replaces the old). */
export async function assignStaff(
  db: Executor,
  values: { userId: string; stationId: string; by: string; now: Date },
): Promise<void> {
  await db
    .insertInto('petrol_staff')
    .values({
      user_id: values.userId,
      station_id: values.stationId,
      assigned_by: values.by,
      assigned_at: values.now,
    })
    .onConflict((oc) =>
      oc.column('user_id').doUpdateSet({
        station_id: values.stationId,
        assigned_by: values.by,
        assigned_at: values.now,
      }),
    )
    .execute();
}

/** Deactivates a station (its cashiers are refused at once); the row, or none if unknown. */
export async function deactivateStationRow(
  db: Executor,
  id: string,
): Promise<StationRow | undefined> {
  return db
    .updateTable('petrol_stations')
    .set({ is_active: false })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

export async function staffCount(db: Executor, stationId: string): Promise<number> {
  const row = await db
    .selectFrom('petrol_staff')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('station_id', '=', stationId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Removes a cashier from a station; false if they were not its cashier. */
export async function removeStaff(db: Executor, userId: string, stationId: string) {
  const result = await db
    .deleteFrom('petrol_staff')
    .where('user_id', '=', userId)
    .where('station_id', '=', stationId)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** The station a cashier works at (active stations only). */
export async function stationOfStaff(db: Executor, userId: string) {
  return db
    .selectFrom('petrol_staff as p')
    .innerJoin('petrol_stations as s', 's.id', 'p.station_id')
    .select(['s.id', 's.code', 's.name'])
    .where('p.user_id', '=', userId)
    .where('s.is_active', '=', true)
    .executeTakeFirst();
}

export interface SalesTotalRow {
  station_id: string;
  station_code: string;
  station_name: string;
  staff_id: string;
  staff_email: string;
  payment_method: 'CASH' | 'CARD';
  sales: number;
  tickets: number;
  total_amount: number;
}

/** Petrol sales in [from, to) summed per station, cashier and payment method. */
export async function salesTotals(
  db: Executor,
  filter: { from: Date; to: Date; matchId?: string; stationId?: string },
): Promise<SalesTotalRow[]> {
  const { rows } = await sql<SalesTotalRow>`
    SELECT s.station_id, st.code AS station_code, st.name AS station_name,
           s.processed_by AS staff_id, u.email AS staff_email,
           s.payment_method::text AS payment_method,
           count(*)::int AS sales,
           sum(cardinality(r.seats))::int AS tickets,
           sum(s.total_amount)::int AS total_amount
      FROM petrol_sales s
      JOIN petrol_stations st ON st.id = s.station_id
      JOIN users u ON u.id = s.processed_by
      JOIN petrol_reservations r ON r.id = s.reservation_id
      JOIN orders o ON o.id = s.order_id
     WHERE s.processed_at >= ${filter.from} AND s.processed_at < ${filter.to}
       AND (${filter.matchId ?? null}::uuid IS NULL OR o.match_id = ${filter.matchId ?? null}::uuid)
       AND (${filter.stationId ?? null}::uuid IS NULL OR s.station_id = ${filter.stationId ?? null}::uuid)
     GROUP BY s.station_id, st.code, st.name, s.processed_by, u.email, s.payment_method
     ORDER BY st.code, u.email, s.payment_method`.execute(db);
  return rows;
}
