import { randomUUID } from 'node:crypto';
import { sql, type Insertable } from 'kysely';
import type { AppDeps } from '../../src/deps.ts';
import type { OrderItems } from '../../src/platform/db/types.generated.ts';
import { writeOrderItems } from '../../src/modules/sales/checkout.repo.ts';
import {
  claimAdjacentRun,
  claimSeparated,
  type ClaimedSeat,
} from '../../src/modules/sales/claim.repo.ts';
import { insertOrder, transitionOrder } from '../../src/modules/sales/orders.repo.ts';
import { sellAndIssueOrderTickets } from '../../src/modules/tickets/tickets.service.ts';
import { round } from '../lib/stats.ts';
import { seededRandom } from './random.ts';
import { setupSaleMatch, type StadiumChoice } from './setup.ts';

/**
 * What the database alone sustains on this machine, measured after the sale on fresh copies
 * of the match with the services stopped, so the report can set the full path against it:
 *
 * - the raw claim limit: the claim statements a cart addition runs, and nothing else;
 * - the sale floor: the least database work any implementation must do to sell a seat
 *   under the invariants: hold it (the same claim), write the order with its lines, then
 *   sell the held seats issuing their tickets and complete the order, three transactions as
 *   in the full path (the payment happens between the second and the third). No HTTP, no
 *   login, queue, cart, holders' PII, payment record, email, push or audit. Its rate bounds
 *   the sell-out time on this machine from below whatever the layers above it cost.
 */

type RawDeps = Pick<AppDeps, 'db' | 'jobs' | 'clock' | 'config' | 'redis'>;

interface RawOptions {
  stadium: StadiumChoice;
  /** Connections running at once (the full path's: every API instance's pool busy). */
  concurrency: number;
  log: (m: string) => void;
}

/** A raw run's rate, and the seats it claimed or sold (the match's public seats). */
export interface RawLimit {
  seatsPerSecond: number;
  seats: number;
  /** The copy of the match it ran on. */
  matchId: string;
}

/** Seats per second the database sustains for the claims alone. */
export async function rawClaimLimit(deps: RawDeps, opts: RawOptions): Promise<RawLimit> {
  // Held as a cart addition holds them (the cart's id as owner).
  const {
    seats,
    seconds,
    matchId: twin,
  } = await drive(deps, opts, 7, 'CART', (_m, _o, _z, claimed) => Promise.resolve(claimed.length));
  const rate = round(seats / seconds);
  opts.log(
    `raw claim limit: ${seats} seats in ${round(seconds)} s with ${opts.concurrency} connections = ${rate} seats/s`,
  );
  return { seatsPerSecond: rate, seats, matchId: twin };
}

/** Seats per second the database sustains for hold + order + sale with tickets. */
export async function rawSaleLimit(deps: RawDeps, opts: RawOptions): Promise<RawLimit> {
  const buyer = await deps.db
    .insertInto('users')
    .values({ drupal_user_id: `bench-raw-${randomUUID()}`, email: `raw-${randomUUID()}@bench.hns` })
    .returning('id')
    .executeTakeFirstOrThrow();
  // Held by the order from the start: the floor skips the cart.
  const { seats, seconds, matchId } = await drive(
    deps,
    opts,
    11,
    'ORDER',
    (match, orderId, zone, claimed) =>
      sellHeldSeats(deps, { matchId: match, orderId, userId: buyer.id, zone, claimed }),
  );
  await expectEverySeatSoldOnce(deps, matchId, seats);
  const rate = round(seats / seconds);
  opts.log(
    `raw sale floor: ${seats} seats sold in ${round(seconds)} s with ${opts.concurrency} connections = ${rate} seats/s`,
  );
  return { seatsPerSecond: rate, seats, matchId };
}

/**
 * Claims a fresh copy of the match to sell-out from `concurrency` connections (1–4 seats a
 * claim, an adjacent run, else separated seats, each claim its own transaction) and hands
 * every claim to `after` (the sale floor's order and sale), held as `holdKind` by a fresh
 * owner id (the order's id for the floor). Returns the seats `after` counts as done, the
 * wall time and the copy's match id.
 */
