import { beforeAll, describe, expect, it } from 'vitest';
import { useTestContext } from '../harness/context.ts';
import {
  api,
  createSector,
  createStadium,
  manager,
  matchUsingSector,
  smallMap,
} from './helpers.ts';

const t = useTestContext();
let token: string;
let stadiumId: string;

beforeAll(async () => {
  token = await manager(t);
  stadiumId = (await createStadium(t, token)).id;
});

const newSector = async () => (await createSector(t, token, stadiumId)).id;
const sectorRow = (id: string) =>
  t.deps.db.selectFrom('sectors').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const seatsOf = (id: string) =>
  t.deps.db
    .selectFrom('seats')
    .selectAll()
    .where('sector_id', '=', id)
    .orderBy('row_index')
    .orderBy('col_index')
    .execute();

async function withSeats(map: object = smallMap) {
  const sectorId = await newSector();
  expect(
    (await api(t, token, 'POST', `/admin/sectors/${sectorId}/seat-map`, { seat_map_json: map }))
      .status,
  ).toBe(201);
  const gen = await api(t, token, 'POST', `/admin/sectors/${sectorId}/seats/generate`);
  expect(gen.status).toBe(201);
  return { sectorId, seats: gen.body.seats as Array<{ id: string; row_identifier: string }> };
}

describe('seat map CRUD (E2-F10)', () => {
  it('creates a map, computes total_seats, flags the sector, returns it for the editor', async () => {
    const sectorId = await newSector();
    const created = await api(t, token, 'POST', `/admin/sectors/${sectorId}/seat-map`, {
      seat_map_json: smallMap,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      sector_id: sectorId,
      total_seats: 7,
      configuration_status: 'DRAFT',
      seats_generated: 0,
      seat_map_json: smallMap,
    });
    const stored = await t.deps.db
      .selectFrom('sector_seat_maps')
      .select('total_seats')
      .where('sector_id', '=', sectorId)
      .executeTakeFirstOrThrow();
    expect(stored.total_seats).toBe(7);
    expect((await sectorRow(sectorId)).has_seat_map).toBe(true);

    const got = await api(t, token, 'GET', `/admin/sectors/${sectorId}/seat-map`);
    expect(got.body.seat_map_json).toEqual(smallMap);
    const info = await api(t, token, 'GET', `/admin/stadiums/${stadiumId}/sectors/${sectorId}`);
    expect(info.body).toMatchObject({
      has_seat_map: true,
      seat_map: { total_seats: 7, configuration_status: 'DRAFT' },
    });

    const again = await api(t, token, 'POST', `/admin/sectors/${sectorId}/seat-map`, {
      seat_map_json: smallMap,
    });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('SEAT_MAP_EXISTS');
  });

  it('answers 422 naming the offending element for an invalid map, and stores nothing', async () => {
    const sectorId = await newSector();
    const cases: Array<[object, string]> = [
      [
        { ...smallMap, seats: [...smallMap.seats, { row: 0, col: 0, type: 'standard' }] },
        'body.seat_map_json.seats.7',
      ],
      [
        { ...smallMap, seats: [{ row: 0, col: 9, type: 'standard' }] },
        'body.seat_map_json.seats.0.col',
      ],
      [
        { ...smallMap, seats: [{ row: 0, col: 0, type: 'sofa' }] },
        'body.seat_map_json.seats.0.type',
      ],
      [{ ...smallMap, row_labels: ['A'] }, 'body.seat_map_json.seats.4.row'],
      [{ ...smallMap, dimensions: undefined }, 'body.seat_map_json.dimensions'],
    ];
    for (const [map, field] of cases) {
      const res = await api(t, token, 'POST', `/admin/sectors/${sectorId}/seat-map`, {
        seat_map_json: map,
      });
      expect(res.status).toBe(422);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.code).toBe('SEAT_MAP_INVALID');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    expect((await api(t, token, 'GET', `/admin/sectors/${sectorId}/seat-map`)).status).toBe(404);
    expect((await sectorRow(sectorId)).has_seat_map).toBe(false);
  });

  it('updates a map (total recomputed, back to DRAFT) and 404s without one', async () => {
    const { sectorId } = await withSeats();
    const bigger = {
      ...smallMap,
      seats: [...smallMap.seats, { row: 2, col: 0, type: 'standard' }],
    };
    const res = await api(t, token, 'PUT', `/admin/sectors/${sectorId}/seat-map`, {
      seat_map_json: bigger,
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      total_seats: 8,
      configuration_status: 'DRAFT',
      seats_generated: 7,
    });
    const none = await newSector();
    expect(
      (await api(t, token, 'PUT', `/admin/sectors/${none}/seat-map`, { seat_map_json: smallMap }))
        .status,
    ).toBe(404);
    const invalid = await api(t, token, 'PUT', `/admin/sectors/${sectorId}/seat-map`, {
      seat_map_json: { ...smallMap, numbering_direction: 'UP' },
    });
    expect(invalid.status).toBe(422);
  });

  it('deletes a map only while no seats were generated', async () => {
    const sectorId = await newSector();
    await api(t, token, 'POST', `/admin/sectors/${sectorId}/seat-map`, { seat_map_json: smallMap });
    const del = await t.request({
      method: 'DELETE',
      url: `/admin/sectors/${sectorId}/seat-map`,
      token,
    });
    expect(del.statusCode).toBe(204);
    expect((await sectorRow(sectorId)).has_seat_map).toBe(false);

    const generated = await withSeats();
    const refused = await api(t, token, 'DELETE', `/admin/sectors/${generated.sectorId}/seat-map`);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('SEATS_ALREADY_GENERATED');
  });
});

