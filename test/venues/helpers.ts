import { sql } from 'kysely';
import type { TestContext } from '../harness/context.ts';

/** Shared set-up for the venues HTTP tests. */

export const manager = async (t: TestContext) =>
  t.token('00000000-0000-4000-8000-000000000001', ['MATCH_MANAGER']);

export async function api(
  t: TestContext,
  token: string,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  url: string,
  payload?: unknown,
) {
  const res = await t.request({
    method,
    url,
    token,
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
  return { status: res.statusCode, headers: res.headers, body: res.body ? res.json() : null };
}

let counter = 0;

export async function createStadium(t: TestContext, token: string, over: object = {}) {
  counter++;
  const res = await api(t, token, 'POST', '/admin/stadiums', {
    name: `Test Arena ${counter} ${Date.now()}`,
    city: 'Zagreb',
    ...over,
  });
  if (res.status !== 201) throw new Error(`stadium: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; name: string };
}

export async function createSector(
  t: TestContext,
  token: string,
  stadiumId: string,
  over: object = {},
) {
  counter++;
  const res = await api(t, token, 'POST', `/admin/stadiums/${stadiumId}/sectors`, {
    name: `Sector ${counter}`,
    code: `S${counter}`,
    capacity: 100,
    ...over,
  });
  if (res.status !== 201) throw new Error(`sector: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; code: string };
}

/** A small valid map: row A = 4 seats with an aisle after seat 2, row B = 3 seats. */
export const smallMap = {
  dimensions: { rows: 3, cols: 5 },
  seats: [
    { row: 0, col: 0, type: 'standard' },
    { row: 0, col: 1, type: 'standard' },
    { row: 0, col: 3, type: 'standard' },
    { row: 0, col: 4, type: 'accessibility' },
    { row: 1, col: 1, type: 'standard' },
    { row: 1, col: 2, type: 'standard' },
    { row: 1, col: 3, type: 'technical' },
  ],
  row_labels: ['A', 'B', 'C'],
  numbering_direction: 'LTR',
};

/**
 * A match using the sector with one inventory row per seat, written directly (the matches
 * and inventory modules own these tables; here we only need their rows to exist).
 */
export async function matchUsingSector(
  t: TestContext,
  sectorId: string,
  options: { configStatus?: 'DRAFT' | 'LOCKED'; soldSeats?: number; inventory?: boolean } = {},
) {
  const db = t.deps.db;
  const match = await db
    .insertInto('matches')
    .values({
      home_team: 'Hrvatska',
      away_team: 'Italija',
      competition: 'Friendly',
      kick_off_time: new Date('2027-03-25T19:45:00Z'),
      match_type: 'HOME',
      stadium_config_status: options.configStatus ?? 'DRAFT',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const ms = await db
    .insertInto('match_sectors')
    .values({
      match_id: match.id,
      sector_id: sectorId,
      name: 'Copy',
      code: 'COPY',
      total_capacity: 10,
      sellable_capacity: 10,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  if (options.inventory) {
    await sql`
      INSERT INTO match_seat_inventory (match_id, seat_id, match_sector_id, status, row_index, col_index, snake_order)
      SELECT ${match.id}::uuid, s.id, ${ms.id}::uuid,
             CASE WHEN row_number() OVER (ORDER BY s.row_index, s.col_index) <= ${options.soldSeats ?? 0}
                  THEN 'SOLD'::seat_status ELSE 'AVAILABLE'::seat_status END,
             s.row_index, s.col_index, row_number() OVER (ORDER BY s.row_index, s.col_index)
        FROM seats s WHERE s.sector_id = ${sectorId}`.execute(db);
  }
  return { matchId: match.id, matchSectorId: ms.id };
}
