import type { AppDeps } from '../../deps.ts';
import type { Executor } from '../../platform/db/database.ts';
import { insertFallbacks, releaseTicketCodes, takeExtraCodes } from './extra-codes.repo.ts';

/**
 * Extra codes in use (E2-F8): a ticket issued after the match's barcodes went to the gates
 * (a late sale, a transfer, a sector move, an emergency reprint) takes one of the match's
 * unused extra codes as its barcode, so the gates already know it. Called by the tickets
 * module wherever it gives a ticket a barcode, in that transaction.
 */

/**
 * The barcodes for tickets of `matchId` being issued now: an extra code each while the
 * match has been exported and codes are left, else `draw()`. A ticket that needed an extra
 * code and found none gets the drawn barcode, recorded as a fallback: the admin sees that
 * a new export is needed (GET /admin/matches/{id}/access-control-export/status).
 */
export async function barcodesForNewTickets(
  deps: Pick<AppDeps, 'clock'>,
  trx: Executor,
  matchId: string,
  ticketIds: readonly string[],
  draw: () => string,
): Promise<Map<string, string>> {
  const now = deps.clock.now();
  const { exported, taken } = await takeExtraCodes(trx, { matchId, ticketIds, now });
  const barcodes = new Map(taken.map((t) => [t.ticket_id, t.barcode]));
  const fallbacks: Array<{ id: string; barcode: string }> = [];
  for (const id of ticketIds) {
    if (barcodes.has(id)) continue;
    const barcode = draw();
    barcodes.set(id, barcode);
    if (exported) fallbacks.push({ id, barcode });
  }
  if (fallbacks.length > 0) {
    await insertFallbacks(trx, matchId, fallbacks, now);
  }
  return barcodes;
}

/**
 * Gives back what barcodesForNewTickets took for tickets that were not issued after all
 * (the order's seats went to someone else): their extra codes are unused again and their
 * fallbacks gone, in the same transaction.
 */
export async function releaseBarcodes(trx: Executor, ticketIds: readonly string[]) {
  await releaseTicketCodes(trx, ticketIds);
}
