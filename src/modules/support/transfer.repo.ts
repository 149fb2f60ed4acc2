import type { Insertable } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type { SupportTransferRequests } from '../../platform/db/types.generated.ts';

/** SQL of the support transfer (E10-F2): who may ask for a ticket, the request row. */

export interface TicketPeople {
  owner_user_id: string;
  owner_email: string;
  owner_name: string | null;
  owner_profile_email: string | null;
  owner_phone: string | null;
  holder_name: string | null;
  holder_email: string | null;
  holder_phone: string | null;
}

/** The ticket's owner (account and default profile) and its named holder. */
export async function findTicketPeople(
  db: Executor,
  ticketId: string,
): Promise<TicketPeople | undefined> {
  return db
    .selectFrom('tickets as t')
    .innerJoin('users as u', 'u.id', 't.owner_user_id')
    .leftJoin('profiles as p', 'p.user_id', 't.owner_user_id')
    .leftJoin('ticket_holders as h', 'h.ticket_id', 't.id')
    .select([
      't.owner_user_id',
      'u.email as owner_email',
      'p.full_name as owner_name',
      'p.email as owner_profile_email',
      'p.phone as owner_phone',
      'h.full_name as holder_name',
      'h.email as holder_email',
      'h.phone as holder_phone',
    ])
    .where('t.id', '=', ticketId)
    .executeTakeFirst();
}

export async function insertTransferRequest(
  db: Executor,
  row: Insertable<SupportTransferRequests>,
): Promise<{ id: string; created_at: Date }> {
  return db
    .insertInto('support_transfer_requests')
    .values(row)
    .returning(['id', 'created_at'])
    .executeTakeFirstOrThrow();
}
