import { AppError } from '../../platform/errors.ts';
import { requesterIs, type KnownPerson, type Requester } from './support.rules.ts';
import type { TicketPeople } from './transfer.repo.ts';

/**
 * The requester check the desk's transfers and refunds share: the agent types in who is
 * asking, and the request goes ahead only for the buyer (refunds) or the ticket's owner or
 * holder (transfers). Anyone else: 403 REQUESTER_NOT_OWNER, nothing written.
 */
export function assertRequester(requester: Requester, people: KnownPerson[]): void {
  if (!people.some((person) => requesterIs(requester, person))) {
    throw new AppError('REQUESTER_NOT_OWNER', undefined, {
      errors: [
        {
          field: 'body.requested_by_name',
          message: 'name and contact match neither the buyer nor the holder',
        },
      ],
    });
  }
}

/** The people who may ask for a ticket: the account it is in and its named holder. */
export function ticketPeople(row: TicketPeople): KnownPerson[] {
  return [
    {
      full_name: row.owner_name,
      emails: [row.owner_email, row.owner_profile_email],
      phones: [row.owner_phone],
    },
    { full_name: row.holder_name, emails: [row.holder_email], phones: [row.holder_phone] },
  ];
}
