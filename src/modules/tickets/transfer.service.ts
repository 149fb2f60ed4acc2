import type { AppDeps } from '../../deps.ts';
import { zagrebDate } from '../../platform/clock.ts';
import { getPiiCipher, maskLast4 } from '../../platform/crypto.ts';
import { AppError, notFound } from '../../platform/errors.ts';
import { barcodesForNewTickets } from '../access-control/extra-codes.service.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { findBlacklisted, refuseBlacklisted } from '../blacklist/blacklist.service.ts';
import { isValidOib } from '../identity/oib.ts';
import { sendEmail, sendPush } from '../notifications/notify.ts';
import { ageOn, type RequestContext } from '../sales/checkout.service.ts';
import { ticketSources } from '../sales/order-state.ts';
import { announceTicketsChanged } from './ticket-events.ts';
import { generateBarcode, getTicketSigner } from './ticket-codes.ts';
import {
  findActiveUserIdByEmail,
  findTicketForTransfer,
  holderHasTicketOfMatch,
  insertTransferLog,
  moveTicket,
  replaceHolder,
  type TransferTicketRow,
} from './transfer.repo.ts';

/**
 * Self-service transfers close this long before kick-off: the same 48 h as support
 * transfers (E10-F2), so the holder list handed to the police is final by then.
 */
export const TRANSFER_CLOSES_BEFORE_KICKOFF_MS = 48 * 3_600_000;

export interface TransferInput {
  full_name: string;
  oib: string;
  email: string;
  date_of_birth: string;
  nationality: string;
}

type Deps = Pick<AppDeps, 'db' | 'clock' | 'config' | 'jobs'>;

/** The checks that do not depend on the new holder; the caller must own the ticket. */
function assertTransferable(ticket: TransferTicketRow | undefined, userId: string, now: Date) {
  // Someone else's ticket answers like a missing one.
  if (!ticket || ticket.owner_user_id !== userId) throw notFound('Ticket');
  // A quota ticket follows its quota's transfer_allowed (E7-F1), whatever the ticket says.
  if (ticket.quota_transfer_allowed === false) throw new AppError('QUOTA_TRANSFER_NOT_ALLOWED');
  if (!ticket.transfer_allowed) throw new AppError('TRANSFER_NOT_ALLOWED');
  if (!(ticketSources('HOLDER_TRANSFERRED') as readonly string[]).includes(ticket.status)) {
    throw new AppError('TICKET_NOT_TRANSFERABLE', `The ticket is ${ticket.status}`);
  }
  const closesAt = new Date(ticket.kick_off_time.getTime() - TRANSFER_CLOSES_BEFORE_KICKOFF_MS);
  if (now >= closesAt) {
    throw new AppError('TRANSFER_CLOSED', 'Transfers close 48 hours before kick-off', {
      extra: { closed_at: closesAt.toISOString() },
    });
  }
  return ticket;
}

/**
 * POST /tickets/{id}/transfer (E9-F5): the ticket's owner (the buyer, or whoever received
 * it) names a new holder, who must have an account with that email: the ticket moves to
 * that account with a new barcode and a new signed QR, so the old ones no longer admit
 * anyone. One transaction under the ticket's row lock: of concurrent transfers of one
 * ticket exactly one succeeds (the others find it no longer theirs, 404).
 */
