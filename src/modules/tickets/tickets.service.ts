import { randomUUID } from 'node:crypto';
import QRCode from 'qrcode';
import type { AppDeps } from '../../deps.ts';
import { getPiiCipher, maskLast4 } from '../../platform/crypto.ts';
import type { Executor } from '../../platform/db/database.ts';
import { AppError, notFound } from '../../platform/errors.ts';
import { barcodesForNewTickets, releaseBarcodes } from '../access-control/extra-codes.service.ts';
import { ISSUED_TICKET_STATUS } from '../sales/order-state.ts';
import type { OrderItemRow, OrderRow } from '../sales/orders.repo.ts';
import { generateBarcode, getTicketSigner } from './ticket-codes.ts';
import { ticketVisibility, type TicketVisibility } from './tickets.rules.ts';
import {
  findOwnedTicket,
  findTicket,
  hasTicketOfOrder,
  insertSoldTickets,
  listOwnedTickets,
  listTicketsOfOrder,
  listValidTicketsOfMatch,
  sellSeatsIssuingTickets,
  setExternalTicket,
  type NewTicket,
} from './tickets.repo.ts';

/**
 * Tickets (E4-F8, E9-F1): issued in the payment webhook's transaction, one per order line,
 * each with a random UUID, a unique random barcode and a signed QR payload; the holder is
 * copied from the order line with the OIB still encrypted. The sale of the order's seats
 * writes all its tickets, their holders and the seat trail in the same statement.
 */
export async function sellAndIssueOrderTickets(
  deps: Pick<AppDeps, 'config' | 'clock'>,
  trx: Executor,
  order: OrderRow,
  items: OrderItemRow[],
  now: Date,
): Promise<Array<{ id: string; barcode: string; inventory_id: string }> | undefined> {
  const signer = getTicketSigner(deps.config);
  const issued = items.map((item) => ({ id: randomUUID(), barcode: '', item }));
  const draw = (pending: typeof issued): NewTicket[] =>
    pending.map((x) => {
      x.barcode = generateBarcode();
      return newTicket(signer, order, x.item, x.id, x.barcode, now);
    });
  // A sale after the turnstile export takes the match's extra codes (access-control).
  const first = await barcodesForNewTickets(
    deps,
    trx,
    order.match_id,
    issued.map((x) => x.id),
    generateBarcode,
  );
  const sold = await sellSeatsIssuingTickets(trx, {
    orderId: order.id,
    userId: order.user_id,
    now,
    tickets: issued.map((x) => {
      x.barcode = first.get(x.id)!;
      return newTicket(signer, order, x.item, x.id, x.barcode, now);
    }),
  });
  // All or nothing: a seat that went to someone else leaves the order unsold (and no ticket).
  if (sold.length !== items.length) {
    await releaseBarcodes(
      trx,
      issued.map((x) => x.id),
    );
    return undefined;
  }
  // A barcode collision (1 in ~10^17 per pair) only costs another draw, and another
  // statement, for the tickets concerned.
  const inserted = new Set(sold.map((s) => s.ticket_id));
  for (let pending = issued.filter((x) => !inserted.has(x.id)); pending.length > 0;) {
    const again = new Set(
      await insertSoldTickets(trx, {
        tickets: draw(pending),
        sold,
        userId: order.user_id,
        now,
      }),
    );
    pending = pending.filter((x) => !again.has(x.id));
  }
  return issued.map(({ id, barcode, item }) => ({
    id,
    barcode,
    inventory_id: item.match_seat_inventory_id,
  }));
}

function newTicket(
  signer: ReturnType<typeof getTicketSigner>,
  order: OrderRow,
  item: OrderItemRow,
  id: string,
  barcode: string,
  now: Date,
): NewTicket {
  return {
    ticket: {
      id,
      // the issue instant by the app's clock: the QR notice compares it with the QR opening
      created_at: now,
      order_id: order.id,
      match_id: order.match_id,
      match_seat_inventory_id: item.match_seat_inventory_id,
      owner_user_id: order.user_id,
      barcode,
      qr_code_data: signer.qrPayload({ id, matchId: order.match_id, barcode }),
      status: ISSUED_TICKET_STATUS,
      price_amount: item.unit_price,
      fee_amount: item.fee_amount,
    },
    holder: {
      full_name: item.holder_full_name,
      date_of_birth: item.holder_date_of_birth,
      nationality: item.holder_nationality,
      oib_encrypted: item.holder_oib_encrypted,
      oib_blind_index: item.holder_oib_blind_index,
      passport_encrypted: item.holder_passport_encrypted,
      email: item.holder_email,
      phone: item.holder_phone,
      is_minor: item.holder_is_minor,
      source: item.holder_source,
    },
  };
}

