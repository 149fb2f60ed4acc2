import type { AppDeps } from '../../deps.ts';
import { AppError, notFound } from '../../platform/errors.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { findUserById, grantRoles, listGrantedRoles, revokeRoles } from '../identity/users.repo.ts';
import { releaseReservationsOf } from './reservations.service.ts';
import {
  assignStaff,
  deactivateStationRow,
  findStation,
  removeStaff,
  staffCount,
  insertStation,
  isStationCodeTaken,
  listStations as listRows,
  salesTotals as totalsRows,
  type StationRow,
} from './stations.repo.ts';

/**
 * Petrol stations and their cashiers (E12-F2: staff ↔ station), and the cash and card
 * totals per station and cashier (the money side: what each station owes).
 */
type Deps = Pick<AppDeps, 'db' | 'clock'>;

const stationView = (s: StationRow, staffCount: number) => ({
  id: s.id,
  code: s.code,
  name: s.name,
  address: s.address,
  is_active: s.is_active,
  created_at: s.created_at.toISOString(),
  staff_count: staffCount,
});

/** POST /admin/petrol/stations. */
export async function createStation(
  deps: Deps,
  actorId: string,
  body: { code: string; name: string; address?: string | null },
) {
  try {
    return await deps.db.transaction().execute(async (trx) => {
      const row = await insertStation(trx, {
        code: body.code.toUpperCase(),
        name: body.name,
        address: body.address ?? null,
        now: deps.clock.now(),
      });
      await recordAudit(deps, trx, {
        domain: 'petrol',
        action: 'petrol_station_created',
        actor: { type: 'user', id: actorId },
        subject: { type: 'petrol_station', id: row.id },
        changes: { code: row.code, name: row.name },
      });
      return stationView(row, 0);
    });
  } catch (err) {
    if (isStationCodeTaken(err)) throw new AppError('PETROL_STATION_CODE_TAKEN');
    throw err;
  }
}

export async function listStations(deps: Pick<AppDeps, 'db'>) {
  return { items: (await listRows(deps.db)).map((s) => stationView(s, s.staff_count)) };
}

/**
 * PUT /admin/petrol/stations/{id}/staff/{user_id}: the user becomes a cashier of the
 * station (one station per cashier) and is granted PETROL_STAFF (effective at their next
 * token refresh, like every grant).
 */
export async function assignStationStaff(
  deps: Deps,
  actorId: string,
  stationId: string,
  userId: string,
) {
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    if (!(await findStation(trx, stationId))) throw notFound('Petrol station');
    if (!(await findUserById(trx, userId))) throw notFound('User');
    await assignStaff(trx, { userId, stationId, by: actorId, now });
    await grantRoles(trx, userId, ['PETROL_STAFF'], actorId);
    await recordAudit(deps, trx, {
      domain: 'petrol',
      action: 'petrol_staff_assigned',
      actor: { type: 'user', id: actorId },
      subject: { type: 'user', id: userId },
      changes: { station_id: stationId },
    });
    return { user_id: userId, station_id: stationId, roles: await listGrantedRoles(trx, userId) };
  });
}

/**
 * POST /admin/petrol/stations/{id}/deactivate: the station's cashiers are refused at once
 * (403 `PETROL_STAFF_NO_STATION`) and its live reservations released to the quota.
 * Idempotent.
 */
export async function deactivateStation(deps: Deps, actorId: string, stationId: string) {
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const row = await deactivateStationRow(trx, stationId);
    if (!row) throw notFound('Petrol station');
    const released = await releaseReservationsOf(
      deps,
      trx,
      { stationId },
      { by: actorId, reason: 'STATION_DEACTIVATED', now },
    );
    await recordAudit(deps, trx, {
      domain: 'petrol',
      action: 'petrol_station_deactivated',
      actor: { type: 'user', id: actorId },
      subject: { type: 'petrol_station', id: stationId },
      changes: { reservations_released: released },
    });
    return {
      ...stationView(row, await staffCount(trx, stationId)),
      reservations_released: released,
    };
  });
}

/**
 * DELETE /admin/petrol/stations/{id}/staff/{user_id}: the cashier leaves the station
 * (403 `PETROL_STAFF_NO_STATION` on the portal at once), PETROL_STAFF is revoked (the
 * token keeps it until refresh; the station check refuses meanwhile), and their live
 * reservations go back to the quota. 404 if they are not a cashier of that station.
 */
export async function removeStationStaff(
  deps: Deps,
  actorId: string,
  stationId: string,
  userId: string,
) {
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    if (!(await findStation(trx, stationId))) throw notFound('Petrol station');
    if (!(await removeStaff(trx, userId, stationId))) throw notFound('Cashier of the station');
    await revokeRoles(trx, userId, ['PETROL_STAFF']);
    const released = await releaseReservationsOf(
      deps,
      trx,
      { staffId: userId },
      { by: actorId, reason: 'STAFF_REMOVED', now },
    );
    await recordAudit(deps, trx, {
      domain: 'petrol',
      action: 'petrol_staff_removed',
      actor: { type: 'user', id: actorId },
      subject: { type: 'user', id: userId },
      changes: { station_id: stationId, reservations_released: released },
    });
    return { user_id: userId, station_id: stationId, reservations_released: released };
  });
}

const zero = () => ({ cash_amount: 0, card_amount: 0, sales: 0, tickets: 0 });
type Totals = ReturnType<typeof zero>;
function add(
  into: Totals,
  row: { payment_method: string; sales: number; tickets: number; total_amount: number },
) {
  if (row.payment_method === 'CASH') into.cash_amount += row.total_amount;
  else into.card_amount += row.total_amount;
  into.sales += row.sales;
  into.tickets += row.tickets;
}

/**
 * GET /admin/petrol/sales/totals: cash and card taken in [from, to) per station and, inside
 * it, per cashier; plain sums of petrol_sales rows (one REPEATABLE READ snapshot).
 */
export async function salesTotals(
  deps: Pick<AppDeps, 'db'>,
  query: { from: string; to: string; match_id?: string; station_id?: string },
) {
  const rows = await deps.db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute((trx) =>
      totalsRows(trx, {
        from: new Date(query.from),
        to: new Date(query.to),
        matchId: query.match_id,
        stationId: query.station_id,
      }),
    );
  const stations = new Map<
    string,
    Totals & {
      station_id: string;
      station_code: string;
      station_name: string;
      staff: Map<string, Totals & { staff_id: string; staff_email: string }>;
    }
  >();
  const totals = zero();
  for (const row of rows) {
    let station = stations.get(row.station_id);
    if (!station) {
      station = {
        station_id: row.station_id,
        station_code: row.station_code,
        station_name: row.station_name,
        ...zero(),
        staff: new Map(),
      };
      stations.set(row.station_id, station);
    }
    let staff = station.staff.get(row.staff_id);
    if (!staff) {
      staff = { staff_id: row.staff_id, staff_email: row.staff_email, ...zero() };
      station.staff.set(row.staff_id, staff);
    }
    add(staff, row);
    add(station, row);
    add(totals, row);
  }
  return {
    from: new Date(query.from).toISOString(),
    to: new Date(query.to).toISOString(),
    stations: [...stations.values()].map((s) => ({ ...s, staff: [...s.staff.values()] })),
    totals,
  };
}