export async function transferTicket(
  deps: Deps,
  userId: string,
  ticketId: string,
  input: TransferInput,
  ctx: RequestContext,
) {
  if (!isValidOib(input.oib)) {
    throw new AppError('OIB_INVALID', 'The new holder’s OIB is not valid', {
      errors: [{ field: 'body.oib', message: 'not a valid OIB' }],
    });
  }
  const now = deps.clock.now();
  if (input.date_of_birth > zagrebDate(now)) {
    throw new AppError('VALIDATION_FAILED', 'The new holder data is not valid', {
      errors: [{ field: 'body.date_of_birth', message: 'in the future' }],
    });
  }
  const seen = assertTransferable(await findTicketForTransfer(deps.db, ticketId), userId, now);

  // E4-F6 as at checkout: a blacklisted new holder is refused with the MUP message; the
  // attempt is logged in its own transaction so the log survives the refusal.
  const hits = await findBlacklisted(deps, deps.db, [input.oib]);
  if (hits.length) {
    await refuseBlacklisted(deps, hits, 'TRANSFER_ATTEMPT', {
      userId,
      matchId: seen.match_id,
      ip: ctx.ip,
      userAgent: ctx.userAgent,
      sessionId: ctx.sessionId,
    });
  }

  const pii = getPiiCipher(deps.config);
  const signer = getTicketSigner(deps.config);
  const oibIndex = pii.blindIndex(input.oib);
  return deps.db.transaction().execute(async (trx) => {
    const ticket = assertTransferable(
      await findTicketForTransfer(trx, ticketId, { forUpdate: true }),
      userId,
      now,
    );
    const recipientId = await findActiveUserIdByEmail(trx, input.email);
    if (!recipientId) {
      throw new AppError('TRANSFER_RECIPIENT_UNKNOWN', undefined, {
        errors: [{ field: 'body.email', message: 'no account with this email' }],
      });
    }
    // A person holds at most one ticket of a match (checkout names nobody twice either).
    if (
      await holderHasTicketOfMatch(trx, {
        matchId: ticket.match_id,
        oibBlindIndex: oibIndex,
        exceptTicketId: ticket.id,
      })
    ) {
      throw new AppError('HOLDER_HAS_TICKET');
    }

    // After the turnstile export the new barcode is one of the match's extra codes.
    const barcode = (
      await barcodesForNewTickets(deps, trx, ticket.match_id, [ticket.id], generateBarcode)
    ).get(ticket.id)!;
    const qrCodeData = signer.qrPayload({ id: ticket.id, matchId: ticket.match_id, barcode });
    if (!(await moveTicket(trx, { ticketId, ownerUserId: recipientId, barcode, qrCodeData }))) {
      throw new AppError('TICKET_NOT_TRANSFERABLE');
    }
    const isMinor = ageOn(input.date_of_birth, zagrebDate(now)) < 18;
    await replaceHolder(trx, ticketId, {
      full_name: input.full_name,
      date_of_birth: input.date_of_birth,
      nationality: input.nationality.toUpperCase(),
      oib_encrypted: pii.encrypt(input.oib),
      oib_blind_index: oibIndex,
      passport_encrypted: null,
      email: input.email,
      phone: null,
      is_minor: isMinor,
      source: 'MANUAL_ENTRY',
    });
    const fromName = ticket.holder_name ?? ticket.owner_email;
    const transferId = await insertTransferLog(trx, {
      ticket_id: ticketId,
      from_holder_name: fromName,
      from_holder_oib_encrypted: ticket.holder_oib_encrypted,
      to_holder_name: input.full_name,
      to_holder_oib_encrypted: pii.encrypt(input.oib),
      to_holder_email: input.email,
      transfer_type: 'SELF_SERVICE',
      initiated_by: userId,
      reason: null,
      transferred_at: now,
    });

    const matchName = `${ticket.home_team} – ${ticket.away_team}`;
    await sendEmail(deps, trx, {
      template_key: 'ticket_transfer_sent',
      to: ticket.holder_email ?? ticket.owner_email,
      variables: {
        sender_name: fromName,
        recipient_name: input.full_name,
        match_name: matchName,
        ticket_count: 1,
      },
    });
    await sendEmail(deps, trx, {
      template_key: 'ticket_transfer_received',
      to: input.email,
      variables: {
        recipient_name: input.full_name,
        sender_name: fromName,
        match_name: matchName,
        ticket_count: 1,
        tickets_url: `${deps.config.PUBLIC_BASE_URL}/tickets/${ticketId}`,
      },
    });
    await sendPush(deps, trx, {
      user_id: userId,
      notification_type: 'ticket_transfer_sent',
      title: 'Ticket transferred',
      body: `${matchName}: your ticket now belongs to ${input.full_name}`,
      data: { ticket_id: ticketId },
    });
    await sendPush(deps, trx, {
      user_id: recipientId,
      notification_type: 'ticket_transfer_received',
      title: 'You received a ticket',
      body: `${fromName} transferred a ticket for ${matchName} to you`,
      data: { deeplink: `hns://tickets/${ticketId}`, ticket_id: ticketId },
      priority: 'HIGH',
    });
    await announceTicketsChanged(deps, trx, [ticketId], 'TRANSFERRED');
    await recordAudit(deps, trx, {
      domain: 'ticket',
      action: 'ticket_transferred',
      actor: { type: 'user', id: userId },
      subject: { type: 'ticket', id: ticketId },
      changes: {
        transfer_log_id: transferId,
        to_user_id: recipientId,
        to_holder_oib: maskLast4(input.oib),
        match_id: ticket.match_id,
      },
      context: { ip: ctx.ip, user_agent: ctx.userAgent },
    });
    return {
      ticket_id: ticketId,
      transfer_id: transferId,
      holder: { full_name: input.full_name, oib_masked: maskLast4(input.oib), is_minor: isMinor },
      transferred_at: now.toISOString(),
    };
  });
}
