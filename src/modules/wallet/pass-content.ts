import type { WalletTicket } from '../tickets/tickets.service.ts';
import { passNotice, passState, zagrebKickOff, type PassState } from './wallet.rules.ts';

/**
 * What a ticket's wallet pass says, the same for Apple and Google (E9-F4): the match,
 * kick-off in Zagreb time, the stadium, sector/row/seat, the holder, and the app's signed QR
 * payload — or, instead of the QR, why there is none (yet): the visibility tiers of E9-F2
 * decide, as in the app.
 */
export interface PassContent {
  ticketId: string;
  matchId: string;
  title: string;
  competition: string;
  kickOff: Date;
  kickOffText: string;
  venue: WalletTicket['stadium'];
  /** null before the seat is shown (E9-F2). */
  seat: { sector: string; sectorName: string; row: string; seat: number } | null;
  holderName: string | null;
  orderNumber: string;
  state: PassState;
  /** The signed QR payload; null when the pass must not (or not yet) admit, see `notice`. */
  barcode: string | null;
  notice: string | null;
}

export function passContent(ticket: WalletTicket, viewerUserId: string): PassContent {
  const state = passState({
    status: ticket.status,
    external_ticket_required: ticket.external_ticket_required,
    ownedByViewer: ticket.owner_user_id === viewerUserId,
    tier: ticket.visibility.tier,
    seatVisibleAt: new Date(ticket.visibility.seat_visible_at),
    qrOpensAt: new Date(ticket.visibility.qr_opens_at),
  });
  const kickOff = new Date(ticket.match.kick_off_time);
  const away = state.kind === 'VOID' && state.reason === 'TRANSFERRED_AWAY';
  return {
    ticketId: ticket.id,
    matchId: ticket.match.id,
    title: `${ticket.match.home_team} – ${ticket.match.away_team}`,
    competition: ticket.match.competition,
    kickOff,
    kickOffText: zagrebKickOff(kickOff),
    venue: ticket.stadium,
    seat:
      ticket.seat && !away
        ? {
            sector: ticket.seat.sector_code,
            sectorName: ticket.seat.sector_name,
            row: ticket.seat.row,
            seat: ticket.seat.seat_number,
          }
        : null,
    // A pass left with someone who gave the ticket away shows nothing of the new holder.
    holderName: away ? null : (ticket.holder?.full_name ?? null),
    orderNumber: ticket.order_number,
    state,
    barcode: state.kind === 'VALID' ? ticket.qr_code_data : null,
    notice: passNotice(state),
  };
}
