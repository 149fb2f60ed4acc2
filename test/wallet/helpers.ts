import { freshToken } from '../factories/users.ts';
import { expect } from 'vitest';
import { readZip } from '../../src/platform/files/zip.ts';
import type { TestContext } from '../harness/context.ts';
import type { StripeTestServer } from '../../src/platform/adapters/stripe/local-server.ts';
import {
  checkoutToPayment,
  createFan,
  createSale,
  deliver,
  withClockAt,
} from '../sales/helpers.ts';

export interface BoughtTicket {
  id: string;
  barcode: string;
  qr_code_data: string;
  match: { id: string; home_team: string; away_team: string; kick_off_time: string };
  seat: { sector_code: string; row: string; seat_number: number };
}

/** A fan with `count` paid tickets of a new match (kick-off in 30 days unless given). */
export async function buyTickets(
  t: TestContext,
  stripe: StripeTestServer,
  options: { kickOff?: Date; count?: number; sectors?: number } = {},
) {
  const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 6, ...options });
  const fan = await createFan(t.deps);
  const { payment } = await checkoutToPayment(t, fan, sale, options.count ?? 1);
  const paid = await deliver(t, stripe, stripe.succeed(payment.payment_intent_id));
  expect(paid.statusCode).toBe(200);
  // Read as they show once the QR is open (E9-F2), so seat and codes are there.
  const { kick_off_time } = await t.deps.db
    .selectFrom('matches')
    .select('kick_off_time')
    .where('id', '=', sale.matchId)
    .executeTakeFirstOrThrow();
  const mine = await withClockAt(
    t,
    new Date(kick_off_time.getTime() - 5 * 3_600_000 + 60_000),
    async () =>
      t.request({ method: 'GET', url: '/users/me/tickets', token: await freshToken(t.deps, fan) }),
  );
  const tickets = mine.json().items as BoughtTicket[];
  return { sale, fan, tickets, ticket: tickets[0]! };
}

/** Runs `fn` with the app clock one minute after the ticket's QR opened (E9-F2). */
export function atQrTime<T>(t: TestContext, ticket: BoughtTicket, fn: () => Promise<T>) {
  return withClockAt(
    t,
    new Date(new Date(ticket.match.kick_off_time).getTime() - 5 * 3_600_000 + 60_000),
    fn,
  );
}

/** The pass.json of a .pkpass (a zip). */
export async function passJson(body: Buffer) {
  const files = await readZip(body, { maxEntries: 100, maxTotalBytes: 10_000_000 });
  return JSON.parse(files.find((f) => f.name === 'pass.json')!.data.toString());
}
