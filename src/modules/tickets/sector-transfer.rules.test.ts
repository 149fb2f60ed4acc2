import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FreeSeat } from '../sales/seat-runs.ts';
import { planSectorTransfer, type MovingTicket } from './sector-transfer.rules.ts';

/** A rows × cols sector with the given cells taken, snake order row by row left to right. */
function sector(rows: number, cols: number, taken: ReadonlySet<number> = new Set()): FreeSeat[] {
  const seats: FreeSeat[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const n = r * cols + c;
      if (!taken.has(n))
        seats.push({ id: `s${n}`, row_index: r, col_index: c, snake_order: n + 1 });
    }
  }
  return seats;
}

function tickets(orderSizes: readonly number[]): MovingTicket[] {
  let k = 0;
  return orderSizes.flatMap((size, o) =>
    Array.from({ length: size }, () => ({ id: `t${k}`, order_id: `o${o}`, source_order: k++ })),
  );
}

const adjacent = (seats: FreeSeat[]) => {
  const sorted = [...seats].sort((a, b) => a.col_index - b.col_index);
  return sorted.every(
    (s, i) =>
      i === 0 ||
      (s.row_index === sorted[0]!.row_index && s.col_index === sorted[i - 1]!.col_index + 1),
  );
};

describe('planSectorTransfer (E3-F6)', () => {
  it('gives every ticket its own free seat, or none with the number missing', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 12 }),
        fc.array(fc.integer({ min: 1, max: 6 }), { maxLength: 12 }),
        fc.uniqueArray(fc.integer({ min: 0, max: 95 }), { maxLength: 40 }),
        (rows, cols, sizes, taken) => {
          const free = sector(rows, cols, new Set(taken));
          const moving = tickets(sizes);
          const plan = planSectorTransfer(moving, free);
          expect(plan.orders).toBe(sizes.length);
          if (moving.length > free.length) {
            expect(plan.missing).toBe(moving.length - free.length);
            expect(plan.seats.size).toBe(0);
            return;
          }
          expect(plan.missing).toBe(0);
          expect(plan.seats.size).toBe(moving.length);
          const used = [...plan.seats.values()].map((s) => s.id);
          expect(new Set(used).size).toBe(used.length);
          const freeIds = new Set(free.map((s) => s.id));
          expect(used.every((id) => freeIds.has(id))).toBe(true);
          // An order not counted as split sits together.
          let split = 0;
          sizes.forEach((_, o) => {
            const mine = moving
              .filter((t) => t.order_id === `o${o}`)
              .map((t) => plan.seats.get(t.id)!);
            if (!adjacent(mine)) split++;
          });
          expect(split).toBeLessThanOrEqual(plan.ordersSplit);
        },
      ),
    );
  });

  it('keeps orders together in an empty destination when rows allow, in snake order', () => {
    const plan = planSectorTransfer(tickets([3, 1, 4, 2]), sector(3, 10));
    expect(plan.ordersSplit).toBe(0);
    const seatsOf = (o: number) =>
      tickets([3, 1, 4, 2])
        .filter((t) => t.order_id === `o${o}`)
        .map((t) => plan.seats.get(t.id)!);
    for (const o of [0, 1, 2, 3]) expect(adjacent(seatsOf(o))).toBe(true);
    // The largest order first, at the front of the snake.
    expect(seatsOf(2).map((s) => s.id)).toEqual(['s0', 's1', 's2', 's3']);
  });

  it('splits an order only when no run of its size is free', () => {
    // Row of 4 with the middle seat taken: no run of 3 anywhere.
    const plan = planSectorTransfer(tickets([3]), sector(1, 4, new Set([1])));
    expect(plan.ordersSplit).toBe(1);
    expect(plan.seats.size).toBe(3);
  });
});
