import type { Tx } from '../../platform/db/database.ts';
import { AppError } from '../../platform/errors.ts';
import { pgCode } from './match-changes.ts';
import * as commitmentsRepo from './commitments.repo.ts';

/**
 * Seats committed to buyers: the checks every configuration change of the matches
 * sub-domains (price categories, stadium configuration, match sectors) runs before writing.
 */

/**
 * Refuses a change while seats of its scope are sold (TICKETS_SOLD) or held by a live cart,
 * quota-portal, petrol or order hold (SALES_STARTED): a fan holding a seat has been shown a
 * price and a sector, and must pay that price, not a new one. Expired holds do not count
 * (architecture invariant 2).
 */
export function assertNothingSoldOrHeld(rows: commitmentsRepo.InventoryCommitments[]) {
  const sold = rows.filter((r) => r.sold > 0).map((r) => r.match_sector_id);
  if (sold.length) {
    throw new AppError('TICKETS_SOLD', 'Tickets have been sold in these sectors', {
      extra: { match_sector_ids: sold },
    });
  }
  const held = rows.filter((r) => r.held > 0);
  if (held.length) {
    throw new AppError(
      'SALES_STARTED',
      'Seats of these sectors are held in carts or pending orders: the configuration their ' +
        'buyers were shown cannot change until the holds end',
      {
        extra: {
          match_sector_ids: held.map((r) => r.match_sector_id),
          held_seats: held.reduce((n, r) => n + r.held, 0),
        },
      },
    );
  }
}

/**
 * The race-free form of "refused once tickets are sold" for a change of the configuration
 * (sector pricing, status, capacities; a category's price; unlock; stadium replacement).
 * First a plain read, so that during a sale the usual answer (refused) comes with its
 * reason and without touching a row lock. Then every inventory row of the scope is locked
 * (`FOR NO KEY UPDATE NOWAIT`, see commitments.repo.ts) and checked again; the locks last
 * until the change commits, so no claim, checkout or ticket issue can slip in between the
 * check and the change: claims skip locked rows, and a row some claim is taking right now
 * answers 409 CONFLICT (retry) instead of making the change wait. `check` decides what
 * refuses the change.
 */
export async function lockUncommittedInventory(
  trx: Tx,
  scope: { matchId: string; matchSectorIds?: readonly string[] },
  now: Date,
  check: (rows: commitmentsRepo.InventoryCommitments[]) => void,
): Promise<void> {
  check(await commitmentsRepo.inventoryCommitments(trx, scope, now));
  let locked: commitmentsRepo.InventoryCommitments[];
  try {
    locked = await commitmentsRepo.inventoryCommitments(trx, scope, now, { lock: true });
  } catch (err) {
    if (pgCode(err) === '55P03') {
      throw new AppError(
        'CONFLICT',
        'Seats concerned by this change are being claimed or changed right now; try again',
        { cause: err, extra: { retryable: true } },
      );
    }
    throw err;
  }
  check(locked);
}

/** Unlock and stadium replacement: any reserved (even expired), sold or allocated seat. */

export function assertNoCommittedSeats(detail: string) {
  return (rows: commitmentsRepo.InventoryCommitments[]) => {
    if (rows.some((r) => r.reserved + r.sold + r.allocated > 0)) {
      throw new AppError('SALES_STARTED', detail);
    }
  };
}
