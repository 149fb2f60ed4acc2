import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { sql, type RawBuilder } from 'kysely';
import { describe, expect, it } from 'vitest';
import { claimableInSnakeOrder, RUN_CANDIDATES } from '../../src/modules/sales/claim.repo.ts';
import { rankAdjacentRuns, type FreeSeat } from '../../src/modules/sales/seat-runs.ts';
import { useTestContext } from '../harness/context.ts';
import { createLockedMatch } from '../factories/matches.ts';
import { seatGrids } from '../factories/seat-grids.ts';

const t = useTestContext();

interface OracleRun {
  row_index: number;
  start_col: number;
  orphan: boolean;
  snake_key: number;
}

/**
 * The oracle: the ranking part of the claim statement as it was before the ranking moved
 * to seat-runs.ts (window functions over the free seats, verbatim), run by PostgreSQL over
 * `source` (id, row_index, col_index, snake_order). It returns every run in rank order and
 * the candidate seat ids the statement went on to lock, in the order it tried them.
 */
async function oracle(source: RawBuilder<unknown>, quantity: number) {
  const { rows } = await sql<{ free: number; runs: OracleRun[]; ids: string[] }>`
    WITH free AS (
      SELECT f.id, f.row_index, f.col_index, f.snake_order,
             f.col_index - row_number() OVER (PARTITION BY f.row_index ORDER BY f.col_index) AS block
        FROM (${source}) f
    ),
    blocks AS (
      SELECT free.*,
             min(col_index) OVER b AS block_lo,
             max(col_index) OVER b AS block_hi
        FROM free
      WINDOW b AS (PARTITION BY row_index, block)
    ),
    windows AS (
      SELECT row_index, col_index AS start_col, block_lo, block_hi,
             count(*) OVER w AS len,
             min(snake_order) OVER w AS snake_key
        FROM blocks
      WINDOW w AS (PARTITION BY row_index, block ORDER BY col_index
                   ROWS BETWEEN CURRENT ROW AND ${sql.lit(quantity - 1)} FOLLOWING)
    ),
    runs AS (
      SELECT row_index, start_col, snake_key,
             (start_col - block_lo = 1 OR block_hi - (start_col + ${quantity} - 1) = 1) AS orphan,
             row_number() OVER (
               ORDER BY (start_col - block_lo = 1 OR block_hi - (start_col + ${quantity} - 1) = 1),
                        snake_key
             ) AS rank
        FROM windows
       WHERE len = ${quantity}
    ),
    candidates AS (
      SELECT r.rank, f.id, f.snake_order
        FROM runs r
        JOIN free f ON f.row_index = r.row_index
                   AND f.col_index BETWEEN r.start_col AND r.start_col + ${quantity} - 1
       WHERE r.rank <= ${RUN_CANDIDATES}
    )
    SELECT (SELECT count(*) FROM free)::int AS free,
           COALESCE((SELECT json_agg(json_build_object(
                       'row_index', row_index, 'start_col', start_col,
                       'orphan', orphan, 'snake_key', snake_key) ORDER BY rank)
                       FROM runs), '[]'::json) AS runs,
           COALESCE((SELECT array_agg(id::text ORDER BY rank, snake_order) FROM candidates),
                    '{}') AS ids
  `.execute(t.deps.db);
  return rows[0]!;
}

const fromSeats = (seats: FreeSeat[]) =>
  sql`SELECT * FROM unnest(${seats.map((s) => s.id)}::text[], ${seats.map((s) => s.row_index)}::int[],
                           ${seats.map((s) => s.col_index)}::int[], ${seats.map((s) => s.snake_order)}::int[])
        AS s(id, row_index, col_index, snake_order)`;

/**
 * The TypeScript ranking against the oracle's. Runs whose rank keys (orphan, first seat in
 * snake order) are equal have no order in SQL (row_number over a tie); seat-runs.ts breaks
 * the tie by the runs' further seats. So: the same runs with the same keys, in the same key
 * order; and, when no two runs tie, the same candidate seats in the same order.
 */
