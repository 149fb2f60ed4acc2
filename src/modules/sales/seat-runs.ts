/**
 * Ranking of adjacent seat runs for the claim (E4-F3), pure and deterministic. It runs in
 * the API process, not in PostgreSQL: API processes scale out, the database does not, and
 * ranking with window functions in SQL was the most expensive part of the on-sale's most
 * expensive statement. The claim statement (claim.repo.ts) re-checks every seat under its
 * row lock, so a stale ranking can only cost a retry, never a seat held twice.
 *
 * The ranking, precisely (as the SQL it replaced: blocks, windows, orphan rule):
 * - A **block** is a maximal set of free seats of one row with consecutive `col_index`
 *   (a sold seat, a hole or an aisle in the column numbering ends it).
 * - A **run** is `quantity` consecutive seats of one block, one per start column from the
 *   block's first seat to its `quantity`-th last.
 * - A run **leaves an orphan** when exactly one free seat of its block is left on either
 *   side of it (`start_col - block_lo = 1` or `block_hi - end_col = 1`).
 * - Runs rank by: orphan-leaving runs last, then the smallest `snake_order` among the run's
 *   seats. Runs sharing that smallest seat (a CENTER_OUTWARD row, whose seats do not follow
 *   `col_index` in snake order) rank by the rest of their seats' snake orders, compared in
 *   increasing order, so the run closer to the front of the snake wins; the SQL left that
 *   tie to the sort. Two runs never have all the same snake orders.
 */

export interface FreeSeat {
  id: string;
  row_index: number;
  col_index: number;
  snake_order: number;
}

export interface SeatRun {
  row_index: number;
  start_col: number;
  /** Whether the run leaves a single free seat alone in its block. */
  orphan: boolean;
  /** The run's seats' snake orders, increasing (the first is its rank key). */
  snake: number[];
  /** The run's seat ids in snake order. */
  ids: string[];
}

export interface RankedRuns {
  /** Seats ranked among. */
  free: number;
  /** All runs of `quantity` seats among them. */
  runs: number;
  /** The best `limit` runs, best first. */
  best: SeatRun[];
}

/** Orders runs best first (the rank of the module comment); total on distinct runs. */
export function compareRuns(a: SeatRun, b: SeatRun): number {
  if (a.orphan !== b.orphan) return a.orphan ? 1 : -1;
  for (let i = 0; i < a.snake.length; i++) {
    const d = a.snake[i]! - b.snake[i]!;
    if (d !== 0) return d;
  }
  return a.row_index - b.row_index || a.start_col - b.start_col;
}

/** Ranks the runs of `quantity` adjacent seats among `seats` (any order) and keeps the best `limit`. */
export function rankAdjacentRuns(
  seats: readonly FreeSeat[],
  quantity: number,
  limit: number,
): RankedRuns {
  const byPosition = [...seats].sort(
    (a, b) => a.row_index - b.row_index || a.col_index - b.col_index,
  );
  const runs: SeatRun[] = [];
  for (let lo = 0; lo < byPosition.length;) {
    let hi = lo;
    while (
      hi + 1 < byPosition.length &&
      byPosition[hi + 1]!.row_index === byPosition[lo]!.row_index &&
      byPosition[hi + 1]!.col_index === byPosition[hi]!.col_index + 1
    ) {
      hi++;
    }
    const size = hi - lo + 1;
    for (let i = 0; i + quantity <= size; i++) {
      const members = byPosition
        .slice(lo + i, lo + i + quantity)
        .sort((a, b) => a.snake_order - b.snake_order);
      runs.push({
        row_index: byPosition[lo]!.row_index,
        start_col: byPosition[lo + i]!.col_index,
        orphan: i === 1 || size - (i + quantity) === 1,
        snake: members.map((s) => s.snake_order),
        ids: members.map((s) => s.id),
      });
    }
    lo = hi + 1;
  }
  runs.sort(compareRuns);
  return { free: seats.length, runs: runs.length, best: runs.slice(0, limit) };
}
