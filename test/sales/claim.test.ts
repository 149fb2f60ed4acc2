import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import {
  CLAIM_WINDOW,
  claimAdjacentRun,
  claimSeparated,
} from '../../src/modules/sales/claim.repo.ts';
import { useTestContext } from '../harness/context.ts';
import { createLockedMatch } from '../factories/matches.ts';

const t = useTestContext();

async function seatsOf(matchSectorId: string) {
  return t.deps.db
    .selectFrom('match_seat_inventory')
    .select(['id', 'row_index', 'col_index', 'status', 'hold_owner_id', 'snake_order'])
    .where('match_sector_id', '=', matchSectorId)
    .orderBy('row_index')
    .orderBy('col_index')
    .execute();
}

const target = (matchSectorId: string, quantity: number, minutes = 20) => ({
  matchSectorId,
  quantity,
  holdKind: 'CART' as const,
  holdOwnerId: randomUUID(),
  heldUntil: new Date(t.clock.now().getTime() + minutes * 60_000),
  now: t.clock.now(),
  actorId: null,
});

describe('seat claim statements (E4-F3)', () => {
  it('takes the first adjacent run in snake order and avoids leaving one orphan seat', async () => {
    const m = await createLockedMatch(t.deps, { rows: 3, seatsPerRow: 10 });
    const sector = m.sectors[0]!.matchSectorId;
    const first = await claimAdjacentRun(t.deps.db, target(sector, 4));
    expect(first.claimed.map((s) => [s.row_index, s.col_index])).toEqual([
      [0, 0],
      [0, 1],
      [0, 2],
      [0, 3],
    ]);
    // Row 0 now has 6 free seats (4..9): a run of 5 would leave one orphan; 4..7 leaves two.
    const second = await claimAdjacentRun(t.deps.db, target(sector, 5));
    expect(second.claimed).toHaveLength(5);
    const cols = second.claimed.map((s) => s.col_index).sort((a, b) => a - b);
    const row = second.claimed[0]!.row_index;
    // no single free seat is left alone in the row that was used
    const rowSeats = (await seatsOf(sector)).filter((s) => s.row_index === row);
    const free = rowSeats.filter((s) => s.status === 'AVAILABLE').map((s) => s.col_index);
    const isolated = free.filter((c) => !free.includes(c - 1) && !free.includes(c + 1));
    expect(isolated.length === 0 || free.length === 1).toBe(true);
    expect(cols.at(-1)! - cols[0]!).toBe(4);
  });

  it('ranks runs among the first seats of a big sector, and the whole sector when those hold no run', async () => {
    const seatsPerRow = 40;
    const rows = Math.ceil((CLAIM_WINDOW * 2) / seatsPerRow);
    const m = await createLockedMatch(t.deps, { rows, seatsPerRow });
    const sector = m.sectors[0]!.matchSectorId;
    const seats = await seatsOf(sector);
    const bySnake = [...seats].sort((a, b) => a.snake_order - b.snake_order);
    // The first window's worth of seats in snake order: every other one sold, no pair left.
    const front = new Set(bySnake.slice(0, CLAIM_WINDOW * 2).map((s) => s.id));
    const checker = seats
      .filter((s) => front.has(s.id) && (s.row_index + s.col_index) % 2 === 0)
      .map((s) => s.id);
    await sql`UPDATE match_seat_inventory SET status = 'SOLD' WHERE id = ANY(${checker}::uuid[])`.execute(
      t.deps.db,
    );
    // The window (the first CLAIM_WINDOW claimable seats) has no run of 2; a run exists
    // further back, and the claim still finds the first one in snake order.
    const got = await claimAdjacentRun(t.deps.db, target(sector, 2));
    expect(got.claimed).toHaveLength(2);
    const [a, b] = got.claimed.sort((x, y) => x.col_index - y.col_index);
    expect(a!.row_index).toBe(b!.row_index);
    expect(b!.col_index - a!.col_index).toBe(1);
    const after = await seatsOf(sector);
    const freeSnake = after
      .filter((s) => s.status === 'AVAILABLE')
      .map((s) => s.snake_order)
      .sort((x, y) => x - y);
    // no earlier adjacent pair was passed over
    const firstTaken = Math.min(...got.claimed.map((s) => s.snake_order));
    const earlierPairs = after.filter(
      (s) =>
        s.status === 'AVAILABLE' &&
        s.snake_order < firstTaken &&
        after.some(
          (o) =>
            o.status === 'AVAILABLE' &&
            o.row_index === s.row_index &&
            o.col_index === s.col_index + 1 &&
            o.snake_order < firstTaken,
        ),
    );
    expect(earlierPairs).toEqual([]);
    expect(freeSnake.length).toBe(seats.length - checker.length - 2);
  });

  it('treats expired holds as free and falls back to separated seats when no run exists', async () => {
    const m = await createLockedMatch(t.deps, { rows: 2, seatsPerRow: 4 });
    const sector = m.sectors[0]!.matchSectorId;
    const seats = await seatsOf(sector);
    // checkerboard: every other seat sold, so no two free seats are adjacent
    const sold = seats.filter((s) => (s.row_index + s.col_index) % 2 === 0).map((s) => s.id);
    await sql`UPDATE match_seat_inventory SET status = 'SOLD' WHERE id = ANY(${sold}::uuid[])`.execute(
      t.deps.db,
    );
    const none = await claimAdjacentRun(t.deps.db, target(sector, 2));
    expect(none).toMatchObject({ runs: 0, free: 4, claimed: [] });
    const separated = await claimSeparated(t.deps.db, target(sector, 3, -1));
    expect(separated.claimed).toHaveLength(3);
    // those holds are already expired (held_until in the past): claimable again at once
    const again = await claimSeparated(t.deps.db, target(sector, 4));
    expect(again.claimed).toHaveLength(4);
    const tooMany = await claimSeparated(t.deps.db, target(sector, 1));
    expect(tooMany).toMatchObject({ free: 0, claimed: [] });
  });

  it('never gives a seat to two concurrent claimers', async () => {
    const m = await createLockedMatch(t.deps, { rows: 5, seatsPerRow: 12 });
    const sector = m.sectors[0]!.matchSectorId;
    const owners = await Promise.all(
      Array.from({ length: 40 }, async () => {
        const tg = target(sector, 2);
        for (let i = 0; i < 50; i++) {
          const r = await claimAdjacentRun(t.deps.db, tg);
          if (r.claimed.length) return { owner: tg.holdOwnerId, seats: r.claimed, adjacent: true };
          if (r.runs === 0) {
            const s = await claimSeparated(t.deps.db, tg);
            if (s.claimed.length)
              return { owner: tg.holdOwnerId, seats: s.claimed, adjacent: false };
            if (s.free < 2) return null;
          }
        }
        return null;
      }),
    );
    const won = owners.filter((o) => o !== null);
    expect(won).toHaveLength(30);
    expect(won.filter((o) => o.adjacent).length).toBeGreaterThanOrEqual(27);
    const ids = won.flatMap((o) => o!.seats.map((s) => s.id));
    expect(new Set(ids).size).toBe(60);
    for (const o of won.filter((w) => w.adjacent)) {
      expect(Math.abs(o.seats[1]!.col_index - o.seats[0]!.col_index)).toBe(1);
    }
    const rows = await seatsOf(sector);
    for (const o of won) {
      for (const s of o!.seats)
        expect(rows.find((r) => r.id === s.id)!.hold_owner_id).toBe(o!.owner);
    }
  });
});