function expectSameRanking(
  got: ReturnType<typeof rankAdjacentRuns>,
  want: Awaited<ReturnType<typeof oracle>>,
) {
  const key = (r: OracleRun) => [r.orphan, r.snake_key];
  const mine: OracleRun[] = got.best.map((r) => ({
    row_index: r.row_index,
    start_col: r.start_col,
    orphan: r.orphan,
    snake_key: r.snake[0]!,
  }));
  expect(got.free).toBe(want.free);
  expect(got.runs).toBe(want.runs.length);
  expect(mine.map(key)).toEqual(want.runs.map(key));
  const byPosition = (a: OracleRun, b: OracleRun) =>
    a.row_index - b.row_index || a.start_col - b.start_col;
  expect([...mine].sort(byPosition)).toEqual([...want.runs].sort(byPosition));
  const keys = new Set(mine.map((r) => JSON.stringify(key(r))));
  if (keys.size === mine.length) {
    expect(got.best.slice(0, RUN_CANDIDATES).flatMap((r) => r.ids)).toEqual(want.ids);
  }
}

describe('adjacent run ranking in TypeScript vs the SQL it replaced (E4-F3)', () => {
  it('ranks the same runs as the window-function SQL for random small sectors', async () => {
    await fc.assert(
      fc.asyncProperty(seatGrids, async ({ seats, quantity }) => {
        const want = await oracle(fromSeats(seats), quantity);
        expectSameRanking(rankAdjacentRuns(seats, quantity, Number.POSITIVE_INFINITY), want);
      }),
      { numRuns: 400 },
    );
  });

  it('reads the same window of claimable seats as the statement did, and ranks it the same', async () => {
    const rows = 6;
    const seatsPerRow = 10;
    const m = await createLockedMatch(t.deps, { rows, seatsPerRow });
    const sector = m.sectors[0]!.matchSectorId;
    const seats = await t.deps.db
      .selectFrom('match_seat_inventory')
      .select(['id', 'row_index', 'col_index'])
      .where('match_sector_id', '=', sector)
      .execute();
    const now = t.clock.now();
    const states = fc.constantFrom('AVAILABLE', 'SOLD', 'BLOCKED', 'EXPIRED', 'HELD');
    await fc.assert(
      fc.asyncProperty(
        fc.array(states, { minLength: seats.length, maxLength: seats.length }),
        fc.shuffledSubarray(
          seats.map((_, i) => i),
          { minLength: seats.length, maxLength: seats.length },
        ),
        fc.integer({ min: 1, max: 4 }),
        fc.option(fc.integer({ min: 1, max: seats.length + 5 })),
        async (state, snake, quantity, window) => {
          const held = (s: string) => s === 'EXPIRED' || s === 'HELD';
          await sql`
            UPDATE match_seat_inventory m
               SET status = v.status::seat_status, snake_order = v.snake_order,
                   hold_kind = CASE WHEN v.held_until IS NULL THEN NULL ELSE 'CART'::hold_kind END,
                   hold_owner_id = CASE WHEN v.held_until IS NULL THEN NULL ELSE ${randomUUID()}::uuid END,
                   held_until = v.held_until
              FROM unnest(${seats.map((s) => s.id)}::uuid[],
                          ${state.map((s) => (held(s) ? 'RESERVED' : s))}::text[],
                          ${snake}::int[],
                          ${state.map((s) => (s === 'EXPIRED' ? new Date(now.getTime() - 1_000) : s === 'HELD' ? new Date(now.getTime() + 60_000) : null))}::timestamptz[])
                   AS v(id, status, snake_order, held_until)
             WHERE m.id = v.id`.execute(t.deps.db);
          // the statement's read, verbatim: claimable seats in snake order, the first `window`
          const want = await oracle(
            sql`SELECT s.id, s.row_index, s.col_index, s.snake_order
                  FROM match_seat_inventory s
                 WHERE s.match_sector_id = ${sector}
                   AND (s.status = 'AVAILABLE' OR (s.status = 'RESERVED' AND s.held_until < ${now}))
                 ORDER BY s.snake_order
                 ${window === null ? sql`` : sql`LIMIT ${window}`}`,
            quantity,
          );
          const read = await claimableInSnakeOrder(t.deps.db, sector, now, window);
          expect(read.map((s) => s.snake_order)).toEqual(
            [...read.map((s) => s.snake_order)].sort((a, b) => a - b),
          );
          expectSameRanking(rankAdjacentRuns(read, quantity, Number.POSITIVE_INFINITY), want);
          const top = rankAdjacentRuns(read, quantity, RUN_CANDIDATES);
          expect(top.best).toHaveLength(Math.min(RUN_CANDIDATES, want.runs.length));
        },
      ),
      { numRuns: 150 },
    );
  });
});
