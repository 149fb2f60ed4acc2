import { beforeAll, describe, expect, it } from 'vitest';
import { inventoryOf, sellSeat, setStatus, type InventoryRow } from '../factories/inventory.ts';
import { createLockedMatch, type LockedMatch } from '../factories/matches.ts';
import { cancelQuotaSeats, createQuota, type CreatedQuota } from '../factories/quotas.ts';
import { createUser, type TestUser } from '../factories/users.ts';
import { useTestContext } from '../harness/context.ts';

const t = useTestContext();

let manager: TestUser;
let agent: TestUser;
let buyer: TestUser;
let match: LockedMatch;
let other: LockedMatch;
let s1: InventoryRow[];
let s2: InventoryRow[];
let o1: InventoryRow[];
/** Seats of sector 1 rows A and B, sector 2 row A; one SOLD, one DELEGATED, one CANCELLED. */
let quota: CreatedQuota;
/** Another quota of the same match. */
let second: CreatedQuota;
/** A quota of another match. */
let foreign: CreatedQuota;

const search = (query: Record<string, string | string[]>, token = manager.token) =>
  t.request({ method: 'GET', url: '/admin/seats/search', query, token });

const idsOf = (body: { items: { id: string }[] }) => body.items.map((i) => i.id).sort();

beforeAll(async () => {
  manager = await createUser(t.deps, { roles: ['MATCH_MANAGER'] });
  agent = await createUser(t.deps, { roles: ['SUPPORT_AGENT'] });
  buyer = await createUser(t.deps);
  match = await createLockedMatch(t.deps, { rows: 3, seatsPerRow: 5, sectors: 2 });
  other = await createLockedMatch(t.deps, { rows: 1, seatsPerRow: 4 });
  s1 = await inventoryOf(t.deps.db, match.sectors[0]!.matchSectorId);
  s2 = await inventoryOf(t.deps.db, match.sectors[1]!.matchSectorId);
  o1 = await inventoryOf(t.deps.db, other.sectors[0]!.matchSectorId);

  // s1[0..2] row A seats 1-3, s1[5..6] row B seats 1-2, s2[0..1] row A seats 1-2
  quota = await createQuota(t.deps.db, {
    matchId: match.matchId,
    seats: [
      s1[0]!.id,
      s1[1]!.id,
      { inventoryId: s1[2]!.id, status: 'SOLD' },
      s1[5]!.id,
      { inventoryId: s1[6]!.id, status: 'DELEGATED' },
      s2[0]!.id,
      s2[1]!.id,
    ],
  });
  await sellSeat(t.deps.db, {
    matchId: match.matchId,
    inventoryId: s1[2]!.id,
    buyerId: buyer.id,
    holderEmail: 'guest@example.test',
  });
  await setStatus(t.deps.db, [s1[6]!.id], 'ALLOCATED');
  // s2[1] was given back: its quota seat is CANCELLED and the seat is on sale again.
  await cancelQuotaSeats(t.deps.db, [quota.quotaSeatIds[6]!]);
  await setStatus(t.deps.db, [s2[1]!.id], 'AVAILABLE');

  second = await createQuota(t.deps.db, { matchId: match.matchId, seats: [s1[3]!.id] });
  foreign = await createQuota(t.deps.db, { matchId: other.matchId, seats: [o1[0]!.id] });
});

