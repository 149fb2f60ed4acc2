import { beforeAll, describe, expect, it } from 'vitest';
import { holdSeats, inventoryOf, setStatus, type InventoryRow } from '../factories/inventory.ts';
import { createLockedMatch, type LockedMatch } from '../factories/matches.ts';
import { createUser, type TestUser } from '../factories/users.ts';
import { useTestContext } from '../harness/context.ts';
import { auditEvents } from '../harness/audit.ts';

const t = useTestContext();

let manager: TestUser;
let match: LockedMatch;
let seats: InventoryRow[];

const subjectEvents = (subjectId: string) => auditEvents(t.deps.db, subjectId);

const change = (id: string, payload: object, token = manager.token) =>
  t.request({ method: 'PUT', url: `/admin/seats/${id}/status`, token, payload });

beforeAll(async () => {
  manager = await createUser(t.deps, { roles: ['MATCH_MANAGER'] });
  match = await createLockedMatch(t.deps, { rows: 3, seatsPerRow: 10 });
  seats = await inventoryOf(t.deps.db, match.sectors[0]!.matchSectorId);
});

describe('PUT /admin/seats/{id}/status (E3-F2)', () => {
  it('updates the status, bumps the version, writes seat_audit_logs and an audit event in one transaction', async () => {
    const seat = seats[0]!;
    const res = await change(seat.id, { status: 'BLOCKED', reason: 'Broken armrest' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({
      from_status: 'AVAILABLE',
      to_status: 'BLOCKED',
      warnings: [],
      seat: {
        id: seat.id,
        status: 'BLOCKED',
        color: '#424242',
        version: seat.version + 1,
        last_modified_by: manager.id,
        coordinates: { row_index: 0, col_index: 0 },
        row_identifier: 'A',
        seat_number: 1,
      },
    });
    const logs = await t.deps.db
      .selectFrom('seat_audit_logs')
      .selectAll()
      .where('match_seat_inventory_id', '=', seat.id)
      .execute();
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({
      from_status: 'AVAILABLE',
      to_status: 'BLOCKED',
      reason: 'Broken armrest',
      changed_by: manager.id,
      ticket_id: null,
      order_id: null,
    });
    const events = await subjectEvents(seat.id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      domain: 'seat',
      action: 'seat_status_changed',
      changes: { from_status: 'AVAILABLE', to_status: 'BLOCKED', reason: 'Broken armrest' },
    });
  });

  it('answers 400 INVALID_SEAT_TRANSITION for a transition the matrix refuses, and changes nothing', async () => {
    const seat = seats[1]!;
    const toSold = await change(seat.id, { status: 'SOLD', reason: 'manual sale' });
    expect(toSold.statusCode).toBe(400);
    expect(toSold.json()).toMatchObject({
      code: 'INVALID_SEAT_TRANSITION',
      from_status: 'AVAILABLE',
      to_status: 'SOLD',
    });
    expect(toSold.json().allowed).toContain('BLOCKED');

    const same = await change(seat.id, { status: 'AVAILABLE', reason: 'no-op' });
    expect(same.statusCode).toBe(400);
    expect(same.json().code).toBe('INVALID_SEAT_TRANSITION');

    const sold = seats[2]!;
    await setStatus(t.deps.db, [sold.id], 'SOLD');
    const fromSold = await change(sold.id, { status: 'AVAILABLE', reason: 'refund by hand' });
    expect(fromSold.statusCode).toBe(400);
    expect(fromSold.json()).toMatchObject({ code: 'INVALID_SEAT_TRANSITION', allowed: [] });

    const [after] = (await inventoryOf(t.deps.db, match.sectors[0]!.matchSectorId)).filter(
      (s) => s.id === seat.id,
    );
    expect(after).toMatchObject({ status: 'AVAILABLE', version: seat.version });
    expect(await subjectEvents(seat.id)).toHaveLength(0);
    expect(await subjectEvents(sold.id)).toHaveLength(0);
  });

  it('requires a reason: missing or blank answers 400', async () => {
    const seat = seats[3]!;
    const missing = await change(seat.id, { status: 'BLOCKED' });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().code).toBe('VALIDATION_FAILED');
    expect(missing.json().errors.map((e: { field: string }) => e.field)).toContain('body.reason');
    const blank = await change(seat.id, { status: 'BLOCKED', reason: '   ' });
    expect(blank.statusCode).toBe(400);
    expect(blank.json().errors.map((e: { field: string }) => e.field)).toContain('body.reason');
  });

  it('warns when the seat is held in a cart, releases the hold and records it', async () => {
    const seat = seats[4]!;
    const cartId = crypto.randomUUID();
    const until = new Date(t.clock.now().getTime() + 10 * 60_000);
    await holdSeats(t.deps.db, [seat.id], { kind: 'CART', ownerId: cartId, until });
    const res = await change(seat.id, { status: 'MAINTENANCE', reason: 'Seat bolt loose' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.from_status).toBe('RESERVED');
    expect(body.warnings).toEqual([
      expect.objectContaining({
        code: 'SEAT_HELD_IN_CART',
        hold: { kind: 'CART', owner_id: cartId, held_until: until.toISOString() },
      }),
    ]);
    expect(body.seat).toMatchObject({ status: 'MAINTENANCE', held: false, hold: null });
    const row = await t.deps.db
      .selectFrom('match_seat_inventory')
      .select(['status', 'hold_kind', 'hold_owner_id', 'held_until'])
      .where('id', '=', seat.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({
      status: 'MAINTENANCE',
      hold_kind: null,
      hold_owner_id: null,
      held_until: null,
    });
    const [event] = await subjectEvents(seat.id);
    expect(event!.changes).toMatchObject({ released_hold: { kind: 'CART', owner_id: cartId } });
  });

  it('treats a hold past held_until as AVAILABLE: no warning, logged from AVAILABLE', async () => {
    const seat = seats[5]!;
    const until = new Date(t.clock.now().getTime() - 1_000);
    await holdSeats(t.deps.db, [seat.id], { ownerId: crypto.randomUUID(), until });
    const res = await change(seat.id, { status: 'OFFICIAL', reason: 'Protocol seat' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ from_status: 'AVAILABLE', warnings: [] });
    const log = await t.deps.db
      .selectFrom('seat_audit_logs')
      .select(['from_status', 'to_status'])
      .where('match_seat_inventory_id', '=', seat.id)
      .executeTakeFirstOrThrow();
    expect(log).toEqual({ from_status: 'AVAILABLE', to_status: 'OFFICIAL' });
  });

  it('refuses a seat held by a quota or a pending order with 409 SEAT_HELD', async () => {
    const seat = seats[6]!;
    const until = new Date(t.clock.now().getTime() + 60_000);
    await holdSeats(t.deps.db, [seat.id], { kind: 'ORDER', ownerId: crypto.randomUUID(), until });
    const res = await change(seat.id, { status: 'BLOCKED', reason: 'Block it' });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 'SEAT_HELD', hold_kind: 'ORDER' });
  });

  it('checks the optimistic version: a stale version answers 409 and changes nothing', async () => {
    const seat = seats[7]!;
    const stale = await change(seat.id, {
      status: 'BLOCKED',
      reason: 'Stale view',
      version: seat.version + 5,
    });
    expect(stale.statusCode).toBe(409);
    expect(stale.json()).toMatchObject({
      code: 'SEAT_VERSION_CONFLICT',
      current_version: seat.version,
    });
    const fresh = await change(seat.id, {
      status: 'BLOCKED',
      reason: 'Current view',
      version: seat.version,
    });
    expect(fresh.statusCode).toBe(200);
  });

  it('lets exactly one of two concurrent changes of the same seat win', async () => {
    const seat = seats[8]!;
    const results = await Promise.all([
      change(seat.id, { status: 'BLOCKED', reason: 'first', version: seat.version }),
      change(seat.id, { status: 'INACTIVE', reason: 'second', version: seat.version }),
    ]);
    const codes = results.map((r) => r.statusCode).sort();
    expect(codes).toEqual([200, 409]);
    const logs = await t.deps.db
      .selectFrom('seat_audit_logs')
      .select('id')
      .where('match_seat_inventory_id', '=', seat.id)
      .execute();
    expect(logs).toHaveLength(1);
  });

  it('answers 404 for an unknown seat', async () => {
    const res = await change(crypto.randomUUID(), { status: 'BLOCKED', reason: 'x' });
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('NOT_FOUND');
  });

  it('is for match managers only: 401 anonymous, 403 fan and support agent', async () => {
    const seat = seats[9]!;
    const anon = await t.request({
      method: 'PUT',
      url: `/admin/seats/${seat.id}/status`,
      payload: { status: 'BLOCKED', reason: 'x' },
    });
    expect(anon.statusCode).toBe(401);
    const fan = await createUser(t.deps);
    expect((await change(seat.id, { status: 'BLOCKED', reason: 'x' }, fan.token)).statusCode).toBe(
      403,
    );
    const agent = await createUser(t.deps, { roles: ['SUPPORT_AGENT'] });
    expect(
      (await change(seat.id, { status: 'BLOCKED', reason: 'x' }, agent.token)).statusCode,
    ).toBe(403);
  });
});