async function drive(
  deps: RawDeps,
  opts: RawOptions,
  seed: number,
  holdKind: 'CART' | 'ORDER',
  after: (
    matchId: string,
    orderId: string,
    zone: string,
    claimed: ClaimedSeat[],
  ) => Promise<number>,
): Promise<{ seats: number; seconds: number; matchId: string }> {
  const twin = await setupSaleMatch(deps, opts.stadium, { ratePerMinute: 1, maxActiveBuyers: 1 });
  const random = seededRandom(seed);
  const exhausted = new Set<string>();
  let seats = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: opts.concurrency }, async () => {
      while (exhausted.size < twin.zones.length) {
        const open = twin.zones.filter((z) => !exhausted.has(z));
        const zone = open[Math.floor(random() * open.length)]!;
        const quantity = 1 + Math.floor(random() * 4);
        const now = new Date();
        const ownerId = randomUUID();
        const target = {
          matchSectorId: zone,
          quantity,
          holdKind,
          holdOwnerId: ownerId,
          heldUntil: new Date(now.getTime() + 20 * 60_000),
          now,
          actorId: null,
        };
        const claimed = await deps.db.transaction().execute(async (trx) => {
          const run = await claimAdjacentRun(trx, target);
          if (run.claimed.length || run.runs > 0) return run.claimed;
          const separated = await claimSeparated(trx, target);
          if (!separated.claimed.length && separated.free < quantity) exhausted.add(zone);
          return separated.claimed;
        });
        if (claimed.length === 0) continue;
        // Awaited first: \`seats += await …\` would read seats before the wait and lose the
        // other connections' additions made meanwhile.
        const done = await after(twin.matchId, ownerId, zone, claimed);
        seats += done;
      }
    }),
  );
  return { seats, seconds: (performance.now() - start) / 1000, matchId: twin.matchId };
}

/** The floor did the real work: every seat it counted is SOLD with exactly one ticket. */
async function expectEverySeatSoldOnce(deps: RawDeps, matchId: string, seats: number) {
  const { rows } = await sql<{ sold: number; tickets: number; seats_ticketed: number }>`
    SELECT (SELECT count(*)::int FROM match_seat_inventory
             WHERE match_id = ${matchId} AND status = 'SOLD') AS sold,
           (SELECT count(*)::int FROM tickets WHERE match_id = ${matchId}) AS tickets,
           (SELECT count(DISTINCT match_seat_inventory_id)::int FROM tickets
             WHERE match_id = ${matchId}) AS seats_ticketed`.execute(deps.db);
  const c = rows[0]!;
  if (c.sold !== seats || c.tickets !== seats || c.seats_ticketed !== seats)
    throw new Error(`raw sale floor counted ${seats} seats but left ${JSON.stringify(c)}`);
}

const PRICE = 4_000;

/** The order of held seats (one transaction), then their sale with tickets (another). */
async function sellHeldSeats(
  deps: RawDeps,
  input: { matchId: string; orderId: string; userId: string; zone: string; claimed: ClaimedSeat[] },
): Promise<number> {
  const total = PRICE * input.claimed.length;
  const { order, items } = await deps.db.transaction().execute(async (trx) => {
    const order = await insertOrder(trx, {
      id: input.orderId,
      user_id: input.userId,
      match_id: input.matchId,
      ticket_amount: total,
      ticket_vat_amount: 0,
      fee_amount: 0,
      fee_vat_amount: 0,
      total_amount: total,
      fee_percent_bp: 0,
      ticket_vat_bp: 0,
      fee_vat_bp: 0,
    });
    const lines: Insertable<OrderItems>[] = input.claimed.map((seat, i) => ({
      order_id: order.id,
      position: i + 1,
      match_seat_inventory_id: seat.id,
      match_sector_id: input.zone,
      unit_price: PRICE,
      ticket_vat_amount: 0,
      fee_amount: 0,
      fee_vat_amount: 0,
      holder_full_name: 'Raw Floor',
      holder_date_of_birth: '1990-01-01',
      holder_nationality: 'HR',
      // A ciphertext's length: the floor writes what a real line holds.
      holder_passport_encrypted: 'v1:'.padEnd(64, 'x'),
      holder_is_minor: false,
      holder_source: 'MANUAL_ENTRY',
    }));
    return { order, items: await writeOrderItems(trx, order.id, lines, { replace: false }) };
  });
  return deps.db.transaction().execute(async (trx) => {
    const now = new Date();
    const tickets = await sellAndIssueOrderTickets(deps, trx, order, items, now);
    if (!tickets) throw new Error(`raw sale floor: order ${order.id} lost its held seats`);
    await transitionOrder(trx, order.id, 'PAYMENT_SUCCEEDED', { completed_at: now });
    return tickets.length;
  });
}

