import { rankAdjacentRuns, type FreeSeat } from '../sales/seat-runs.ts';

/**
 * The seat plan of a sector-to-sector transfer (E3-F6), pure. Tickets are moved order by
 * order: each order's tickets get a run of adjacent seats (one row, consecutive columns)
 * in the destination when one is free, ranked as the sale ranks them (seat-runs.ts:
 * orphan-leaving runs last, then the snake order), else the first free seats in snake
 * order (the order is "split"). Larger orders are placed first, since they are the hardest
 * to keep together; then orders by their seats' position in the source, so the plan is
 * deterministic. All or nothing: with fewer free seats than tickets the plan assigns none
 * and says how many are missing.
 */

export interface MovingTicket {
  id: string;
  order_id: string;
  /** The ticket's place in the source sector's snake: keeps neighbours neighbours. */
  source_order: number;
}

export interface TransferPlan {
  /** ticket id → destination seat; empty when seats are missing. */
  seats: Map<string, FreeSeat>;
  orders: number;
  /** Orders whose tickets could not all sit together. */
  ordersSplit: number;
  /** Seats the destination lacks (0: the plan is complete). */
  missing: number;
}

/** How many free seats (in snake order) a run is first looked for among: the sale's window. */
const WINDOW = 256;

export function planSectorTransfer(
  tickets: readonly MovingTicket[],
  free: readonly FreeSeat[],
): TransferPlan {
  const groups = new Map<string, MovingTicket[]>();
  for (const t of tickets) {
    const g = groups.get(t.order_id);
    if (g) g.push(t);
    else groups.set(t.order_id, [t]);
  }
  const missing = Math.max(tickets.length - free.length, 0);
  if (missing > 0) return { seats: new Map(), orders: groups.size, ordersSplit: 0, missing };

  const ordered = [...groups.values()]
    .map((g) => g.sort((a, b) => a.source_order - b.source_order || a.id.localeCompare(b.id)))
    .sort(
      (a, b) =>
        b.length - a.length ||
        a[0]!.source_order - b[0]!.source_order ||
        a[0]!.order_id.localeCompare(b[0]!.order_id),
    );
  // Remaining free seats in snake order.
  let remaining = [...free].sort((a, b) => a.snake_order - b.snake_order);
  const seats = new Map<string, FreeSeat>();
  let ordersSplit = 0;
  for (const group of ordered) {
    const n = group.length;
    let chosen: FreeSeat[] | undefined;
    if (n > 1) {
      const byId = new Map(remaining.map((s) => [s.id, s]));
      let best = rankAdjacentRuns(remaining.slice(0, Math.max(WINDOW, n * 8)), n, 1).best[0];
      if (!best && remaining.length > Math.max(WINDOW, n * 8)) {
        best = rankAdjacentRuns(remaining, n, 1).best[0];
      }
      if (best) chosen = best.ids.map((id) => byId.get(id)!);
      else ordersSplit++;
    }
    chosen ??= remaining.slice(0, n);
    const taken = new Set(chosen.map((s) => s.id));
    // Seats in snake order, tickets in source order: left-to-right stays left-to-right.
    chosen.sort((a, b) => a.snake_order - b.snake_order);
    group.forEach((t, i) => seats.set(t.id, chosen[i]!));
    remaining = remaining.filter((s) => !taken.has(s.id));
  }
  return { seats, orders: groups.size, ordersSplit, missing: 0 };
}
