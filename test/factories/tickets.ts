import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { AppDeps } from '../../src/deps.ts';
import { getPiiCipher } from '../../src/platform/crypto.ts';
import { generateBarcode } from '../../src/modules/tickets/ticket-codes.ts';

export interface IssuedTicket {
  id: string;
  barcode: string;
  inventoryId: string;
}

/**
 * Valid (SOLD) tickets on the first AVAILABLE seats of a locked match, in one COMPLETED
 * order of `buyerId`, written with one statement per table (a Poljud-sized match in a
 * second): real barcodes (18 digits, Luhn), holders with the given OIBs (null: a passport
 * holder), the seats SOLD. For tests and benchmarks that need sold tickets, not a sale.
 */
export async function issueTickets(
  deps: Pick<AppDeps, 'db' | 'config'>,
  input: { matchId: string; buyerId: string; count?: number; holderOibs?: Array<string | null> },
): Promise<IssuedTicket[]> {
  const oibs = input.holderOibs ?? Array.from({ length: input.count ?? 1 }, () => null);
  const pii = getPiiCipher(deps.config);
  const seats = await deps.db
    .selectFrom('match_seat_inventory')
    .select('id')
    .where('match_id', '=', input.matchId)
    .where('status', '=', 'AVAILABLE')
    .orderBy('match_sector_id')
    .orderBy('snake_order')
    .limit(oibs.length)
    .execute();
  if (seats.length < oibs.length) throw new Error(`issueTickets: only ${seats.length} seats free`);
  const order = await deps.db
    .insertInto('orders')
    .values({
      user_id: input.buyerId,
      match_id: input.matchId,
      status: 'COMPLETED',
      ticket_amount: 2500 * oibs.length,
      ticket_vat_amount: 0,
      fee_amount: 0,
      fee_vat_amount: 0,
      total_amount: 2500 * oibs.length,
      fee_percent_bp: 0,
      ticket_vat_bp: 0,
      fee_vat_bp: 0,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const tickets = seats.map((s) => ({
    id: randomUUID(),
    barcode: generateBarcode(),
    inventoryId: s.id,
  }));
  await sql`
    INSERT INTO tickets (id, order_id, match_id, match_seat_inventory_id, owner_user_id, barcode,
                         qr_code_data, price_amount, fee_amount)
    SELECT x.id, ${order.id}::uuid, ${input.matchId}::uuid, x.inv, ${input.buyerId}::uuid, x.barcode,
           'test:' || x.barcode, 2500, 0
      FROM unnest(${tickets.map((t) => t.id)}::uuid[], ${tickets.map((t) => t.inventoryId)}::uuid[],
                  ${tickets.map((t) => t.barcode)}::text[]) AS x(id, inv, barcode)`.execute(
    deps.db,
  );
  await sql`
    INSERT INTO ticket_holders (ticket_id, full_name, date_of_birth, nationality, oib_encrypted,
                                oib_blind_index, passport_encrypted, is_minor, source)
    SELECT x.id, 'Holder ' || x.n, '1990-05-01', 'HR', x.oib_enc, x.oib_bi,
           CASE WHEN x.oib_bi IS NULL THEN ${pii.encrypt('P1234567')} END, false, 'MANUAL_ENTRY'
      FROM unnest(${tickets.map((t) => t.id)}::uuid[],
                  ${oibs.map((o) => (o ? pii.encrypt(o) : null))}::text[],
                  ${oibs.map((o) => (o ? pii.blindIndex(o) : null))}::text[])
           WITH ORDINALITY AS x(id, oib_enc, oib_bi, n)`.execute(deps.db);
  await sql`UPDATE match_seat_inventory SET status = 'SOLD'
              WHERE id = ANY (${tickets.map((t) => t.inventoryId)}::uuid[])`.execute(deps.db);
  return tickets;
}