describe('seat generation', () => {
  it('previews without saving', async () => {
    const sectorId = await newSector();
    await api(t, token, 'POST', `/admin/sectors/${sectorId}/seat-map`, { seat_map_json: smallMap });
    const res = await api(
      t,
      token,
      'POST',
      `/admin/sectors/${sectorId}/seats/generate?preview=true`,
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ preview: true, total: 7 });
    expect(
      res.body.seats.map(
        (s: { row_identifier: string; seat_number: number }) =>
          `${s.row_identifier}${s.seat_number}`,
      ),
    ).toEqual(['A1', 'A2', 'A3', 'A4', 'B1', 'B2', 'B3']);
    expect(await seatsOf(sectorId)).toHaveLength(0);
  });

  it('creates seat records (labels by row index, gaps skipped, types kept) and syncs the sector', async () => {
    const { sectorId } = await withSeats();
    const seats = await seatsOf(sectorId);
    expect(
      seats.map((s) => [s.row_identifier, s.seat_number, s.seat_type, s.row_index, s.col_index]),
    ).toEqual([
      ['A', 1, 'STANDARD', 0, 0],
      ['A', 2, 'STANDARD', 0, 1],
      ['A', 3, 'STANDARD', 0, 3],
      ['A', 4, 'ACCESSIBILITY', 0, 4],
      ['B', 1, 'STANDARD', 1, 1],
      ['B', 2, 'STANDARD', 1, 2],
      ['B', 3, 'TECHNICAL', 1, 3],
    ]);
    expect(await sectorRow(sectorId)).toMatchObject({ seat_count: 7, has_seat_map: true });
    const map = await api(t, token, 'GET', `/admin/sectors/${sectorId}/seat-map`);
    expect(map.body).toMatchObject({ configuration_status: 'GENERATED', seats_generated: 7 });
  });

  it('numbers RTL right to left', async () => {
    const { sectorId } = await withSeats({ ...smallMap, numbering_direction: 'RTL' });
    const seats = await seatsOf(sectorId);
    expect(seats.map((s) => `${s.row_identifier}${s.seat_number}`)).toEqual([
      'A4',
      'A3',
      'A2',
      'A1',
      'B3',
      'B2',
      'B1',
    ]);
  });

  it('refuses a second generation without force, replaces seats with force_regenerate', async () => {
    const { sectorId, seats } = await withSeats();
    const again = await api(t, token, 'POST', `/admin/sectors/${sectorId}/seats/generate`);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('SEATS_ALREADY_GENERATED');

    await api(t, token, 'PUT', `/admin/sectors/${sectorId}/seat-map`, {
      seat_map_json: { ...smallMap, seats: smallMap.seats.slice(0, 3) },
    });
    const forced = await api(
      t,
      token,
      'POST',
      `/admin/sectors/${sectorId}/seats/generate?force_regenerate=true`,
    );
    expect(forced.status).toBe(201);
    expect(forced.body).toMatchObject({ total: 3, deleted: 7 });
    const now = await seatsOf(sectorId);
    expect(now).toHaveLength(3);
    expect(now.some((s) => seats.some((old) => old.id === s.id))).toBe(false);
    expect((await sectorRow(sectorId)).seat_count).toBe(3);
  });

  it('404s without a seat map', async () => {
    const res = await api(t, token, 'POST', `/admin/sectors/${await newSector()}/seats/generate`);
    expect(res.status).toBe(404);
  });

  it('refuses force_regenerate with 409 SEATS_HAVE_TICKETS once a seat is sold or its match is locked', async () => {
    const sold = await withSeats();
    await matchUsingSector(t, sold.sectorId, { inventory: true, soldSeats: 1 });
    const a = await api(
      t,
      token,
      'POST',
      `/admin/sectors/${sold.sectorId}/seats/generate?force_regenerate=true`,
    );
    expect(a.status).toBe(409);
    expect(a.body.code).toBe('SEATS_HAVE_TICKETS');
    expect(await seatsOf(sold.sectorId)).toHaveLength(7);

    const locked = await withSeats();
    await matchUsingSector(t, locked.sectorId, { inventory: true, configStatus: 'LOCKED' });
    const b = await api(
      t,
      token,
      'POST',
      `/admin/sectors/${locked.sectorId}/seats/generate?force_regenerate=true`,
    );
    expect(b.status).toBe(409);
    expect(b.body.code).toBe('SEATS_HAVE_TICKETS');

    const draft = await withSeats();
    await matchUsingSector(t, draft.sectorId, { inventory: true, configStatus: 'DRAFT' });
    const c = await api(
      t,
      token,
      'POST',
      `/admin/sectors/${draft.sectorId}/seats/generate?force_regenerate=true`,
    );
    expect(c.status).toBe(409);
    expect(c.body.code).toBe('SEATS_IN_USE');
  });
});

