import type { AppDeps } from '../../deps.ts';
import type { Tx } from '../../platform/db/database.ts';
import { AppError, notFound } from '../../platform/errors.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { lockFreeSeats, moveSeats, seatsMoved } from '../inventory/seat-transfer.service.ts';
import { localeOfNationality } from '../matches/matches.rules.ts';
import {
  sendEmails,
  sendPushes,
  type EmailRequest,
  type PushRequest,
} from '../notifications/notify.ts';
import type { FreeSeat } from '../sales/seat-runs.ts';
import * as repo from './sector-transfer.repo.ts';
import { planSectorTransfer } from './sector-transfer.rules.ts';
import type { SectorTransferBody, SectorTransferOut } from './sector-transfer.schemas.ts';
import { barcodesForNewTickets } from '../access-control/extra-codes.service.ts';
import { generateBarcode, getTicketSigner } from './ticket-codes.ts';
import { announceTicketsChanged } from './ticket-events.ts';

/**
 * POST /admin/tickets/sector-transfer (E3-F6): moves the valid tickets of source seats (or
 * a whole source sector) to a destination sector of the same match, in one transaction:
 * the tickets are locked, the destination's free seats locked (inventory), the seats
 * planned with the snake (each order together where the destination allows), then each
 * ticket gets its new seat, a new barcode and a new signed QR (the old ones no longer
 * verify as any ticket), the destination seats become SOLD and the seats left BLOCKED
 * (inventory, audited in seat_audit_logs), and the holders are told. All or nothing: a
 * destination with too few free seats moves nothing and says how many are missing. A dry
 * run answers the same plan and writes nothing. Ticket statuses do not change.
 */

type Deps = Pick<AppDeps, 'db' | 'clock' | 'config' | 'jobs' | 'redis' | 'logger'>;

export interface Actor {
  userId: string;
  context?: Record<string, unknown>;
}

const invalid = (field: string, message: string) =>
  new AppError('VALIDATION_FAILED', message, { errors: [{ field, message }] });

export async function transferSector(
  deps: Deps,
  actor: Actor,
  body: SectorTransferBody,
): Promise<SectorTransferOut> {
  const now = deps.clock.now();
  const out = await deps.db.transaction().execute(async (trx) => {
    const destination = await repo.findMatchSector(
      trx,
      body.match_id,
      body.destination_match_sector_id,
    );
    if (!destination) throw notFound('Destination sector');
    if (!destination.is_numbered) {
      throw invalid('body.destination_match_sector_id', 'the sector has no numbered seats');
    }
    if (body.source_match_sector_id) {
      if (!(await repo.findMatchSector(trx, body.match_id, body.source_match_sector_id))) {
        throw notFound('Source sector');
      }
      if (body.source_match_sector_id === destination.id) {
        throw invalid('body.destination_match_sector_id', 'is the source sector');
      }
    }
    const moving = await repo.lockTicketsToMove(trx, body.match_id, {
      seatIds: body.source_seat_ids,
      matchSectorId: body.source_match_sector_id,
    });
    if (moving.some((t) => t.match_sector_id === destination.id)) {
      throw invalid('body.source_seat_ids', 'a source seat is in the destination sector');
    }
    if (moving.length === 0) {
      throw new AppError('SECTOR_TRANSFER_NOTHING_TO_MOVE', 'No valid ticket sits there');
    }

    const free = await lockFreeSeats(trx, destination.id, now);
    const plan = planSectorTransfer(
      moving.map((t) => ({ id: t.id, order_id: t.order_id, source_order: t.snake_order })),
      free,
    );
    if (plan.missing > 0) {
      throw new AppError(
        'SECTOR_TRANSFER_NO_ROOM',
        `The destination has ${free.length} free seats for ${moving.length} tickets: ${plan.missing} missing`,
        { extra: { needed: moving.length, available: free.length, missing: plan.missing } },
      );
    }
    const labels = await repo.seatLabels(trx, [
      ...moving.map((t) => t.match_seat_inventory_id),
      ...[...plan.seats.values()].map((s) => s.id),
    ]);
    const label = (id: string) => {
      const l = labels.get(id)!;
      return {
        inventory_id: id,
        sector_code: l.sector_code,
        row: l.row_identifier,
        seat_number: l.seat_number,
      };
    };
    const moves = moving.map((t) => ({
      ticket: t,
      to: plan.seats.get(t.id)!,
    }));
    const result: SectorTransferOut = {
      dry_run: body.dry_run,
      sector_transfer_id: null,
      match_id: body.match_id,
      destination_match_sector_id: destination.id,
      tickets: moving.length,
      orders: plan.orders,
      orders_split: plan.ordersSplit,
      moves: moves.map((m) => ({
        ticket_id: m.ticket.id,
        order_id: m.ticket.order_id,
        from: label(m.ticket.match_seat_inventory_id),
        to: label(m.to.id),
      })),
    };
    // A dry run has read and locked only: committing it writes nothing.
    if (body.dry_run) return result;

    const sources = new Set(moving.map((t) => t.match_sector_id));
    const transferId = await repo.insertSectorTransfer(trx, {
      match_id: body.match_id,
      from_match_sector_id: sources.size === 1 ? [...sources][0]! : null,
      to_match_sector_id: destination.id,
      tickets_moved: moving.length,
      orders_split: plan.ordersSplit,
      reason: body.reason,
      performed_by: actor.userId,
      created_at: now,
    });
    await reissue(deps, trx, body.match_id, moves);
    const seatMove = (t: repo.TicketToMove, inventoryId: string) => ({
      inventory_id: inventoryId,
      ticket_id: t.id,
      order_id: t.order_id,
    });
    await moveSeats(
      trx,
      {
        from: moves.map((m) => seatMove(m.ticket, m.ticket.match_seat_inventory_id)),
        to: moves.map((m) => seatMove(m.ticket, m.to.id)),
      },
      { transferId, reason: body.reason, actorId: actor.userId, now },
    );
    await notifyHolders(deps, trx, body.match_id, result);
    await recordAudit(deps, trx, {
      domain: 'ticket',
      action: 'tickets_sector_transferred',
      actor: { type: 'user', id: actor.userId },
      subject: { type: 'match', id: body.match_id },
      changes: {
        sector_transfer_id: transferId,
        destination_match_sector_id: destination.id,
        reason: body.reason,
        tickets: moving.length,
        orders_split: plan.ordersSplit,
        moves: result.moves.map((m) => ({
          ticket_id: m.ticket_id,
          from: m.from.inventory_id,
          to: m.to.inventory_id,
        })),
      },
      context: actor.context,
    });
    return { ...result, sector_transfer_id: transferId };
  });
  if (!out.dry_run) await seatsMoved(deps, body.match_id);
  return out;
}

