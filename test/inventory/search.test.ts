import { beforeAll, describe, expect, it } from 'vitest';
import { changeSeatStatus } from '../../src/modules/inventory/inventory.service.ts';
import { holdSeats, inventoryOf, sellSeat, type InventoryRow } from '../factories/inventory.ts';
import { createLockedMatch, type LockedMatch } from '../factories/matches.ts';
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

const search = (query: Record<string, string | string[]>, token = manager.token) =>
  t.request({ method: 'GET', url: '/admin/seats/search', query, token });

beforeAll(async () => {
  manager = await createUser(t.deps, { roles: ['MATCH_MANAGER'] });
  agent = await createUser(t.deps, { roles: ['SUPPORT_AGENT'] });
  buyer = await createUser(t.deps, { email: 'Kupac@Example.test' });
  match = await createLockedMatch(t.deps, { rows: 3, seatsPerRow: 6, sectors: 2 });
  other = await createLockedMatch(t.deps, { rows: 2, seatsPerRow: 4 });
  s1 = await inventoryOf(t.deps.db, match.sectors[0]!.matchSectorId);
  s2 = await inventoryOf(t.deps.db, match.sectors[1]!.matchSectorId);
});

describe('GET /admin/seats/search (E3-F4)', () => {
  it('finds a seat by seat number (with row, sector and match) and returns its details', async () => {
    const res = await search({
      match_id: match.matchId,
      sector_id: match.sectors[0]!.matchSectorId,
      row: 'B',
      seat_number: '4',
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.total).toBe(1);
    expect(body.items[0]).toMatchObject({
      id: s1[9]!.id,
      match_id: match.matchId,
      sector_code: 'S1',
      row_identifier: 'B',
      seat_number: 4,
      status: 'AVAILABLE',
      color: '#2E7D32',
      coordinates: { row_index: 1, col_index: 3 },
      match: { home_team: 'Hrvatska' },
      ticket: null,
    });

    // seat number alone: that seat in every row of every sector of every match
    const all = await search({ seat_number: '4' });
    expect(all.json().total).toBe(3 * 2 + 2);
  });

  it('finds the tickets of an email: holder, purchaser (case-insensitive)', async () => {
    const sold1 = await sellSeat(t.deps.db, {
      matchId: match.matchId,
      inventoryId: s1[0]!.id,
      buyerId: buyer.id,
      holderEmail: 'Marko.Holder@example.test',
      holderName: 'Marko Marić',
    });
    await sellSeat(t.deps.db, {
      matchId: match.matchId,
      inventoryId: s2[5]!.id,
      buyerId: buyer.id,
      holderEmail: null,
    });
    const byHolder = await search({ email: 'marko.holder@EXAMPLE.test' });
    expect(byHolder.statusCode).toBe(200);
    expect(byHolder.json().total).toBe(1);
    expect(byHolder.json().items[0]).toMatchObject({
      id: s1[0]!.id,
      status: 'SOLD',
      ticket: {
        ticket_id: sold1.ticketId,
        order_id: sold1.orderId,
        ticket_status: 'SOLD',
        holder_full_name: 'Marko Marić',
        holder_email: 'Marko.Holder@example.test',
        purchaser_email: 'kupac@example.test',
      },
    });
    expect(byHolder.json().items[0].ticket.order_number).toMatch(/^HNS-/);

    const byBuyer = await search({ email: 'kupac@example.test' });
    expect(
      byBuyer
        .json()
        .items.map((i: { id: string }) => i.id)
        .sort(),
    ).toEqual([s1[0]!.id, s2[5]!.id].sort());
    const nobody = await search({ email: 'nobody@example.test' });
    expect(nobody.json()).toMatchObject({ total: 0, items: [] });

    // without an email filter a sold seat shows its valid ticket
    const seat = await search({
      match_id: match.matchId,
      sector_id: match.sectors[0]!.matchSectorId,
      row: 'A',
      seat_number: '1',
    });
    expect(seat.json().items[0].ticket.ticket_id).toBe(sold1.ticketId);
  });

  it('combines match, multi-status, sector and last-modified date range filters', async () => {
    const base = t.clock.now();
    t.clock.set(new Date(base.getTime() + 3_600_000));
    await changeSeatStatus(
      t.deps,
      s1[2]!.id,
      { status: 'BLOCKED', reason: 'r' },
      { userId: manager.id },
    );
    await changeSeatStatus(
      t.deps,
      s2[2]!.id,
      { status: 'BLOCKED', reason: 'r' },
      { userId: manager.id },
    );
    t.clock.set(new Date(base.getTime() + 2 * 3_600_000));
    await changeSeatStatus(
      t.deps,
      s1[3]!.id,
      { status: 'MAINTENANCE', reason: 'r' },
      { userId: manager.id },
    );
    const o = await inventoryOf(t.deps.db, other.sectors[0]!.matchSectorId);
    await changeSeatStatus(
      t.deps,
      o[0]!.id,
      { status: 'BLOCKED', reason: 'r' },
      { userId: manager.id },
    );
    t.clock.set(base); // back to when the access tokens were issued

    const ids = async (q: Record<string, string | string[]>) => {
      const res = await search(q);
      expect(res.statusCode, res.body).toBe(200);
      return (res.json().items as { id: string }[]).map((i) => i.id).sort();
    };
    expect(await ids({ status: 'BLOCKED' })).toEqual([s1[2]!.id, s2[2]!.id, o[0]!.id].sort());
    expect(await ids({ match_id: match.matchId, status: 'BLOCKED' })).toEqual(
      [s1[2]!.id, s2[2]!.id].sort(),
    );
    expect(await ids({ match_id: match.matchId, status: ['BLOCKED', 'MAINTENANCE'] })).toEqual(
      [s1[2]!.id, s2[2]!.id, s1[3]!.id].sort(),
    );
    expect(
      await ids({
        match_id: match.matchId,
        status: 'BLOCKED,MAINTENANCE',
        sector_id: match.sectors[0]!.matchSectorId,
      }),
    ).toEqual([s1[2]!.id, s1[3]!.id].sort());
    const from = new Date(base.getTime() + 1.5 * 3_600_000).toISOString();
    const to = new Date(base.getTime() + 3 * 3_600_000).toISOString();
    expect(await ids({ match_id: match.matchId, modified_from: from, modified_to: to })).toEqual([
      s1[3]!.id,
    ]);
    expect(await ids({ status: ['BLOCKED', 'MAINTENANCE'], modified_from: from })).toEqual(
      [s1[3]!.id, o[0]!.id].sort(),
    );
  });

  it('counts an expired hold as AVAILABLE and a live one as RESERVED', async () => {
    const now = t.clock.now();
    await holdSeats(t.deps.db, [s2[10]!.id], {
      ownerId: crypto.randomUUID(),
      until: new Date(now.getTime() - 1),
    });
    await holdSeats(t.deps.db, [s2[11]!.id], {
      ownerId: crypto.randomUUID(),
      until: new Date(now.getTime() + 60_000),
    });
    const reserved = await search({ match_id: match.matchId, status: 'RESERVED' });
    expect(reserved.json().items.map((i: { id: string }) => i.id)).toEqual([s2[11]!.id]);
    expect(reserved.json().items[0]).toMatchObject({ held: true, hold: { kind: 'CART' } });
    const available = await search({
      match_id: match.matchId,
      sector_id: match.sectors[1]!.matchSectorId,
      status: 'AVAILABLE',
    });
    const expired = available.json().items.find((i: { id: string }) => i.id === s2[10]!.id);
    expect(expired).toMatchObject({ status: 'AVAILABLE', held: false, hold: null });
  });

  it('paginates with page and limit and reports the total', async () => {
    const q = { match_id: match.matchId, limit: '5' };
    const p1 = (await search({ ...q, page: '1' })).json();
    const p2 = (await search({ ...q, page: '2' })).json();
    const p9 = (await search({ ...q, page: '9' })).json();
    expect(p1).toMatchObject({ page: 1, limit: 5, total: 36 });
    expect(p1.items).toHaveLength(5);
    expect(p2.items).toHaveLength(5);
    expect(p9).toMatchObject({ page: 9, total: 36, items: [] });
    const ids = new Set([...p1.items, ...p2.items].map((i: { id: string }) => i.id));
    expect(ids.size).toBe(10);
    const bad = await search({ ...q, limit: '5000' });
    expect(bad.statusCode).toBe(400);
  });

  it('needs at least one filter and validates them', async () => {
    expect((await search({})).json()).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    expect((await search({ status: 'NOPE' })).statusCode).toBe(400);
    expect((await search({ match_id: 'not-a-uuid' })).statusCode).toBe(400);
  });

  it('is open to match managers and support agents only', async () => {
    expect((await search({ seat_number: '1' }, agent.token)).statusCode).toBe(200);
    expect((await search({ seat_number: '1' }, buyer.token)).statusCode).toBe(403);
    expect(
      (await t.request({ method: 'GET', url: '/admin/seats/search?seat_number=1' })).statusCode,
    ).toBe(401);
  });
});
