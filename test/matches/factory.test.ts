import { describe, expect, it } from 'vitest';
import { createLockedMatch } from '../factories/matches.ts';
import { useTestContext } from '../harness/context.ts';

const t = useTestContext();

describe('createLockedMatch (test factory for other modules)', () => {
  it('creates a locked match whose inventory has one AVAILABLE row per seat in snake order', async () => {
    const m = await createLockedMatch(t.deps, { sectors: 2, rows: 2, seatsPerRow: 4, price: 1500 });
    expect(m.sectors).toHaveLength(2);
    expect(m.sectors[0]!.seatIds).toHaveLength(8);
    const match = await t.deps.db
      .selectFrom('matches')
      .select(['stadium_config_status', 'status', 'venue_id'])
      .where('id', '=', m.matchId)
      .executeTakeFirstOrThrow();
    expect(match).toEqual({
      stadium_config_status: 'LOCKED',
      status: 'DRAFT',
      venue_id: m.stadiumId,
    });
    const rows = await t.deps.db
      .selectFrom('match_seat_inventory')
      .select(['seat_id', 'match_sector_id', 'status', 'snake_order', 'row_index', 'col_index'])
      .where('match_id', '=', m.matchId)
      .orderBy('match_sector_id')
      .orderBy('snake_order')
      .execute();
    expect(rows).toHaveLength(16);
    expect(rows.every((r) => r.status === 'AVAILABLE')).toBe(true);
    const first = rows.filter((r) => r.match_sector_id === m.sectors[0]!.matchSectorId);
    // Default snake: row A left to right, then row B right to left.
    expect(first.map((r) => [r.row_index, r.col_index])).toEqual([
      [0, 0],
      [0, 1],
      [0, 2],
      [0, 3],
      [1, 3],
      [1, 2],
      [1, 1],
      [1, 0],
    ]);
    expect(first.map((r) => r.snake_order)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const sector = await t.deps.db
      .selectFrom('match_sectors')
      .select(['price_category_id'])
      .where('id', '=', m.sectors[1]!.matchSectorId)
      .executeTakeFirstOrThrow();
    expect(sector.price_category_id).toBe(m.priceCategoryId);
  });

  it('drives the match to the requested status', async () => {
    const m = await createLockedMatch(t.deps, { status: 'ACTIVE' });
    const match = await t.deps.db
      .selectFrom('matches')
      .select('status')
      .where('id', '=', m.matchId)
      .executeTakeFirstOrThrow();
    expect(match.status).toBe('ACTIVE');
  });
});
