import type { AppDeps } from '../../deps.ts';
import { AppError } from '../../platform/errors.ts';
import { SEAT_STATUSES, type SeatStatus } from '../inventory/seat-status.ts';
import { queueAdminView, type QueueDeps } from '../queue/queue.service.ts';
import * as repo from './dashboard.repo.ts';
import type { DashboardSnapshot } from './dashboard.schemas.ts';
import { reportReader } from './report-reader.ts';
import { successRate } from './reports.rules.ts';

/**
 * The match dashboard's figures (E14-F2), computed in one go: two statements of this
 * module, and the waiting room's admin view (queue module, PostgreSQL + Redis).
 */

export type DashboardDeps = QueueDeps & Pick<AppDeps, 'pool'>;

const zeroCounts = () =>
  Object.fromEntries(SEAT_STATUSES.map((s) => [s, 0])) as Record<SeatStatus, number>;
const zeroReserved = () => ({ carts: 0, orders: 0, quota: 0, petrol: 0, total: 0 });
type Reserved = ReturnType<typeof zeroReserved>;

function addSeats(
  counts: Record<SeatStatus, number>,
  reserved: Reserved,
  row: repo.SectorCountRow,
) {
  if (!row.status) return;
  counts[row.status] += row.n;
  if (row.status === 'ALLOCATED') reserved.quota += row.n;
  if (row.status === 'RESERVED') {
    const kind = row.hold_kind ?? 'CART';
    if (kind === 'CART') reserved.carts += row.n;
    else if (kind === 'ORDER') reserved.orders += row.n;
    else if (kind === 'QUOTA') reserved.quota += row.n;
    else reserved.petrol += row.n;
  }
  if (row.status === 'RESERVED' || row.status === 'ALLOCATED') reserved.total += row.n;
}

export async function findMatchOrThrow(
  deps: Pick<AppDeps, 'db' | 'pool' | 'config'>,
  matchId: string,
) {
  const match = await repo.findDashboardMatch(reportReader(deps).db, matchId);
  if (!match) throw new AppError('MATCH_NOT_FOUND', `No match with id ${matchId}`);
  return match;
}

/** GET /admin/dashboard/match/{id} and each live push. */
export async function dashboardSnapshot(
  deps: DashboardDeps,
  matchId: string,
): Promise<DashboardSnapshot> {
  const { db } = reportReader(deps);
  const now = deps.clock.now();
  const match = await findMatchOrThrow(deps, matchId);
  const [rows, sales, queue] = await Promise.all([
    repo.sectorCounts(db, matchId, now),
    repo.salesFigures(db, matchId, now),
    queueAdminView(deps, matchId),
  ]);
  const byStatus = zeroCounts();
  const reserved = zeroReserved();
  const sectors = new Map<string, DashboardSnapshot['sectors'][number]>();
  for (const row of rows) {
    let sector = sectors.get(row.match_sector_id);
    if (!sector) {
      sector = {
        match_sector_id: row.match_sector_id,
        code: row.code,
        name: row.name,
        seats: 0,
        counts: zeroCounts(),
        reserved: zeroReserved(),
      };
      sectors.set(row.match_sector_id, sector);
    }
    if (!row.status) continue;
    sector.seats += row.n;
    addSeats(sector.counts, sector.reserved, row);
    addSeats(byStatus, reserved, row);
  }
  const seats = Object.values(byStatus).reduce((a, b) => a + b, 0);
  const decided = sales.payments_succeeded + sales.payments_failed;
  return {
    match_id: matchId,
    computed_at: now.toISOString(),
    match: {
      home_team: match.home_team,
      away_team: match.away_team,
      kick_off_time: match.kick_off_time.toISOString(),
      status: match.status,
    },
    totals: {
      seats,
      sold: byStatus.SOLD,
      available: byStatus.AVAILABLE,
      reserved,
      other: seats - byStatus.SOLD - byStatus.AVAILABLE - byStatus.RESERVED - byStatus.ALLOCATED,
      revenue: sales.revenue,
      refunded: sales.refunded,
      orders_completed: sales.orders_completed,
    },
    by_status: byStatus,
    sectors: [...sectors.values()],
    pace: {
      orders_per_minute: Math.round((sales.orders_last_5_min / 5) * 10) / 10,
      last_hour: sales.per_minute,
    },
    payments: {
      succeeded: sales.payments_succeeded,
      failed: sales.payments_failed,
      success_rate: successRate(sales.payments_succeeded, sales.payments_failed),
      failure_rate:
        decided === 0 ? null : Math.round((sales.payments_failed / decided) * 10_000) / 10_000,
      last_15_minutes: {
        succeeded: sales.recent_succeeded,
        failed: sales.recent_failed,
        success_rate: successRate(sales.recent_succeeded, sales.recent_failed),
      },
    },
    queue: {
      enabled: queue.settings.enabled,
      open: queue.open,
      waiting: queue.counts.waiting,
      active: queue.counts.active,
      admitted_per_minute: queue.admitted_per_minute,
      total_admitted: queue.total_admitted,
    },
  };
}
