import { describe, expect, it } from 'vitest';
import { createLockedMatch } from '../factories/matches.ts';
import { useTestContext } from '../harness/context.ts';
import { createSale } from './helpers.ts';

const t = useTestContext();
const DAY = 86_400_000;

describe('GET /matches (E4-F1): upcoming matches by kick-off, with their sale status', () => {
  it('sorts by kick-off and tells on_sale, not_on_sale and sold_out apart', async () => {
    const now = t.clock.now().getTime();
    const at = (days: number) => new Date(now + days * DAY);
    // Created out of kick-off order, so the listing's order is its own.
    const onSale = await createSale(t.deps, { rows: 1, seatsPerRow: 4, kickOff: at(20) });
    const soldOut = await createSale(t.deps, { rows: 1, seatsPerRow: 2, kickOff: at(5) });
    await t.deps.db
      .updateTable('match_seat_inventory')
      .set({ status: 'SOLD' })
      .where('match_id', '=', soldOut.matchId)
      .execute();
    const noPhase = await createLockedMatch(t.deps, { status: 'PUBLISHED', kickOff: at(10) });
    const later = await createLockedMatch(t.deps, { status: 'PUBLISHED', kickOff: at(30) });
    await t.deps.db
      .insertInto('sales_phases')
      .values({
        match_id: later.matchId,
        phase_type: 'GENERAL_PUBLIC',
        name: 'Opens next week',
        start_at: at(7),
        end_at: at(29),
      })
      .execute();
    // Neither a draft nor a match already played is listed.
    await createLockedMatch(t.deps, { status: 'DRAFT', kickOff: at(3) });

    const res = await t.request({ method: 'GET', url: '/matches' });
    expect(res.statusCode, res.body).toBe(200);
    const items = res.json().items as Array<{
      id: string;
      kick_off_time: string;
      sale_status: string;
      next_sale_start: string | null;
    }>;
    expect(items.map((m) => [m.id, m.sale_status])).toEqual([
      [soldOut.matchId, 'sold_out'],
      [noPhase.matchId, 'not_on_sale'],
      [onSale.matchId, 'on_sale'],
      [later.matchId, 'not_on_sale'],
    ]);
    const kickOffs = items.map((m) => Date.parse(m.kick_off_time));
    expect(kickOffs).toEqual([...kickOffs].sort((a, b) => a - b));
    expect(items[3]!.next_sale_start).toBe(at(7).toISOString());
    expect(res.json().total).toBe(4);

    // Pages keep the order.
    const second = await t.request({ method: 'GET', url: '/matches?page=2&limit=2' });
    expect(second.json().items.map((m: { id: string }) => m.id)).toEqual([
      onSale.matchId,
      later.matchId,
    ]);
  });
});
