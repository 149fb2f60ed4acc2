import type { AppDeps } from '../../deps.ts';
import type { Executor } from '../../platform/db/database.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { releaseQuotaHold } from '../inventory/quota-seats.repo.ts';
import { unreservePetrolQuotaSeats } from './petrol-quotas.repo.ts';
import { updateReservation, type ReservationRow } from './reservations.repo.ts';

/** The step every end of an unsold reservation shares (job, lookup, cancel, new PIN, quota cancel). */

/**
 * Gives a live reservation's seats back to the petrol quota and closes it (EXPIRED or
 * CANCELLED), in the caller's transaction.
 */
export async function releaseReservation(
  deps: Pick<AppDeps, 'clock'>,
  trx: Executor,
  reservation: ReservationRow,
  input: { status: 'EXPIRED' | 'CANCELLED'; by: string | null; reason: string; now: Date },
) {
  await releaseQuotaHold(trx, {
    ownerId: reservation.id,
    reason: `petrol reservation ${input.status.toLowerCase()}`,
    by: input.by,
    now: input.now,
  });
  await unreservePetrolQuotaSeats(trx, reservation.quota_id, reservation.seats);
  const closed = await updateReservation(trx, reservation.id, {
    status: input.status,
    cancelled_at: input.now,
    cancelled_by: input.by,
    cancellation_reason: input.reason,
  });
  await recordAudit(deps, trx, {
    domain: 'petrol',
    action:
      input.status === 'EXPIRED' ? 'petrol_reservation_expired' : 'petrol_reservation_cancelled',
    actor: input.by ? { type: 'user', id: input.by } : { type: 'system' },
    subject: { type: 'petrol_reservation', id: reservation.id },
    changes: { pin_id: reservation.pin_id, seats: reservation.seats.length, reason: input.reason },
  });
  return closed;
}