describe('seat classification', () => {
  it('classifies by seat ids, by row range (optionally columns), and one seat at a time', async () => {
    const { sectorId, seats } = await withSeats();
    const byIds = await api(t, token, 'POST', `/admin/sectors/${sectorId}/seats/classify`, {
      seat_type: 'COMPANION',
      seat_ids: [seats[0]!.id, seats[1]!.id],
    });
    expect(byIds.status).toBe(200);
    expect(byIds.body).toMatchObject({ updated: 2, seat_type: 'COMPANION' });

    const byRows = await api(t, token, 'POST', `/admin/sectors/${sectorId}/seats/classify`, {
      seat_type: 'TECHNICAL',
      row_range: { from_row_index: 1, to_row_index: 1, from_col_index: 2 },
    });
    expect(byRows.body.updated).toBe(2);
    const types = (await seatsOf(sectorId)).map((s) => s.seat_type);
    expect(types).toEqual([
      'COMPANION',
      'COMPANION',
      'STANDARD',
      'ACCESSIBILITY',
      'STANDARD',
      'TECHNICAL',
      'TECHNICAL',
    ]);

    const one = await api(t, token, 'PUT', `/admin/seats/${seats[2]!.id}/type`, {
      seat_type: 'ACCESSIBILITY',
    });
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id: seats[2]!.id, seat_type: 'ACCESSIBILITY' });
    expect(
      (await api(t, token, 'PUT', `/admin/seats/${sectorId}/type`, { seat_type: 'STANDARD' }))
        .status,
    ).toBe(404);
  });

  it('refuses seats of another sector and ambiguous bodies', async () => {
    const a = await withSeats();
    const b = await withSeats();
    const res = await api(t, token, 'POST', `/admin/sectors/${a.sectorId}/seats/classify`, {
      seat_type: 'TECHNICAL',
      seat_ids: [a.seats[0]!.id, b.seats[0]!.id],
    });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([
      { field: 'body.seat_ids.1', message: `${b.seats[0]!.id} is not a seat of this sector` },
    ]);
    expect((await seatsOf(a.sectorId))[0]!.seat_type).toBe('STANDARD');
    const both = await api(t, token, 'POST', `/admin/sectors/${a.sectorId}/seats/classify`, {
      seat_type: 'TECHNICAL',
      seat_ids: [a.seats[0]!.id],
      row_range: { from_row_index: 0, to_row_index: 0 },
    });
    expect(both.status).toBe(400);
    const neither = await api(t, token, 'POST', `/admin/sectors/${a.sectorId}/seats/classify`, {
      seat_type: 'TECHNICAL',
    });
    expect(neither.status).toBe(400);
  });
});