type Row = NonNullable<Awaited<ReturnType<typeof findOwnedTicket>>>;

/**
 * The ticket as its owner sees it at `now` (E9-F2): the seat from 4 days before kick-off,
 * barcode and QR payload from 5 hours before (tickets.rules.ts); hidden fields are null and
 * `visibility` says when they appear.
 */
function ticketView(deps: Pick<AppDeps, 'config'>, row: Row, now: Date) {
  const pii = getPiiCipher(deps.config);
  const shown = ticketVisibility(row.kick_off_time, now, row.status);
  return {
    id: row.id,
    order_id: row.order_id,
    order_number: row.order_number,
    match: {
      id: row.match_id,
      home_team: row.home_team,
      away_team: row.away_team,
      competition: row.competition,
      kick_off_time: row.kick_off_time.toISOString(),
    },
    seat: shown.seat ? seatOf(row) : null,
    status: row.status,
    // Admitted by the host federation's PDF (E9-F6): our codes would not open their gates.
    barcode: shown.codes && !row.external_ticket_required ? row.barcode : null,
    qr_code_data: shown.codes && !row.external_ticket_required ? row.qr_code_data : null,
    visibility: visibilityView(shown),
    external_ticket_required: row.external_ticket_required,
    external_pdf_url: row.external_pdf_url,
    price_amount: row.price_amount,
    fee_amount: row.fee_amount,
    transfer_allowed: row.transfer_allowed,
    holder: row.holder_name
      ? {
          full_name: row.holder_name,
          is_minor: !!row.holder_is_minor,
          oib_masked: row.holder_oib_encrypted
            ? maskLast4(pii.decrypt(row.holder_oib_encrypted))
            : null,
        }
      : null,
    created_at: row.created_at.toISOString(),
  };
}

/** A ticket's seat as every view shows it. */
export function seatOf(row: {
  sector_code: string;
  sector_name: string;
  row_identifier: string;
  seat_number: number;
}) {
  return {
    sector_code: row.sector_code,
    sector_name: row.sector_name,
    row: row.row_identifier,
    seat_number: row.seat_number,
  };
}

export function visibilityView(shown: TicketVisibility) {
  return {
    tier: shown.tier,
    seat_visible_at: shown.seat_visible_at.toISOString(),
    qr_opens_at: shown.qr_opens_at.toISOString(),
  };
}

export type TicketView = ReturnType<typeof ticketView>;

export async function listMyTickets(
  deps: Pick<AppDeps, 'db' | 'config' | 'clock'>,
  userId: string,
) {
  const rows = await listOwnedTickets(deps.db, userId);
  const now = deps.clock.now();
  return { items: rows.map((r) => ticketView(deps, r, now)) };
}

/**
 * An order's tickets as its buyer sees them in the order details (E9-F7): status, holder,
 * prices and the seat per the tier (E9-F2), never barcode or QR (those are the owner's, on
 * GET /tickets/{id}), and whether the buyer still owns each one.
 */
export async function orderTicketViews(
  deps: Pick<AppDeps, 'db' | 'clock'>,
  order: { id: string; user_id: string },
) {
  const rows = await listTicketsOfOrder(deps.db, order.id);
  const now = deps.clock.now();
  return rows.map((row) => {
    const shown = ticketVisibility(row.kick_off_time, now, row.status);
    return {
      id: row.id,
      status: row.status,
      seat: shown.seat ? seatOf(row) : null,
      holder_name: row.holder_name,
      price_amount: row.price_amount,
      fee_amount: row.fee_amount,
      owned_by_buyer: row.owner_user_id === order.user_id,
      visibility: visibilityView(shown),
    };
  });
}

/** Whether the user owns or is the named holder of one of the order's tickets. */
export async function holdsTicketOfOrder(
  deps: Pick<AppDeps, 'db'>,
  orderId: string,
  userId: string,
): Promise<boolean> {
  return hasTicketOfOrder(deps.db, orderId, userId);
}

