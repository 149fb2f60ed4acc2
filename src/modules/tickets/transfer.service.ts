import type { AppDeps } from '../../deps.ts';
import { zagrebDate } from '../../platform/clock.ts';
import { getPiiCipher, maskLast4 } from '../../platform/crypto.ts';
import type { Executor } from '../../platform/db/database.ts';
import type { TransferType } from '../../platform/db/types.generated.ts';
import { AppError, notFound } from '../../platform/errors.ts';
import { barcodesForNewTickets } from '../access-control/extra-codes.service.ts';
import { recordAudit } from '../audit/audit.service.ts';
import {
  BlacklistedLate,
  findBlacklisted,
  findBlacklistedLocked,
  refuseBlacklisted,
} from '../blacklist/blacklist.service.ts';
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

/**
 * Who transfers: the ticket's owner themself (E9-F5), or a support agent acting for the
 * owner (E10-F2, support module), who must give a reason.
 */
export interface TransferActor {
  type: TransferType;
  userId: string;
  reason: string | null;
}

/** The policy text a support agent reads out when the 48 h have started (E10-F2). */
export const SUPPORT_TRANSFER_POLICY =
  'Tickets cannot be transferred less than 48 hours before kick-off, so that the list of ' +
  'holders given to the police is final.';

/** The checks that do not depend on the new holder; a fan must own the ticket. */
function assertTransferable(
  ticket: TransferTicketRow | undefined,
  actor: TransferActor,
  now: Date,
) {
  // Someone else's ticket answers like a missing one.
  if (!ticket || (actor.type === 'SELF_SERVICE' && ticket.owner_user_id !== actor.userId)) {
    throw notFound('Ticket');
  }
  // A quota ticket follows its quota's transfer_allowed (E7-F1), whatever the ticket says.
  if (ticket.quota_transfer_allowed === false) throw new AppError('QUOTA_TRANSFER_NOT_ALLOWED');
  if (!ticket.transfer_allowed) throw new AppError('TRANSFER_NOT_ALLOWED');
  if (!(ticketSources('HOLDER_TRANSFERRED') as readonly string[]).includes(ticket.status)) {
    throw new AppError('TICKET_NOT_TRANSFERABLE', `The ticket is ${ticket.status}`);
  }
  const closesAt = new Date(ticket.kick_off_time.getTime() - TRANSFER_CLOSES_BEFORE_KICKOFF_MS);
  if (now >= closesAt) {
    const extra = { closed_at: closesAt.toISOString() };
    // The support desk answers 400 with the policy to read out (E10-F2's verification).
    if (actor.type === 'SUPPORT') {
      throw new AppError('SUPPORT_TRANSFER_CLOSED', SUPPORT_TRANSFER_POLICY, { extra });
    }
    throw new AppError('TRANSFER_CLOSED', 'Transfers close 48 hours before kick-off', { extra });
  }
  return ticket;
}

export interface TransferResult {
  ticket_id: string;
  transfer_id: string;
  holder: { full_name: string; oib_masked: string; is_minor: boolean };
  transferred_at: string;
}

/** What a caller of `transferTicketAs` adds inside the transfer's transaction. */
export interface TransferHooks {
  /** Under the ticket's row lock, before anything is written; throw to refuse. */
  check?(trx: Executor, ticket: TransferTicketRow): Promise<void> | void;
  /** After the transfer, in its transaction (the support desk's request row). */
  after?(trx: Executor, result: TransferResult): Promise<void>;
}

/**
 * POST /tickets/{id}/transfer (E9-F5): the ticket's owner (the buyer, or whoever received
 * it) names a new holder, who must have an account with that email: the ticket moves to
 * that account with a new barcode and a new signed QR, so the old ones no longer admit
 * anyone. One transaction under the ticket's row lock: of concurrent transfers of one
 * ticket exactly one succeeds (the others find it no longer theirs, 404).
 */
export function transferTicket(
  deps: Deps,
  userId: string,
  ticketId: string,
  input: TransferInput,
  ctx: RequestContext,
) {
  return transferTicketAs(
    deps,
    { type: 'SELF_SERVICE', userId, reason: null },
    ticketId,
    input,
    ctx,
  );
}

/**
 * The transfer for either actor (TransferActor): the same checks, new barcode and QR,
 * holder, log, notices and audit; `hooks` let the support desk check the requester under
 * the lock and write its request row in the same transaction.
 */
export async function transferTicketAs(
  deps: Deps,
  actor: TransferActor,
  ticketId: string,
  input: TransferInput,
  ctx: RequestContext,
  hooks: TransferHooks = {},
): Promise<TransferResult> {
  const userId = actor.userId;
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
  const seen = assertTransferable(await findTicketForTransfer(deps.db, ticketId), actor, now);

  // E4-F6 as at checkout: a blacklisted new holder is refused with the MUP message; the
  // attempt is logged in its own transaction so the log survives the refusal.
  const attempt = {
    userId,
    matchId: seen.match_id,
    ip: ctx.ip,
    userAgent: ctx.userAgent,
    sessionId: ctx.sessionId,
  };
  const hits = await findBlacklisted(deps, deps.db, [input.oib]);
  if (hits.length) await refuseBlacklisted(deps, hits, 'TRANSFER_ATTEMPT', attempt);

  const pii = getPiiCipher(deps.config);
  const signer = getTicketSigner(deps.config);
  const oibIndex = pii.blindIndex(input.oib);
  const transfer = deps.db.transaction().execute(async (trx) => {
    // Again under the OIB's shared lock, before any row lock: a blacklist confirmation
    // (E11-F4) racing this transfer either sees it committed or this sees the entry.
    const late = await findBlacklistedLocked(deps, trx, [input.oib]);
    if (late.length) throw new BlacklistedLate(late);
    const ticket = assertTransferable(
      await findTicketForTransfer(trx, ticketId, { forUpdate: true }),
      actor,
      now,
    );
    await hooks.check?.(trx, ticket);
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
      transfer_type: actor.type,
      initiated_by: userId,
      reason: actor.reason,
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
      user_id: ticket.owner_user_id,
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
        transfer_type: actor.type,
        reason: actor.reason,
        from_user_id: ticket.owner_user_id,
        to_user_id: recipientId,
        to_holder_oib: maskLast4(input.oib),
        match_id: ticket.match_id,
      },
      context: { ip: ctx.ip, user_agent: ctx.userAgent },
    });
    const result: TransferResult = {
      ticket_id: ticketId,
      transfer_id: transferId,
      holder: { full_name: input.full_name, oib_masked: maskLast4(input.oib), is_minor: isMinor },
      transferred_at: now.toISOString(),
    };
    await hooks.after?.(trx, result);
    return result;
  });
  return transfer.catch(async (err: unknown) => {
    if (err instanceof BlacklistedLate) {
      return refuseBlacklisted(deps, err.hits, 'TRANSFER_ATTEMPT', attempt);
    }
    throw err;
  });
}
