import type { WalletTicket } from '../tickets/tickets.service.ts';
import { PASS_NOTICES, passState, zagrebKickOff, type PassState } from './wallet.rules.ts';

/**
 * What a ticket's wallet pass says, the same for Apple and Google (E9-F4): the match,
 * kick-off in Zagreb time, the stadium, sector/row/seat, the holder, and the app's signed QR
 * payload — or, instead of the QR, why there is none.
 */
export interface PassContent {
  ticketId: string;
  matchId: string;
  title: string;
  competition: string;
  kickOff: Date;
  kickOffText: string;
  venue: {
    name: string;
    city: string;
    address: string | null;
    latitude: number | null;
    longitude: number | null;
  } | null;
  seat: { sector: string; sectorName: string; row: string; seat: number };
  holderName: string | null;
  orderNumber: string;
  state: PassState;
  /** The signed QR payload; null when the pass must not admit (see `notice`). */
  barcode: string | null;
  notice: string | null;
}

export function passContent(ticket: WalletTicket, viewerUserId: string): PassContent {
  const state = passState({
    status: ticket.status,
    external_ticket_required: ticket.external_ticket_required,
    ownedByViewer: ticket.owner_user_id === viewerUserId,
  });
  const kickOff = new Date(ticket.match.kick_off_time);
  const valid = state.kind === 'VALID';
  return {
    ticketId: ticket.id,
    matchId: ticket.match.id,
    title: `${ticket.match.home_team} – ${ticket.match.away_team}`,
    competition: ticket.match.competition,
    kickOff,
    kickOffText: zagrebKickOff(kickOff),
    venue: ticket.stadium,
    seat: {
      sector: ticket.seat.sector_code,
      sectorName: ticket.seat.sector_name,
      row: ticket.seat.row,
      seat: ticket.seat.seat_number,
    },
    // A pass left with someone who gave the ticket away shows nothing of the new holder.
    holderName:
      state.kind === 'VOID' && state.reason === 'TRANSFERRED_AWAY'
        ? null
        : (ticket.holder?.full_name ?? null),
    orderNumber: ticket.order_number,
    state,
    barcode: valid ? ticket.qr_code_data : null,
    notice:
      state.kind === 'VALID'
        ? null
        : state.kind === 'EXTERNAL'
          ? PASS_NOTICES.EXTERNAL
          : PASS_NOTICES[state.reason],
  };
}
