import type { AppDeps } from '../../deps.ts';
import type { Executor } from '../../platform/db/database.ts';
import { seatDetails } from '../inventory/quota-seats.repo.ts';
import { holderEmail, ownQuota } from './quota-access.ts';
import { matchName } from './quota-links.ts';
import { listQuotaSeats, listQuotasOfRecipient, type QuotaSeatRow } from './quotas.repo.ts';
import { listSubquotasOfRecipient } from './subquotas.repo.ts';

/**
 * The quota portal's views (E7-F4): a holder's own quotas and the sub-quotas passed on to
 * them, with the ALLOCATED / RESERVED / SOLD / DELEGATED breakdown and, for numbered (REDOM)
 * allocations, the seat numbers. Everything is selected by the caller's email.
 */

type SeatView = {
  quota_seat_id: string;
  status: QuotaSeatRow['status'];
  sector_code: string;
  row: string;
  seat_number: number;
  subquota_id: string | null;
};

/** A parent's breakdown: a seat in a sub-quota counts as DELEGATED whatever became of it. */
export function parentCounts(seats: QuotaSeatRow[]) {
  const own = seats.filter((s) => s.subquota_id === null);
  const count = (status: QuotaSeatRow['status']) => own.filter((s) => s.status === status).length;
  return {
    allocated: count('ALLOCATED'),
    reserved: count('RESERVED'),
    sold: count('SOLD'),
    delegated: seats.length - own.length,
  };
}

/** A sub-quota's breakdown from its recipient's side: DELEGATED seats are theirs to claim. */
export function subquotaCounts(seats: QuotaSeatRow[]) {
  const count = (status: QuotaSeatRow['status']) => seats.filter((s) => s.status === status).length;
  return { allocated: count('DELEGATED'), reserved: count('RESERVED'), sold: count('SOLD') };
}

async function seatNumbers(db: Executor, seats: QuotaSeatRow[]): Promise<Map<string, SeatView>> {
  const details = await seatDetails(
    db,
    seats.map((s) => s.match_seat_inventory_id),
  );
  const byInventory = new Map(seats.map((s) => [s.match_seat_inventory_id, s]));
  return new Map(
    details.map((d) => {
      const s = byInventory.get(d.inventory_id)!;
      return [
        s.id,
        {
          quota_seat_id: s.id,
          status: s.status,
          sector_code: d.sector_code,
          row: d.row_identifier,
          seat_number: d.seat_number,
          subquota_id: s.subquota_id,
        },
      ];
    }),
  );
}

const inOrder = (views: Map<string, SeatView>, seats: QuotaSeatRow[]) => {
  const wanted = new Set(seats.map((s) => s.id));
  return [...views.values()].filter((v) => wanted.has(v.quota_seat_id));
};

export async function dashboard(deps: Pick<AppDeps, 'db'>, userId: string) {
  const db = deps.db;
  const email = await holderEmail(db, userId);
  const quotas = await listQuotasOfRecipient(db, email);
  const subquotas = await listSubquotasOfRecipient(db, email);
  const parentIds = [
    ...new Set([...quotas.map((q) => q.id), ...subquotas.map((s) => s.parent_quota_id)]),
  ];
  const seats = await listQuotaSeats(db, parentIds);
  const numbered = new Set([
    ...quotas.filter((q) => q.allocation_algorithm === 'REDOM').map((q) => q.id),
    ...subquotas.filter((s) => s.allocation_algorithm === 'REDOM').map((s) => s.parent_quota_id),
  ]);
  const views = await seatNumbers(
    db,
    seats.filter((s) => numbered.has(s.quota_id)),
  );
  return {
    quotas: quotas.map((q) => {
      const own = seats.filter((s) => s.quota_id === q.id);
      return {
        id: q.id,
        match: {
          id: q.match_id,
          name: matchName(q),
          kick_off_time: q.kick_off_time.toISOString(),
        },
        status: q.status,
        allocation_algorithm: q.allocation_algorithm,
        total_quantity: q.total_quantity,
        discount_percent: Number(q.discount_percent),
        expiration_date: q.expiration_date?.toISOString() ?? null,
        can_create_subquotas: q.can_create_subquotas,
        transfer_allowed: q.transfer_allowed,
        deferred_payment: q.deferred_payment,
        counts: parentCounts(own),
        seats: numbered.has(q.id) ? inOrder(views, own) : null,
      };
    }),
    subquotas: subquotas.map((sq) => {
      const own = seats.filter((s) => s.subquota_id === sq.id);
      return {
        id: sq.id,
        parent_quota_id: sq.parent_quota_id,
        match: {
          id: sq.match_id,
          name: matchName(sq),
          kick_off_time: sq.kick_off_time.toISOString(),
        },
        status: sq.status,
        quantity: sq.quantity,
        expires_at: sq.expires_at?.toISOString() ?? null,
        counts: subquotaCounts(own),
        seats: numbered.has(sq.parent_quota_id) ? inOrder(views, own) : null,
      };
    }),
  };
}

/** One of the caller's quotas, as on the dashboard (another holder's: 404). */
export async function portalQuota(deps: Pick<AppDeps, 'db'>, userId: string, quotaId: string) {
  await ownQuota(deps.db, userId, quotaId);
  const view = await dashboard(deps, userId);
  return view.quotas.find((q) => q.id === quotaId)!;
}