describe('snake configuration', () => {
  it('returns the defaults, stores a configuration and validates it', async () => {
    const { sectorId } = await withSeats();
    const initial = await api(t, token, 'GET', `/admin/sectors/${sectorId}/snake-config`);
    expect(initial.body).toMatchObject({
      sector_id: sectorId,
      best_row_index: 0,
      traversal_direction: 'TOP_TO_BOTTOM',
      within_row_strategy: 'LEFT_TO_RIGHT',
      subsector_grouping_json: null,
      is_default: true,
    });
    const config = {
      best_row_index: 1,
      traversal_direction: 'BOTTOM_TO_TOP',
      within_row_strategy: 'CENTER_OUTWARD',
      subsector_grouping_json: {
        groups: [
          { key: 'left', max_col: 2 },
          { key: 'right', min_col: 3 },
        ],
      },
    };
    const put = await api(t, token, 'PUT', `/admin/sectors/${sectorId}/snake-config`, config);
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ ...config, is_default: false });
    const got = await api(t, token, 'GET', `/admin/sectors/${sectorId}/snake-config`);
    expect(got.body).toMatchObject({ ...config, is_default: false });

    const changed = await api(t, token, 'PUT', `/admin/sectors/${sectorId}/snake-config`, {
      ...config,
      within_row_strategy: 'RIGHT_TO_LEFT',
      subsector_grouping_json: null,
    });
    expect(changed.body).toMatchObject({
      within_row_strategy: 'RIGHT_TO_LEFT',
      subsector_grouping_json: null,
    });

    const outside = await api(t, token, 'PUT', `/admin/sectors/${sectorId}/snake-config`, {
      ...config,
      best_row_index: 3,
    });
    expect(outside.status).toBe(422);
    expect(outside.body.errors[0].field).toBe('body.best_row_index');
    const bad = await api(t, token, 'PUT', `/admin/sectors/${sectorId}/snake-config`, {
      ...config,
      traversal_direction: 'SIDEWAYS',
    });
    expect(bad.status).toBe(400);
    const dupKeys = await api(t, token, 'PUT', `/admin/sectors/${sectorId}/snake-config`, {
      ...config,
      subsector_grouping_json: { groups: [{ key: 'x' }, { key: 'x' }] },
    });
    expect(dupKeys.status).toBe(400);
  });
});
