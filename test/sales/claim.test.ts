import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import {
  CLAIM_WINDOW,
  claimableInSnakeOrder,
  claimAdjacentRun,
  claimRunAmong,
  claimSeparated,
  RUN_CANDIDATES,
  type ClaimedSeat,
} from '../../src/modules/sales/claim.repo.ts';
import { rankAdjacentRuns } from '../../src/modules/sales/seat-runs.ts';
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

/** The SQL texts pg sends while `fn` runs, with their parameters and connections. */
async function statementsOf<T>(fn: () => Promise<T>): Promise<{
  result: T;
  texts: string[];
  sent: Array<{ text: string; values: unknown[]; connection: unknown }>;
}> {
  const sent: Array<{ text: string; values: unknown[]; connection: unknown }> = [];
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const real = proto.query;
  proto.query = function (this: unknown, ...args: unknown[]) {
    const q = args[0] as string | { text: string; values?: unknown[] };
    const text = (typeof q === 'string' ? q : q.text).trim();
    const values = (typeof q === 'string' ? args[1] : q.values) ?? [];
    sent.push({ text, values: values as unknown[], connection: this });
    return real.apply(this, args);
  };
  try {
    const result = await fn();
    return { result, texts: sent.map((s) => s.text), sent };
  } finally {
    proto.query = real;
  }
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
    const { result: got, texts } = await statementsOf(() =>
      claimAdjacentRun(t.deps.db, target(sector, 2)),
    );
    expect(got.claimed).toHaveLength(2);
    // the window's read, the whole sector's read, the claim
    expect(texts).toHaveLength(3);
    expect(texts[0]).toMatch(/LIMIT \$\d+$/);
    expect(texts[1]).not.toMatch(/LIMIT/);
    expect(texts[2]).toMatch(/FOR UPDATE SKIP LOCKED/);
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
    const { result: none, texts } = await statementsOf(() =>
      claimAdjacentRun(t.deps.db, target(sector, 2)),
    );
    expect(none).toMatchObject({ runs: 0, free: 4, claimed: [] });
    // no run in a window that is not full: the read alone, no claim statement
    expect(texts).toHaveLength(1);
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
  it('is a plain read of the window and ONE claim statement', async () => {
    const m = await createLockedMatch(t.deps, { rows: 2, seatsPerRow: 6 });
    const sector = m.sectors[0]!.matchSectorId;
    // The runs used to be ranked inside the claim statement, with window functions, the
    // costliest work of the on-sale on the one database. They are ranked in the API process
    // now (seat-runs.ts), which scales out: a cart addition sends one statement more, a
    // cheap index read without locks, and the claim statement only locks and updates.
    const { result, texts } = await statementsOf(() =>
      claimAdjacentRun(t.deps.db, target(sector, 3)),
    );
    expect(result.claimed.map((s) => [s.row_index, s.col_index])).toEqual([
      [0, 0],
      [0, 1],
      [0, 2],
    ]);
    expect(result).toMatchObject({ free: 12, runs: 8 });
    expect(texts).toHaveLength(2);
    expect(texts[0]).toMatch(/^SELECT s\.id, s\.row_index, s\.col_index, s\.snake_order\s/);
    expect(texts[0]).not.toMatch(/FOR UPDATE/);
    expect(texts[1]).toMatch(/FOR UPDATE SKIP LOCKED/);
    expect(texts[1]).toMatch(/UPDATE match_seat_inventory/);
    expect(texts[1]).toMatch(/INSERT INTO seat_audit_logs/);
  });

  it('sends the read and the claim on one connection, even outside a transaction with the pool busy', async () => {
    // A claim that queued for the pool between its read and its claim would find its
    // candidates taken by the claims served meanwhile (measured: 8× the claim statements).
    const m = await createLockedMatch(t.deps, { rows: 2, seatsPerRow: 6 });
    const sector = m.sectors[0]!.matchSectorId;
    const { result, sent } = await statementsOf(async () => {
      // 9 of the pool's 10 connections busy, and one more slow statement queued behind the
      // claim: a connection released after the read would go to that one
      const busy = Array.from({ length: 9 }, () => sql`SELECT pg_sleep(0.3)`.execute(t.deps.db));
      const claim = claimAdjacentRun(t.deps.db, target(sector, 2));
      const queued = sql`SELECT pg_sleep(${0.3}::float)`.execute(t.deps.db);
      await Promise.all([...busy, queued]);
      return claim;
    });
    expect(result.claimed).toHaveLength(2);
    const ofClaim = sent.filter((s) => s.values.includes(sector));
    expect(ofClaim).toHaveLength(2);
    expect(ofClaim[0]!.connection).toBe(ofClaim[1]!.connection);
  });

  it('re-checks the seats of a stale read under the lock: seats taken or being taken since are passed over', async () => {
    const m = await createLockedMatch(t.deps, { rows: 1, seatsPerRow: 8 });
    const sector = m.sectors[0]!.matchSectorId;
    const cols = (seats: ClaimedSeat[]) => seats.map((s) => s.col_index);
    const read = await claimableInSnakeOrder(t.deps.db, sector, t.clock.now(), CLAIM_WINDOW);
    const stale = rankAdjacentRuns(read, 2, RUN_CANDIDATES).best;
    expect(stale.slice(0, 4).map((r) => r.start_col)).toEqual([0, 2, 3, 4]);

    // after the read: one buyer takes seats 0–1 (committed), another is taking 2–3 (locked)
    const first = await claimAdjacentRun(t.deps.db, target(sector, 2));
    expect(cols(first.claimed)).toEqual([0, 1]);
    const taken = await t.deps.db.transaction().execute(async (trx) => {
      const second = await claimRunAmong(trx, target(sector, 2), stale);
      expect(cols(second)).toEqual([2, 3]);
      // The stale ranking still puts 0–1 and 2–3 first, and the other buyer's statement
      // holds the locks of two runs' worth (2–5) until it commits: the claim neither takes
      // any of those seats nor waits for them.
      const third = await claimRunAmong(t.deps.db, target(sector, 2), stale);
      expect(cols(third)).toEqual([6, 7]);
      return [...first.claimed, ...second, ...third].map((s) => s.id);
    });
    const held = (await seatsOf(sector)).filter((s) => s.status === 'RESERVED');
    expect(held.map((s) => s.id).sort()).toEqual([...taken].sort());
    expect(new Set(held.map((s) => s.hold_owner_id)).size).toBe(3);
    // a stale run whose seats are all held by now claims nothing
    expect(await claimRunAmong(t.deps.db, target(sector, 2), stale.slice(0, 2))).toEqual([]);
  });

  it(
    'never gives a seat to two of many concurrent claimers of 1–4 seats in a sector bigger than the window',
    { timeout: 120_000 },
    async () => {
      const m = await createLockedMatch(t.deps, { rows: 20, seatsPerRow: 30 });
      const sector = m.sectors[0]!.matchSectorId;
      const seats = await seatsOf(sector);
      // irregular blocks: some seats sold before the rush
      const sold = seats
        .filter((s) => (s.row_index * 31 + s.col_index * 17) % 9 === 0)
        .map((s) => s.id);
      await sql`UPDATE match_seat_inventory SET status = 'SOLD' WHERE id = ANY(${sold}::uuid[])`.execute(
        t.deps.db,
      );
      const onSale = seats.length - sold.length;
      expect(onSale).toBeGreaterThan(CLAIM_WINDOW * 2);
      const claims: Array<{ owner: string; seats: ClaimedSeat[]; adjacent: boolean }> = [];
      let index = 0;
      let soldOut = false;
      await Promise.all(
        Array.from({ length: 60 }, async () => {
          while (!soldOut) {
            let quantity = [2, 3, 1, 4][index++ % 4]!;
            for (let attempt = 0; ; attempt++) {
              expect(attempt).toBeLessThan(200);
              const tg = target(sector, quantity);
              const run = await claimAdjacentRun(t.deps.db, tg);
              if (run.claimed.length) {
                claims.push({ owner: tg.holdOwnerId, seats: run.claimed, adjacent: true });
                break;
              }
              if (run.runs > 0) continue;
              if (run.free === 0) {
                soldOut = true;
                break;
              }
              quantity = Math.min(quantity, run.free);
              const separated = await claimSeparated(t.deps.db, { ...tg, quantity });
              if (separated.claimed.length) {
                claims.push({ owner: tg.holdOwnerId, seats: separated.claimed, adjacent: false });
                break;
              }
            }
          }
        }),
      );
      const ids = claims.flatMap((c) => c.seats.map((s) => s.id));
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toHaveLength(onSale);
      for (const c of claims.filter((x) => x.adjacent)) {
        const byCol = c.seats.map((s) => [s.row_index, s.col_index]).sort((a, b) => a[1]! - b[1]!);
        byCol.forEach(([row, col], i) =>
          expect([row, col]).toEqual([byCol[0]![0], byCol[0]![1]! + i]),
        );
      }
      const holder = new Map((await seatsOf(sector)).map((s) => [s.id, s.hold_owner_id]));
      for (const c of claims) for (const s of c.seats) expect(holder.get(s.id)).toBe(c.owner);
      const { rows: trail } = await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM seat_audit_logs l
          JOIN match_seat_inventory m ON m.id = l.match_seat_inventory_id
         WHERE m.match_sector_id = ${sector} AND l.action = 'HOLD_CREATED'
         GROUP BY l.match_seat_inventory_id HAVING count(*) > 1`.execute(t.deps.db);
      expect(trail).toEqual([]);
    },
  );
});