/** New seat, barcode and signed QR for every moved ticket (as a holder transfer re-issues). */
async function reissue(
  deps: Deps,
  trx: Tx,
  matchId: string,
  moves: { ticket: repo.TicketToMove; to: FreeSeat }[],
) {
  const signer = getTicketSigner(deps.config);
  // After the turnstile export a moved ticket takes one of the match's extra codes, so the
  // gates already know it (access-control).
  const barcodes = await barcodesForNewTickets(
    deps,
    trx,
    matchId,
    moves.map((m) => m.ticket.id),
    generateBarcode,
  );
  const rows = moves.map((m) => {
    const barcode = barcodes.get(m.ticket.id)!;
    return {
      ticketId: m.ticket.id,
      inventoryId: m.to.id,
      barcode,
      qr: signer.qrPayload({ id: m.ticket.id, matchId, barcode }),
    };
  });
  if ((await repo.moveTickets(trx, rows)) !== rows.length) {
    throw new Error('sector transfer: a locked ticket did not move');
  }
  // Passes in wallets (E9-F4) get the new seat and QR, once this transaction commits.
  await announceTicketsChanged(
    deps,
    trx,
    rows.map((r) => r.ticketId),
    'MOVED',
  );
}

/**
 * One email per person (the account a ticket is in, and a named holder with another email)
 * listing their moved seats, in their language, and one push per account. Batched.
 */
async function notifyHolders(deps: Deps, trx: Tx, matchId: string, result: SectorTransferOut) {
  const matchName = (await repo.matchName(trx, matchId)) ?? '';
  const byTicket = new Map(result.moves.map((m) => [m.ticket_id, m]));
  const people = new Map<
    string,
    { name: string; nationality: string | null; userId: string | null; tickets: Set<string> }
  >();
  const add = (
    email: string,
    name: string | null,
    nationality: string | null,
    userId: string | null,
    ticketId: string,
  ) => {
    const key = email.toLowerCase();
    const p = people.get(key) ?? { name: name ?? key, nationality, userId, tickets: new Set() };
    p.userId ??= userId;
    p.tickets.add(ticketId);
    people.set(key, p);
  };
  for (const row of await repo.peopleOfTickets(trx, [...byTicket.keys()])) {
    add(row.user_email, row.user_name, row.user_nationality, row.user_id, row.ticket_id);
    if (row.holder_email) {
      add(row.holder_email, row.holder_name, row.holder_nationality, null, row.ticket_id);
    }
  }
  const seat = (s: SectorTransferOut['moves'][number]['from']) =>
    `${s.sector_code} ${s.row}-${s.seat_number}`;
  const emails: EmailRequest[] = [];
  const pushes: PushRequest[] = [];
  for (const [email, p] of people) {
    const locale = localeOfNationality(p.nationality);
    const changes = [...p.tickets]
      .map((id) => byTicket.get(id)!)
      .map((m) => `${seat(m.from)} → ${seat(m.to)}`)
      .join(', ');
    emails.push({
      template_key: 'ticket_seat_changed',
      to: email,
      locale,
      variables: {
        customer_name: p.name,
        match_name: matchName,
        seat_changes: changes,
        ticket_count: p.tickets.size,
        tickets_url: `${deps.config.PUBLIC_BASE_URL}/tickets`,
      },
    });
    if (p.userId) {
      pushes.push({
        user_id: p.userId,
        notification_type: 'ticket_seat_changed',
        title: locale === 'hr' ? `Nova sjedala: ${matchName}` : `New seats: ${matchName}`,
        body: changes,
        data: { match_id: matchId, deeplink: 'hns://tickets' },
        priority: 'HIGH',
      });
    }
  }
  await sendEmails(deps, trx, emails);
  await sendPushes(deps, trx, pushes);
}
