import type { AppDeps } from '../../deps.ts';
import { AppError, notFound } from '../../platform/errors.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { getTicketForWallet } from '../tickets/tickets.service.ts';
import { insertPrintLog, lockTicketPrints } from './print.repo.ts';
import { renderPrintPdf, type PrintLayout } from './print-pdf.ts';

/**
 * The emergency print (E10-F4): a holder whose phone died gets their ticket on paper at
 * the gate. The agent checks an identity document first (422 IDENTITY_NOT_VERIFIED
 * otherwise); the print follows the ticket's tiers (E9-F2: a QR only from 5 h before
 * kick-off, none for a ticket that no longer admits or is admitted by a host PDF). Every
 * print is a print_logs row (agent, reason, document type, place, layout, number) and an
 * audit event, written under the ticket's row lock in the transaction that renders the PDF.
 * A second and later print warns: the answer's `x-print-warning` header and a line on the
 * paper name the earlier prints.
 *
 * Decision: a reprint does NOT invalidate the previous QR. The paper carries the same
 * signed payload the app shows, because the gate admits a barcode once (the first scan
 * wins), so copies cannot let two people in; changing the code would strand the holder's
 * phone or wallet pass at the moment it comes back to life and any earlier paper, in the
 * queue at the gate. A lost or stolen phone is a support transfer (new barcode and QR).
 */

type Deps = Pick<AppDeps, 'db' | 'clock' | 'config'>;

export interface PrintInput {
  layout: PrintLayout;
  reason: string;
  identity_verified: boolean;
  verification_document_type: string;
  print_location: string;
}

const ZAGREB = new Intl.DateTimeFormat('hr-HR', {
  timeZone: 'Europe/Zagreb',
  dateStyle: 'medium',
  timeStyle: 'short',
});

export async function printTicket(
  deps: Deps,
  agentId: string,
  ticketId: string,
  input: PrintInput,
) {
  const ticket = await getTicketForWallet(deps, ticketId);
  if (!ticket) throw notFound('Ticket');
  if (!input.identity_verified) {
    throw new AppError('IDENTITY_NOT_VERIFIED', undefined, {
      errors: [{ field: 'query.identity_verified', message: 'must be true' }],
    });
  }
  if (ticket.visibility.tier !== 'FULL') {
    throw new AppError(
      'QR_NOT_YET_AVAILABLE',
      'The QR code is printed from 5 hours before kick-off',
      {
        extra: { opens_at: ticket.visibility.qr_opens_at },
      },
    );
  }
  if (ticket.external_ticket_required) throw new AppError('EXTERNAL_TICKET_REQUIRED');
  if (!ticket.barcode || !ticket.qr_code_data || !ticket.seat) {
    throw new AppError('TICKET_NOT_VALID', `The ticket is ${ticket.status}`);
  }
  const { barcode, qr_code_data: qrPayload, seat } = ticket;
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const earlier = await lockTicketPrints(trx, ticketId);
    const printNumber = (earlier.at(-1)?.print_number ?? 0) + 1;
    const last = earlier.at(-1);
    const warning = last
      ? `DUPLICATE: print no. ${printNumber}; printed ${earlier.length} time(s) before, ` +
        `last ${ZAGREB.format(last.printed_at)} at ${last.print_location}`
      : null;
    const log = await insertPrintLog(trx, {
      ticket_id: ticketId,
      agent_id: agentId,
      reason: input.reason,
      identity_verified: true,
      verification_document_type: input.verification_document_type,
      print_location: input.print_location,
      printed_at: now,
      layout: input.layout,
      print_number: printNumber,
    });
    await recordAudit(deps, trx, {
      domain: 'support',
      action: last ? 'ticket_reprinted_duplicate' : 'ticket_emergency_printed',
      actor: { type: 'user', id: agentId },
      subject: { type: 'ticket', id: ticketId },
      changes: {
        print_log_id: log.id,
        print_number: printNumber,
        agent_id: agentId,
        reason: input.reason,
        verification_document_type: input.verification_document_type,
        print_location: input.print_location,
        layout: input.layout,
        previous_prints: earlier.length,
      },
    });
    const pdf = await renderPrintPdf(input.layout, {
      match: `${ticket.match.home_team} – ${ticket.match.away_team}`,
      competition: ticket.match.competition,
      kickOff: ZAGREB.format(new Date(ticket.match.kick_off_time)),
      stadium: ticket.stadium ? `${ticket.stadium.name}, ${ticket.stadium.city}` : null,
      sector: seat.sector_name,
      row: seat.row,
      seat: seat.seat_number,
      holder: ticket.holder?.full_name ?? '—',
      orderNumber: ticket.order_number,
      barcode,
      qrPayload,
      printNumber,
      warning,
      printedAt: ZAGREB.format(now),
    });
    return { pdf, printNumber, printLogId: log.id, warning };
  });
}
