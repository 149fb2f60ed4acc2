import type { AppDeps } from '../../deps.ts';
import { getPiiCipher, maskLast4 } from '../../platform/crypto.ts';
import { AppError, notFound } from '../../platform/errors.ts';
import { recordAudit } from '../audit/audit.service.ts';
import type { RequestContext } from '../sales/checkout.service.ts';
import { transferTicketAs } from '../tickets/transfer.service.ts';
import { assertRequester, ticketPeople } from './requester.ts';
import { findTicketPeople, insertTransferRequest } from './transfer.repo.ts';

/**
 * The support transfer (E10-F2): an agent moves a ticket to a new holder for its owner or
 * holder, who called the desk. It is the self-service transfer (tickets/transfer.service.ts)
 * with the agent as actor: the same refusals (blacklist with the MUP message, one ticket
 * per person and match, the recipient's account), the same new barcode and signed QR,
 * transfer log (type SUPPORT, the agent and the reason), notices and audit; from 48 h before
 * kick-off it answers 400 with the policy to read out. In the same transaction: the
 * requester is checked under the ticket's lock (the ticket may have moved meanwhile) and
 * the support_transfer_requests row is written COMPLETED, with a `support` audit event.
 */

type Deps = Pick<AppDeps, 'db' | 'clock' | 'config' | 'jobs'>;

export interface SupportTransferInput {
  requested_by_name: string;
  requested_by_contact: string;
  new_holder_name: string;
  new_holder_oib: string;
  new_holder_email: string;
  new_holder_date_of_birth: string;
  new_holder_nationality: string;
  reason: string;
}

export async function supportTransfer(
  deps: Deps,
  agentId: string,
  ticketId: string,
  input: SupportTransferInput,
  ctx: RequestContext,
) {
  const requester = { full_name: input.requested_by_name, contact: input.requested_by_contact };
  const seen = await findTicketPeople(deps.db, ticketId);
  if (!seen) throw notFound('Ticket');
  assertRequester(requester, ticketPeople(seen));
  const pii = getPiiCipher(deps.config);
  const now = deps.clock.now();
  let request: { id: string; created_at: Date } | undefined;
  const result = await transferTicketAs(
    deps,
    { type: 'SUPPORT', userId: agentId, reason: input.reason },
    ticketId,
    {
      full_name: input.new_holder_name,
      oib: input.new_holder_oib,
      email: input.new_holder_email,
      date_of_birth: input.new_holder_date_of_birth,
      nationality: input.new_holder_nationality,
    },
    ctx,
    {
      async check(trx) {
        // Checked again under the lock: a transfer meanwhile changed who may ask.
        const people = await findTicketPeople(trx, ticketId);
        if (!people || people.owner_user_id !== seen.owner_user_id) {
          throw new AppError('CONFLICT', 'The ticket changed hands meanwhile; search again');
        }
        assertRequester(requester, ticketPeople(people));
      },
      async after(trx, done) {
        request = await insertTransferRequest(trx, {
          ticket_id: ticketId,
          requested_by_name: input.requested_by_name,
          requested_by_contact: input.requested_by_contact,
          new_holder_name: input.new_holder_name,
          new_holder_oib_encrypted: pii.encrypt(input.new_holder_oib),
          new_holder_email: input.new_holder_email,
          status: 'COMPLETED',
          agent_id: agentId,
          created_at: now,
          completed_at: now,
          reason: input.reason,
          transfer_log_id: done.transfer_id,
        });
        await recordAudit(deps, trx, {
          domain: 'support',
          action: 'support_ticket_transferred',
          actor: { type: 'user', id: agentId },
          subject: { type: 'ticket', id: ticketId },
          changes: {
            support_transfer_request_id: request.id,
            transfer_log_id: done.transfer_id,
            agent_id: agentId,
            reason: input.reason,
            from_user_id: seen.owner_user_id,
            new_holder_oib: input.new_holder_oib,
          },
          context: { ip: ctx.ip, user_agent: ctx.userAgent },
        });
      },
    },
  );
  return {
    id: request!.id,
    status: 'COMPLETED' as const,
    ticket_id: ticketId,
    transfer_id: result.transfer_id,
    agent_id: agentId,
    reason: input.reason,
    new_holder: {
      full_name: input.new_holder_name,
      oib_masked: maskLast4(input.new_holder_oib),
      email: input.new_holder_email,
      is_minor: result.holder.is_minor,
    },
    created_at: request!.created_at.toISOString(),
    completed_at: now.toISOString(),
  };
}