describe('GET /admin/seats/search?quota_id= (E3-F4)', () => {
  it('returns all seats in the quota, whatever their quota seat status, but no cancelled ones', async () => {
    const res = await search({ quota_id: quota.quotaId });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.total).toBe(6);
    expect(idsOf(body)).toEqual(
      [s1[0]!.id, s1[1]!.id, s1[2]!.id, s1[5]!.id, s1[6]!.id, s2[0]!.id].sort(),
    );
    for (const item of body.items) expect(item.quota_id).toBe(quota.quotaId);
    const byId = new Map(body.items.map((i: { id: string }) => [i.id, i]));
    expect(byId.get(s1[0]!.id)).toMatchObject({
      status: 'ALLOCATED',
      quota_seat_status: 'ALLOCATED',
      sector_code: 'S1',
      row_identifier: 'A',
      seat_number: 1,
      match: { home_team: 'Hrvatska' },
      ticket: null,
    });
    // the sold quota seat shows its ticket, the delegated one its quota seat status
    expect(byId.get(s1[2]!.id)).toMatchObject({
      status: 'SOLD',
      quota_seat_status: 'SOLD',
      ticket: { holder_email: 'guest@example.test' },
    });
    expect(byId.get(s1[6]!.id)).toMatchObject({ quota_seat_status: 'DELEGATED' });
    // the cancelled seat is not in the quota any more
    expect(byId.has(s2[1]!.id)).toBe(false);

    const two = await search({ quota_id: second.quotaId });
    expect(idsOf(two.json())).toEqual([s1[3]!.id]);
    const away = await search({ quota_id: foreign.quotaId });
    expect(idsOf(away.json())).toEqual([o1[0]!.id]);
  });

  it('combines quota_id with match, sector, row, seat number and status filters', async () => {
    const q = quota.quotaId;
    const sector1 = match.sectors[0]!.matchSectorId;
    expect(idsOf((await search({ quota_id: q, sector_id: sector1 })).json())).toEqual(
      [s1[0]!.id, s1[1]!.id, s1[2]!.id, s1[5]!.id, s1[6]!.id].sort(),
    );
    expect(idsOf((await search({ quota_id: q, sector_id: sector1, row: 'B' })).json())).toEqual(
      [s1[5]!.id, s1[6]!.id].sort(),
    );
    expect(idsOf((await search({ quota_id: q, seat_number: '1' })).json())).toEqual(
      [s1[0]!.id, s1[5]!.id, s2[0]!.id].sort(),
    );
    expect(idsOf((await search({ quota_id: q, status: 'SOLD' })).json())).toEqual([s1[2]!.id]);
    expect(idsOf((await search({ quota_id: q, status: 'ALLOCATED,SOLD' })).json())).toHaveLength(6);
    expect(idsOf((await search({ quota_id: q, match_id: match.matchId })).json())).toHaveLength(6);
    // a quota of one match and the id of another match: nothing
    expect((await search({ quota_id: q, match_id: other.matchId })).json()).toMatchObject({
      total: 0,
      items: [],
    });
    // with an email: the quota's seats whose ticket matches it
    expect(idsOf((await search({ quota_id: q, email: 'guest@example.test' })).json())).toEqual([
      s1[2]!.id,
    ]);
    expect(
      (await search({ quota_id: second.quotaId, email: 'guest@example.test' })).json(),
    ).toMatchObject({
      total: 0,
    });
  });

  it('paginates the seats of a quota with page and limit', async () => {
    const pages = [];
    for (const page of ['1', '2', '3']) {
      const res = await search({ quota_id: quota.quotaId, limit: '4', page });
      expect(res.statusCode).toBe(200);
      pages.push(res.json());
    }
    expect(pages.map((p) => [p.page, p.limit, p.total, p.items.length])).toEqual([
      [1, 4, 6, 4],
      [2, 4, 6, 2],
      [3, 4, 6, 0],
    ]);
    const seen = [...pages[0].items, ...pages[1].items].map((i: { id: string }) => i.id);
    expect(new Set(seen).size).toBe(6);
  });

  it('gives every seat its quota id in any search (null without a quota)', async () => {
    const res = await search({ match_id: match.matchId, seat_number: '4' });
    const body = res.json();
    // S1 row A seat 4 is in the second quota; the others are in none
    expect(body.total).toBe(6);
    const quotaOf = Object.fromEntries(
      body.items.map((i: { sector_code: string; row_identifier: string; quota_id: string }) => [
        `${i.sector_code}${i.row_identifier}`,
        i.quota_id,
      ]),
    );
    expect(quotaOf).toEqual({
      S1A: second.quotaId,
      S1B: null,
      S1C: null,
      S2A: null,
      S2B: null,
      S2C: null,
    });
    const cancelled = await search({
      match_id: match.matchId,
      sector_id: match.sectors[1]!.matchSectorId,
      row: 'A',
      seat_number: '2',
    });
    expect(cancelled.json().items[0]).toMatchObject({
      id: s2[1]!.id,
      status: 'AVAILABLE',
      quota_id: null,
      quota_seat_status: null,
    });
  });

  it('lets a seat belong to one live quota only; after cancellation it can join another', async () => {
    await expect(
      createQuota(t.deps.db, { matchId: match.matchId, seats: [s1[0]!.id] }),
    ).rejects.toMatchObject({ code: '23505', constraint: 'quota_seats_live_seat_key' });
    const again = await createQuota(t.deps.db, { matchId: match.matchId, seats: [s2[1]!.id] });
    expect(idsOf((await search({ quota_id: again.quotaId })).json())).toEqual([s2[1]!.id]);
    expect(idsOf((await search({ quota_id: quota.quotaId })).json())).not.toContain(s2[1]!.id);
  });

  it('treats quota_id as a filter of its own, validates it, and finds nothing for an unknown quota', async () => {
    expect((await search({ quota_id: 'not-a-uuid' })).json()).toMatchObject({
      status: 400,
      code: 'VALIDATION_FAILED',
    });
    const unknown = await search({ quota_id: crypto.randomUUID() });
    expect(unknown.statusCode).toBe(200);
    expect(unknown.json()).toMatchObject({ total: 0, items: [] });
  });

  it('is open to support agents and refused to fans', async () => {
    expect((await search({ quota_id: quota.quotaId }, agent.token)).json().total).toBe(6);
    expect((await search({ quota_id: quota.quotaId }, buyer.token)).statusCode).toBe(403);
  });
});
