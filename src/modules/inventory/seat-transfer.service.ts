import type { AppDeps } from '../../deps.ts';
import type { Tx } from '../../platform/db/database.ts';
import type { FreeSeat } from '../sales/seat-runs.ts';
import { invalidateSummary } from './inventory-changes.ts';
import * as repo from './seat-transfer.repo.ts';

/**
 * The seat state of a sector-to-sector transfer (E3-F6), for the tickets module's use case:
 * inventory owns seat statuses, so the transfer asks here, inside its own transaction.
 */

export type { SeatMove } from './seat-transfer.repo.ts';

/** Locks and returns the destination sector's free seats (see the repo on concurrency). */
export const lockFreeSeats = (trx: Tx, matchSectorId: string, now: Date): Promise<FreeSeat[]> =>
  repo.lockClaimableSeats(trx, matchSectorId, now);

/**
 * Moves the seat state: destination seats SOLD for their tickets, the seats the tickets
 * left BLOCKED, every one in seat_audit_logs with the transfer's id. Throws (the caller's
 * transaction rolls back) when a seat was not in the state the plan was made on.
 */
export async function moveSeats(
  trx: Tx,
  moves: { from: repo.SeatMove[]; to: repo.SeatMove[] },
  t: { transferId: string; reason: string; actorId: string | null; now: Date },
): Promise<void> {
  const taken = await repo.occupySeats(trx, moves.to, t);
  const blocked = await repo.blockVacatedSeats(trx, moves.from, t);
  if (taken !== moves.to.length || blocked !== moves.from.length) {
    throw new Error(
      `sector transfer: ${taken}/${moves.to.length} seats taken, ${blocked}/${moves.from.length} blocked`,
    );
  }
}

/** After the commit: the status summary of the match is stale. */
export const seatsMoved = (deps: Pick<AppDeps, 'redis' | 'logger'>, matchId: string) =>
  invalidateSummary(deps, matchId);
