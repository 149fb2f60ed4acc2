import type { Insertable } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type { PrintLogs } from '../../platform/db/types.generated.ts';

/** SQL of the emergency print (E10-F4): the ticket's print trail. */

/**
 * Locks the ticket row so prints of one ticket are numbered one after the other (two
 * agents at two gates both learn of the other's print), and returns its earlier prints.
 */
export async function lockTicketPrints(db: Executor, ticketId: string) {
  await db.selectFrom('tickets').select('id').where('id', '=', ticketId).forUpdate().execute();
  return db
    .selectFrom('print_logs')
    .select(['print_number', 'printed_at', 'agent_id', 'print_location'])
    .where('ticket_id', '=', ticketId)
    .orderBy('print_number')
    .execute();
}

export async function insertPrintLog(db: Executor, row: Insertable<PrintLogs>) {
  return db.insertInto('print_logs').values(row).returning(['id']).executeTakeFirstOrThrow();
}