/** Row versions the sale floor wrote per seat sold, per table, and what they cost in indexes. */
export interface SaleWrites {
  tables: Record<string, { rows: number; indexes: number }>;
  /** Row versions written (inserts and updates) per seat sold. */
  rows_per_seat: number;
  /**
   * Index entries per seat sold, at most: an insert or a non-HOT update writes one into every
   * index of its table (a partial index whose predicate excludes the row aside); a HOT
   * update writes none. `hot_share`: HOT updates ÷ updates of match_seat_inventory.
   */
  index_entries_per_seat: number;
  hot_share: number;
}

/**
 * What the sale floor wrote on its copy of the match (`matchId`, `seats` sold), counted from
 * the rows themselves, so the figure does not move with the machine's load: inventory
 * updates are the rows' version increments, the rest are rows of the match. `hotShare` comes
 * from pg_stat_user_tables over the caller's runs.
 */
export async function saleFloorWrites(
  deps: RawDeps,
  matchId: string,
  seats: number,
  hotShare: number,
): Promise<SaleWrites> {
  const { rows } = await sql<{ t: string; n: number; idx: number }>`
    WITH counts(t, n) AS (
      SELECT 'match_seat_inventory', sum(version)::int FROM match_seat_inventory WHERE match_id = ${matchId}
      UNION ALL SELECT 'seat_audit_logs', count(*)::int FROM seat_audit_logs l
        JOIN match_seat_inventory m ON m.id = l.match_seat_inventory_id WHERE m.match_id = ${matchId}
      UNION ALL SELECT 'orders', count(*)::int FROM orders WHERE match_id = ${matchId}
      UNION ALL SELECT 'order_items', count(*)::int FROM order_items i
        JOIN orders o ON o.id = i.order_id WHERE o.match_id = ${matchId}
      UNION ALL SELECT 'tickets', count(*)::int FROM tickets WHERE match_id = ${matchId}
      UNION ALL SELECT 'ticket_holders', count(*)::int FROM ticket_holders h
        JOIN tickets k ON k.id = h.ticket_id WHERE k.match_id = ${matchId}
    )
    SELECT c.t, c.n, (SELECT count(*)::int FROM pg_index i WHERE i.indrelid = c.t::regclass) AS idx
      FROM counts c`.execute(deps.db);
  const out: SaleWrites = {
    tables: {},
    rows_per_seat: 0,
    index_entries_per_seat: 0,
    hot_share: hotShare,
  };
  let written = 0;
  let entries = 0;
  for (const r of rows) {
    // Orders are inserted, then updated once (PAYMENT_SUCCEEDED), never HOT (status is indexed).
    const versions = r.t === 'orders' ? r.n * 2 : r.n;
    const hot = r.t === 'match_seat_inventory' ? versions * hotShare : 0;
    written += versions;
    entries += (versions - hot) * r.idx;
    out.tables[r.t] = { rows: round(versions / seats, 2), indexes: r.idx };
  }
  out.rows_per_seat = round(written / seats, 2);
  out.index_entries_per_seat = round(entries / seats, 2);
  return out;
}

/** HOT updates ÷ updates of match_seat_inventory so far (this database's statistics). */
export async function inventoryHotShare(deps: RawDeps): Promise<{ upd: number; hot: number }> {
  const { rows } = await sql<{ upd: string; hot: string }>`
    SELECT n_tup_upd AS upd, n_tup_hot_upd AS hot FROM pg_stat_user_tables
     WHERE relname = 'match_seat_inventory'`.execute(deps.db);
  return { upd: Number(rows[0]?.upd ?? 0), hot: Number(rows[0]?.hot ?? 0) };
}
