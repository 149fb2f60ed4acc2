import { z } from 'zod';

export const affectedTicket = z.object({
  ticket_id: z.uuid(),
  order_id: z.uuid(),
  order_number: z.string(),
  blacklist_id: z.uuid(),
  role: z.enum(['BUYER', 'HOLDER']).describe('BUYER: a ticket of an order the person bought'),
  match_id: z.uuid(),
  match_name: z.string(),
  kick_off_time: z.string(),
  holder_name: z.string().nullable(),
});

export const affectedOrder = z.object({
  order_id: z.uuid(),
  order_number: z.string(),
  blacklist_id: z.uuid(),
  role: z.enum(['BUYER', 'HOLDER']),
  status: z.string().describe('an open order: its payment may still succeed'),
  match_id: z.uuid(),
});

export const affectedSchema = z
  .object({
    ticket_count: z.number().int(),
    tickets: z.array(affectedTicket),
    open_orders: z.array(affectedOrder),
    tickets_cancelled_at: z.string().nullable().describe('set once an admin confirmed'),
    confirm: z
      .string()
      .nullable()
      .describe('the call that cancels them (POST), null when there is nothing to confirm'),
  })
  .describe(
    'E11-F4: the existing tickets of the listed person(s), shown before anything is cancelled',
  );

export const CONFIRM_DESCRIPTION =
  'E11-F4: cancels, without refund, the valid tickets of upcoming matches of the listed person(s) as they are now (the list shown before, plus anything that appeared since): every ticket of an order they bought, the ticket they hold in anyone else’s order; open orders of theirs or naming them are cancelled too (a late payment is refunded). Seats go back on sale (BLOCKED within 48 h of kick-off), buyers and holders are told, everything is audited. Confirming again cancels what is new, if anything.';

export const cancelResponse = z.object({
  cancelled_ticket_ids: z.array(z.uuid()),
  cancelled_order_ids: z.array(z.uuid()).describe('open orders cancelled'),
  tickets: z.array(affectedTicket),
  refunds_created: z.literal(0),
  tickets_cancelled_at: z.string(),
});
