import type { AppDeps } from '../../deps.ts';
import { getPiiCipher, maskLast4 } from '../../platform/crypto.ts';
import { AppError } from '../../platform/errors.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { isValidOib } from '../identity/oib.ts';
import {
  listPrintsOf,
  listRefundsOf,
  listTransfersOf,
  searchTickets,
  type SearchRow,
} from './lookup.repo.ts';
import {
  maskCriteria,
  normalizeEmail,
  normalizePhone,
  type SearchCriteria,
} from './support.rules.ts';

/**
 * The ticket lookup (E10-F1): an agent finds a caller's tickets by any mix of OIB, order
 * number, email, phone, match and barcode (all must hold), one page at a time, each with
 * its order, holder, status and history. The OIB is looked up through its blind index, so
 * it exists in clear only in this request's memory. Every search is audited with the agent
 * and the masked criteria, in the search's transaction.
 */

type Deps = Pick<AppDeps, 'db' | 'config' | 'clock'>;

export interface SearchInput extends SearchCriteria {
  page: number;
  limit: number;
}

const CRITERIA = ['oib', 'order_number', 'email', 'phone', 'match_id', 'barcode'] as const;

export async function searchSupportTickets(deps: Deps, agentId: string, input: SearchInput) {
  if (!CRITERIA.some((k) => input[k] !== undefined)) {
    throw new AppError('SEARCH_CRITERIA_REQUIRED', undefined, {
      errors: [{ field: 'body', message: `name one of ${CRITERIA.join(', ')}` }],
    });
  }
  if (input.oib !== undefined && !isValidOib(input.oib)) {
    throw new AppError('OIB_INVALID', 'The OIB fails its checksum', {
      errors: [{ field: 'body.oib', message: 'not a valid OIB' }],
    });
  }
  const pii = getPiiCipher(deps.config);
  const criteria: SearchCriteria = Object.fromEntries(
    CRITERIA.filter((k) => input[k] !== undefined).map((k) => [k, input[k]]),
  );
  return deps.db.transaction().execute(async (trx) => {
    const rows = await searchTickets(trx, {
      oibBlindIndex: input.oib !== undefined ? pii.blindIndex(input.oib) : undefined,
      orderNumber: input.order_number,
      email: input.email !== undefined ? normalizeEmail(input.email) : undefined,
      phone: input.phone !== undefined ? normalizePhone(input.phone) : undefined,
      matchId: input.match_id,
      barcode: input.barcode,
      offset: (input.page - 1) * input.limit,
      limit: input.limit,
    });
    const ids = rows.map((r) => r.ticket_id);
    const [transfers, prints, refunds] = ids.length
      ? await Promise.all([
          listTransfersOf(trx, ids),
          listPrintsOf(trx, ids),
          listRefundsOf(trx, ids),
        ])
      : [[], [], []];
    const total = rows[0]?.total ?? 0;
    await recordAudit(deps, trx, {
      domain: 'support',
      action: 'tickets_searched',
      actor: { type: 'user', id: agentId },
      subject: { type: 'ticket_search', id: agentId },
      changes: {
        criteria: maskCriteria(criteria),
        page: input.page,
        limit: input.limit,
        total,
        ticket_ids: ids,
      },
    });
    const byTicket = <T extends { ticket_id: string }>(list: T[], id: string) =>
      list.filter((x) => x.ticket_id === id);
    return {
      items: rows.map((row) => ({
        ...resultView(row, (enc) => maskLast4(pii.decrypt(enc))),
        history: {
          transfers: byTicket(transfers, row.ticket_id).map((x) => ({
            id: x.id,
            transfer_type: x.transfer_type,
            from_holder_name: x.from_holder_name,
            to_holder_name: x.to_holder_name,
            initiated_by: x.initiated_by,
            reason: x.reason,
            transferred_at: x.transferred_at.toISOString(),
          })),
          prints: byTicket(prints, row.ticket_id).map((x) => ({
            id: x.id,
            print_number: x.print_number,
            agent_id: x.agent_id,
            reason: x.reason,
            layout: x.layout,
            print_location: x.print_location,
            verification_document_type: x.verification_document_type,
            printed_at: x.printed_at.toISOString(),
          })),
          refunds: byTicket(refunds, row.ticket_id).map((x) => ({
            id: x.id,
            status: x.status,
            source: x.source,
            refund_amount: x.refund_amount,
            ticket_amount: x.ticket_amount,
            reason: x.reason,
            created_at: x.created_at.toISOString(),
            completed_at: x.completed_at?.toISOString() ?? null,
          })),
        },
      })),
      total,
      page: input.page,
      limit: input.limit,
    };
  });
}

function resultView(row: SearchRow, maskOib: (encrypted: string) => string) {
  return {
    ticket: {
      id: row.ticket_id,
      status: row.ticket_status,
      barcode: row.barcode,
      price_amount: row.price_amount,
      fee_amount: row.fee_amount,
      created_at: row.ticket_created_at.toISOString(),
    },
    order: {
      id: row.order_id,
      order_number: row.order_number,
      status: row.order_status,
      refund_status: row.refund_status,
      total_amount: row.total_amount,
      created_at: row.order_created_at.toISOString(),
      buyer: {
        user_id: row.buyer_user_id,
        email: row.buyer_email,
        full_name: row.buyer_name,
        phone: row.buyer_phone,
      },
    },
    owner_user_id: row.owner_user_id,
    match: {
      id: row.match_id,
      home_team: row.home_team,
      away_team: row.away_team,
      kick_off_time: row.kick_off_time.toISOString(),
    },
    seat: {
      sector_code: row.sector_code,
      sector_name: row.sector_name,
      row: row.row_identifier,
      seat_number: row.seat_number,
    },
    holder: row.holder_name
      ? {
          full_name: row.holder_name,
          oib_masked: row.holder_oib_encrypted ? maskOib(row.holder_oib_encrypted) : null,
          email: row.holder_email,
          phone: row.holder_phone,
          is_minor: !!row.holder_is_minor,
        }
      : null,
  };
}
