import { describe, expect, it } from 'vitest';
import { findViolations, INVARIANTS } from '../../src/modules/integrity/integrity.repo.ts';
import {
  createFan,
  createSale,
  deliver,
  type Fan,
  holdersFor,
  useStripeTestContext,
} from './helpers.ts';

const { t, stripe } = await useStripeTestContext({
  env: { RATE_LIMIT_MAX: '1000000', DATABASE_POOL_MAX: '20' },
});

const FANS = 300;
const ROWS = 10;
const SEATS_PER_ROW = 20;

interface Outcome {
  fan: Fan;
  seats: Array<{ row: string; seat_number: number; inventory_id: string }>;
  warned: boolean;
  orderId: string | null;
}

describe('on-sale rush', () => {
  it(
    `${FANS} fans buying at once in a ${ROWS * SEATS_PER_ROW}-seat sector sell it out exactly, no seat twice`,
    { timeout: 180_000 },
    async () => {
      const sale = await createSale(t.deps, {
        rows: ROWS,
        seatsPerRow: SEATS_PER_ROW,
        price: 2000,
      });
      const fans: Fan[] = [];
      while (fans.length < FANS) {
        fans.push(...(await Promise.all(Array.from({ length: 10 }, () => createFan(t.deps)))));
      }
      await t.app();

      // All fans start at once; like the load balancer in front of a real instance, at most
      // IN_FLIGHT requests are served concurrently (the pool has 20 connections and this
      // machine 2 shared cores), the rest wait their turn, still racing for the same seats.
      const IN_FLIGHT = 60;
      let active = 0;
      const waiting: Array<() => void> = [];
      const request: typeof t.request = async (options) => {
        if (active >= IN_FLIGHT) await new Promise<void>((resolve) => waiting.push(resolve));
        active++;
        try {
          return await t.request(options);
        } finally {
          active--;
          waiting.shift()?.();
        }
      };
      const buy = async (fan: Fan, index: number): Promise<Outcome | null> => {
        let quantity = [2, 3, 1, 4, 2, 2, 3, 1][index % 8]!;
        for (;;) {
          const add = await request({
            method: 'POST',
            url: '/cart/add',
            token: fan.token,
            payload: { match_id: sale.matchId, match_sector_id: sale.zoneId, quantity },
          });
          if (add.statusCode === 200) {
            const body = add.json();
            const holders = await request({
              method: 'POST',
              url: '/checkout/ticket-holders',
              token: fan.token,
              payload: { cart_id: body.cart.id, holders: holdersFor(quantity) },
            });
            expect(holders.statusCode, holders.body).toBe(200);
            const pay = await request({
              method: 'POST',
              url: '/checkout/pay',
              token: fan.token,
              headers: { 'idempotency-key': `rush-${fan.id}` },
              payload: { order_id: holders.json().id },
            });
            expect(pay.statusCode, pay.body).toBe(200);
            const webhook = await deliver(
              { request } as typeof t,
              stripe,
              stripe.succeed(pay.json().payment_intent_id),
            );
            expect(webhook.json().outcome).toBe('completed');
            return {
              fan,
              seats: body.cart.seats,
              warned: body.warnings.length > 0,
              orderId: holders.json().id,
            };
          }
          const problem = add.json();
          expect(add.statusCode, add.body).toBe(409);
          expect(problem.code).toBe('SEATS_INSUFFICIENT');
          // "Only 2 left": a real fan takes what is left, if anything.
          if (problem.available === 0) return null;
          quantity = Math.min(quantity, problem.available);
        }
      };
      const outcomes = (await Promise.all(fans.map(buy))).filter((o): o is Outcome => o !== null);

      const sold = await t.deps.db
        .selectFrom('match_seat_inventory')
        .select(['id', 'status', 'row_index', 'col_index'])
        .where('match_id', '=', sale.matchId)
        .execute();
      expect(sold.filter((s) => s.status === 'SOLD')).toHaveLength(ROWS * SEATS_PER_ROW);
      const tickets = await t.deps.db
        .selectFrom('tickets')
        .select(['match_seat_inventory_id', 'order_id'])
        .where('match_id', '=', sale.matchId)
        .where('status', '=', 'SOLD')
        .execute();
      expect(tickets).toHaveLength(ROWS * SEATS_PER_ROW);
      expect(new Set(tickets.map((x) => x.match_seat_inventory_id)).size).toBe(
        ROWS * SEATS_PER_ROW,
      );
      const seatIds = outcomes.flatMap((o) => o.seats.map((s) => s.inventory_id));
      expect(new Set(seatIds).size).toBe(seatIds.length);
      expect(seatIds).toHaveLength(ROWS * SEATS_PER_ROW);

      // Adjacency: every multi-seat purchase sits side by side unless it was warned.
      const position = new Map(sold.map((s) => [s.id, s]));
      const adjacent = (o: Outcome) => {
        const cells = o.seats.map((s) => position.get(s.inventory_id)!);
        const cols = cells.map((c) => c.col_index).sort((a, b) => a - b);
        return (
          cells.every((c) => c.row_index === cells[0]!.row_index) &&
          cols.every((c, i) => i === 0 || c === cols[i - 1]! + 1)
        );
      };
      const multi = outcomes.filter((o) => o.seats.length > 1);
      for (const o of multi) if (!adjacent(o)) expect(o.warned).toBe(true);
      const adjacentShare = multi.filter(adjacent).length / multi.length;
      console.log(
        `rush: ${outcomes.length} buyers, ${multi.length} multi-seat, ${(adjacentShare * 100).toFixed(1)} % adjacent`,
      );
      expect(adjacentShare).toBeGreaterThan(0.9);

      for (const invariant of INVARIANTS) {
        const bad = await findViolations(t.deps.db, invariant, sale.matchId, t.clock.now(), 120);
        expect(bad, invariant.name).toEqual([]);
      }
    },
  );
});