async function ownedTicket(deps: Pick<AppDeps, 'db'>, userId: string, ticketId: string) {
  const row = await findOwnedTicket(deps.db, userId, ticketId);
  if (!row) throw notFound('Ticket');
  return row;
}

/** A fan's own ticket; another fan's id answers 404 like a missing one. */
export async function getMyTicket(
  deps: Pick<AppDeps, 'db' | 'config' | 'clock'>,
  userId: string,
  ticketId: string,
): Promise<TicketView> {
  return ticketView(deps, await ownedTicket(deps, userId, ticketId), deps.clock.now());
}

/**
 * The ticket's QR code as PNG or SVG, encoding the signed payload: only from 5 hours before
 * kick-off (403 QR_NOT_YET_AVAILABLE with `opens_at`) and only for a ticket that still
 * admits (409 TICKET_NOT_VALID).
 */
export async function renderTicketQr(
  deps: Pick<AppDeps, 'db' | 'clock'>,
  userId: string,
  ticketId: string,
  format: 'png' | 'svg',
): Promise<{ contentType: string; body: Buffer | string }> {
  const ticket = await ownedTicket(deps, userId, ticketId);
  const shown = ticketVisibility(ticket.kick_off_time, deps.clock.now(), ticket.status);
  if (shown.tier !== 'FULL') {
    throw new AppError(
      'QR_NOT_YET_AVAILABLE',
      'The QR code is shown from 5 hours before kick-off',
      {
        extra: { opens_at: shown.qr_opens_at.toISOString() },
      },
    );
  }
  if (!shown.codes) throw new AppError('TICKET_NOT_VALID', `The ticket is ${ticket.status}`);
  if (ticket.external_ticket_required) throw new AppError('EXTERNAL_TICKET_REQUIRED');
  const options = { errorCorrectionLevel: 'M' as const, margin: 4 };
  return format === 'svg'
    ? {
        contentType: 'image/svg+xml',
        body: await QRCode.toString(ticket.qr_code_data, { ...options, type: 'svg' }),
      }
    : {
        contentType: 'image/png',
        body: await QRCode.toBuffer(ticket.qr_code_data, { ...options, type: 'png', width: 400 }),
      };
}

/**
 * A ticket as a wallet pass shows it (E9-F4) at `now`: the fan's view (seat and codes per
 * the tier of E9-F2, codes hidden for host-PDF tickets) plus its owner and the stadium;
 * undefined when there is no such ticket. The caller checks the owner.
 */
export async function getTicketForWallet(
  deps: Pick<AppDeps, 'db' | 'config' | 'clock'>,
  ticketId: string,
) {
  const row = await findTicket(deps.db, ticketId);
  return row ? walletTicket(deps, row, deps.clock.now()) : undefined;
}

function walletTicket(deps: Pick<AppDeps, 'config'>, row: Row, now: Date) {
  return {
    ...ticketView(deps, row, now),
    owner_user_id: row.owner_user_id,
    stadium: row.stadium_name
      ? {
          name: row.stadium_name,
          city: row.stadium_city ?? '',
          address: row.stadium_address,
          latitude: row.stadium_latitude,
          longitude: row.stadium_longitude,
        }
      : null,
  };
}

export type WalletTicket = ReturnType<typeof walletTicket>;

/**
 * The valid tickets of a match with holder and seat (E9-F6 matches host PDFs to them; the
 * admin sees every seat whatever the fan's tier).
 */
export async function listValidMatchTickets(db: Executor, matchId: string) {
  return (await listValidTicketsOfMatch(db, matchId)).map((r) => ({
    id: r.id,
    owner_user_id: r.owner_user_id,
    holder_name: r.holder_name,
    // the holder's own email when the order named one, else the owner's account
    email: r.holder_email ?? r.owner_email,
    seat: seatOf(r),
    external_ticket_required: r.external_ticket_required,
    home_team: r.home_team,
    away_team: r.away_team,
  }));
}

/**
 * E9-F6: the ticket is admitted by the host federation's PDF at `pdfUrl`; the QR is no
 * longer shown. In the caller's transaction; false when the ticket is no longer valid.
 */
export async function markExternalTicket(trx: Executor, ticketId: string, pdfUrl: string) {
  return setExternalTicket(trx, ticketId, pdfUrl);
}
