import { sql } from 'kysely';
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { inventoryJobs } from '../../src/modules/inventory/inventory.jobs.ts';
import {
  getBulkOperation,
  runBulkOperation,
  startBulkStatus,
} from '../../src/modules/inventory/inventory.service.ts';
import {
  claimSeats,
  holdSeats,
  inventoryOf,
  setStatus,
  type InventoryRow,
} from '../factories/inventory.ts';
import { createLockedMatch, type LockedMatch } from '../factories/matches.ts';
import { createUser, type TestUser } from '../factories/users.ts';
import { useTestContext } from '../harness/context.ts';

const t = useTestContext();

let manager: TestUser;

const post = (payload: object, token = manager.token) =>
  t.request({ method: 'POST', url: '/admin/seats/bulk-status', token, payload });

beforeAll(async () => {
  manager = await createUser(t.deps, { roles: ['MATCH_MANAGER'] });
});

async function statuses(matchSectorId: string) {
  return new Map((await inventoryOf(t.deps.db, matchSectorId)).map((r) => [r.id, r]));
}

describe('POST /admin/seats/bulk-status (E3-F3): selection', () => {
  let match: LockedMatch;
  let rows: InventoryRow[];
  beforeAll(async () => {
    match = await createLockedMatch(t.deps, { rows: 5, seatsPerRow: 8, sectors: 2 });
    rows = await inventoryOf(t.deps.db, match.sectors[0]!.matchSectorId);
  });

  it('accepts an array of seat ids, answers 202 with the operation and changes exactly those seats', async () => {
    const ids = [rows[0]!.id, rows[9]!.id, rows[17]!.id];
    const res = await post({
      match_id: match.matchId,
      seat_ids: ids,
      status: 'BLOCKED',
      reason: 'Camera platform',
    });
    expect(res.statusCode).toBe(202);
    const op = res.json();
    expect(res.headers.location).toBe(`/admin/seats/bulk-status/${op.operation_id}`);
    expect(op).toMatchObject({
      status: 'PENDING',
      to_status: 'BLOCKED',
      progress: { total: 3, processed: 0 },
      selection: { seat_ids: expect.arrayContaining(ids), sector_id: null },
    });
    const done = await runBulkOperation(t.deps, op.operation_id);
    expect(done).toMatchObject({
      status: 'COMPLETED',
      progress: { total: 3, processed: 3, percent: 100 },
      counts: { updated: 3, skipped: 0, unchanged: 0, filtered: 0 },
    });
    const after = await statuses(match.sectors[0]!.matchSectorId);
    for (const r of rows) {
      expect(after.get(r.id)!.status).toBe(ids.includes(r.id) ? 'BLOCKED' : 'AVAILABLE');
    }
    const logs = await t.deps.db
      .selectFrom('seat_audit_logs')
      .select(['match_seat_inventory_id', 'bulk_operation_id', 'reason', 'changed_by'])
      .where('bulk_operation_id', '=', op.operation_id)
      .execute();
    expect(logs.map((l) => l.match_seat_inventory_id).sort()).toEqual([...ids].sort());
    expect(logs.every((l) => l.reason === 'Camera platform' && l.changed_by === manager.id)).toBe(
      true,
    );
  });

  it('selects every seat of a sector (and none of another sector)', async () => {
    const sector = match.sectors[1]!;
    const res = await post({
      match_id: match.matchId,
      sector_id: sector.matchSectorId,
      status: 'INACTIVE',
      reason: 'Sector closed for this match',
    });
    expect(res.statusCode).toBe(202);
    expect(res.json().progress.total).toBe(40);
    const done = await runBulkOperation(t.deps, res.json().operation_id);
    expect(done!.counts.updated).toBe(40);
    const other = await inventoryOf(t.deps.db, sector.matchSectorId);
    expect(other.every((r) => r.status === 'INACTIVE')).toBe(true);
    const first = await inventoryOf(t.deps.db, match.sectors[0]!.matchSectorId);
    expect(first.some((r) => r.status === 'INACTIVE')).toBe(false);
  });

  it('selects a row range (sector + from_row + to_row, inclusive, by row label)', async () => {
    const sector = match.sectors[0]!;
    const res = await post({
      match_id: match.matchId,
      sector_id: sector.matchSectorId,
      from_row: 'D',
      to_row: 'B',
      status: 'TECHNICAL',
      reason: 'Broadcast',
      status_filter: ['AVAILABLE'],
    });
    expect(res.statusCode).toBe(202);
    expect(res.json().selection).toMatchObject({ from_row_index: 1, to_row_index: 3 });
    await runBulkOperation(t.deps, res.json().operation_id);
    const after = await inventoryOf(t.deps.db, sector.matchSectorId);
    for (const r of after) {
      const inRange = ['B', 'C', 'D'].includes(r.row_identifier);
      const wasBlocked = [rows[9]!.id, rows[17]!.id, rows[0]!.id].includes(r.id);
      expect(r.status, `${r.row_identifier}${r.seat_number}`).toBe(
        wasBlocked ? 'BLOCKED' : inRange ? 'TECHNICAL' : 'AVAILABLE',
      );
    }
  });

  it('applies the optional current-status filter', async () => {
    const sector = match.sectors[0]!;
    const res = await post({
      match_id: match.matchId,
      sector_id: sector.matchSectorId,
      status_filter: ['BLOCKED'],
      status: 'AVAILABLE',
      reason: 'Unblock',
    });
    const done = await runBulkOperation(t.deps, res.json().operation_id);
    expect(done!.counts).toEqual({ updated: 3, unchanged: 15, filtered: 22, skipped: 0 });
    const after = await inventoryOf(t.deps.db, sector.matchSectorId);
    expect(after.filter((r) => r.status === 'BLOCKED')).toHaveLength(0);
    expect(after.filter((r) => r.status === 'TECHNICAL')).toHaveLength(22);
  });

  it('rejects bad selections and targets with 400 and no operation', async () => {
    const sector = match.sectors[0]!;
    const other = await createLockedMatch(t.deps, { rows: 1, seatsPerRow: 2 });
    const base = { match_id: match.matchId, status: 'BLOCKED', reason: 'x' };
    const cases: [object, string, string?][] = [
      [base, 'VALIDATION_FAILED'],
      [{ ...base, seat_ids: [rows[0]!.id], sector_id: sector.matchSectorId }, 'VALIDATION_FAILED'],
      [{ ...base, sector_id: sector.matchSectorId, from_row: 'A' }, 'VALIDATION_FAILED'],
      [{ ...base, seat_ids: [rows[0]!.id], from_row: 'A', to_row: 'B' }, 'VALIDATION_FAILED'],
      [
        { ...base, sector_id: sector.matchSectorId, from_row: 'A', to_row: 'Z' },
        'VALIDATION_FAILED',
        'body.to_row',
      ],
      [
        { ...base, sector_id: other.sectors[0]!.matchSectorId },
        'VALIDATION_FAILED',
        'body.sector_id',
      ],
      [{ ...base, seat_ids: [rows[0]!.id, other.sectors[0]!.seatIds[0]] }, 'VALIDATION_FAILED'],
      [{ ...base, sector_id: sector.matchSectorId, status: 'SOLD' }, 'INVALID_SEAT_TRANSITION'],
      [
        { ...base, sector_id: sector.matchSectorId, reason: '' },
        'VALIDATION_FAILED',
        'body.reason',
      ],
    ];
    const otherInventory = await inventoryOf(t.deps.db, other.sectors[0]!.matchSectorId);
    cases[6]![0] = { ...base, seat_ids: [rows[0]!.id, otherInventory[0]!.id] };
    cases[6]![2] = 'body.seat_ids.1';
    const before = await t.deps.db.selectFrom('seat_bulk_operations').select('id').execute();
    for (const [payload, code, field] of cases) {
      const res = await post(payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json().code).toBe(code);
      if (field) expect(res.json().errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    const unknownMatch = await post({
      ...base,
      match_id: crypto.randomUUID(),
      seat_ids: [rows[0]!.id],
    });
    expect(unknownMatch.statusCode).toBe(404);
    const after = await t.deps.db.selectFrom('seat_bulk_operations').select('id').execute();
    expect(after).toHaveLength(before.length);
    const unknownOp = await t.request({
      method: 'GET',
      url: `/admin/seats/bulk-status/${crypto.randomUUID()}`,
      token: manager.token,
    });
    expect(unknownOp.statusCode).toBe(404);
  });

  it('is for match managers only (403 for a fan and a support agent, 401 anonymous)', async () => {
    const payload = {
      match_id: match.matchId,
      seat_ids: [rows[0]!.id],
      status: 'BLOCKED',
      reason: 'x',
    };
    const fan = await createUser(t.deps);
    const agent = await createUser(t.deps, { roles: ['SUPPORT_AGENT'] });
    expect((await post(payload, fan.token)).statusCode).toBe(403);
    expect((await post(payload, agent.token)).statusCode).toBe(403);
    expect(
      (await t.request({ method: 'POST', url: '/admin/seats/bulk-status', payload })).statusCode,
    ).toBe(401);
    const get = await t.request({
      method: 'GET',
      url: `/admin/seats/bulk-status/${crypto.randomUUID()}`,
      token: fan.token,
    });
    expect(get.statusCode).toBe(403);
  });
});

describe('bulk status: held seats are skipped, listed and never overwritten', () => {
  let match: LockedMatch;
  beforeAll(async () => {
    match = await createLockedMatch(t.deps, { rows: 4, seatsPerRow: 10 });
  });

  it('skips live holds and SOLD seats, lists them, and changes expired holds', async () => {
    const sector = match.sectors[0]!;
    const rows = await inventoryOf(t.deps.db, sector.matchSectorId);
    const now = t.clock.now();
    const cart = crypto.randomUUID();
    const live = [rows[3]!.id, rows[4]!.id];
    const expired = [rows[5]!.id];
    const sold = [rows[12]!.id];
    await holdSeats(t.deps.db, live, { ownerId: cart, until: new Date(now.getTime() + 600_000) });
    await holdSeats(t.deps.db, expired, {
      ownerId: crypto.randomUUID(),
      until: new Date(now.getTime() - 1),
    });
    await setStatus(t.deps.db, sold, 'SOLD');

    const op = await startBulkStatus(
      t.deps,
      {
        match_id: match.matchId,
        sector_id: sector.matchSectorId,
        status: 'MAINTENANCE',
        reason: 'Roof works',
      },
      { userId: manager.id },
      { batchSize: 7 },
    );
    const done = await runBulkOperation(t.deps, op.operation_id);
    expect(done).toMatchObject({
      status: 'COMPLETED',
      progress: { total: 40, processed: 40, batches_done: 6 },
      counts: { updated: 37, skipped: 3, unchanged: 0, filtered: 0 },
    });
    const res = await t.request({
      method: 'GET',
      url: `/admin/seats/bulk-status/${op.operation_id}`,
      token: manager.token,
    });
    expect(res.statusCode).toBe(200);
    const skipped = res.json().skipped_seats as { id: string; reason: string; status: string }[];
    expect(skipped.map((s) => [s.id, s.reason, s.status]).sort()).toEqual(
      [
        [live[0], 'HELD', 'RESERVED'],
        [live[1], 'HELD', 'RESERVED'],
        [sold[0], 'INVALID_TRANSITION', 'SOLD'],
      ].sort(),
    );
    expect(skipped[0]).toMatchObject({ sector_code: 'S1', row_identifier: 'A' });
    const after = await statuses(sector.matchSectorId);
    for (const id of live)
      expect(after.get(id)).toMatchObject({ status: 'RESERVED', hold_owner_id: cart });
    expect(after.get(sold[0]!)!.status).toBe('SOLD');
    expect(after.get(expired[0]!)).toMatchObject({ status: 'MAINTENANCE', hold_owner_id: null });
    const log = await t.deps.db
      .selectFrom('seat_audit_logs')
      .select('from_status')
      .where('match_seat_inventory_id', '=', expired[0]!)
      .executeTakeFirstOrThrow();
    expect(log.from_status).toBe('AVAILABLE');
  });

  it('running a completed operation again (a re-delivered job) changes nothing', async () => {
    const sector = match.sectors[0]!;
    const op = await startBulkStatus(
      t.deps,
      {
        match_id: match.matchId,
        sector_id: sector.matchSectorId,
        status: 'INACTIVE',
        reason: 'Twice',
      },
      { userId: manager.id },
      { batchSize: 9 },
    );
    const [a, b] = await Promise.all([
      runBulkOperation(t.deps, op.operation_id),
      runBulkOperation(t.deps, op.operation_id),
    ]);
    const again = await runBulkOperation(t.deps, op.operation_id);
    for (const r of [a, b, again]) {
      expect(r).toMatchObject({
        status: 'COMPLETED',
        progress: { total: 40, processed: 40 },
        counts: { updated: 37, skipped: 3 },
      });
    }
    const logs = await t.deps.db
      .selectFrom('seat_audit_logs')
      .select('id')
      .where('bulk_operation_id', '=', op.operation_id)
      .execute();
    expect(logs).toHaveLength(37);
  });
});

describe('bulk status: a crash mid-way', () => {
  it('loses only the open batch; the retried job resumes at the cursor without repeating work', async () => {
    const match = await createLockedMatch(t.deps, { rows: 3, seatsPerRow: 10 });
    const sector = match.sectors[0]!;
    const op = await startBulkStatus(
      t.deps,
      {
        match_id: match.matchId,
        sector_id: sector.matchSectorId,
        status: 'BLOCKED',
        reason: 'Crash test',
      },
      { userId: manager.id },
      { batchSize: 12 },
    );
    // The worker dies while writing the second batch: its audit event (same transaction
    // as the batch) fails to be written.
    await sql`CREATE FUNCTION fail_second_batch() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.event->>'action' = 'seat_status_bulk_changed'
           AND NEW.event->'changes'->>'batch' = '2' THEN
          RAISE EXCEPTION 'worker died';
        END IF;
        RETURN NEW;
      END $$`.execute(t.deps.db);
    await sql`CREATE TRIGGER fail_second_batch BEFORE INSERT ON audit_outbox
              FOR EACH ROW EXECUTE FUNCTION fail_second_batch()`.execute(t.deps.db);
    try {
      await expect(runBulkOperation(t.deps, op.operation_id)).rejects.toThrow('worker died');
    } finally {
      await sql`DROP TRIGGER fail_second_batch ON audit_outbox`.execute(t.deps.db);
      await sql`DROP FUNCTION fail_second_batch()`.execute(t.deps.db);
    }
    const mid = await getBulkOperation(t.deps, op.operation_id);
    expect(mid).toMatchObject({
      status: 'RUNNING',
      progress: { total: 30, processed: 12, batches_done: 1 },
      counts: { updated: 12 },
    });
    const blockedMid = (await inventoryOf(t.deps.db, sector.matchSectorId)).filter(
      (r) => r.status === 'BLOCKED',
    );
    expect(blockedMid).toHaveLength(12);

    const done = await runBulkOperation(t.deps, op.operation_id);
    expect(done).toMatchObject({
      status: 'COMPLETED',
      progress: { total: 30, processed: 30, batches_done: 3 },
      counts: { updated: 30, unchanged: 0, skipped: 0 },
    });
    const logs = await t.deps.db
      .selectFrom('seat_audit_logs')
      .select('match_seat_inventory_id')
      .where('bulk_operation_id', '=', op.operation_id)
      .execute();
    expect(logs).toHaveLength(30);
    expect(new Set(logs.map((l) => l.match_seat_inventory_id)).size).toBe(30);
  });
});

describe('bulk status vs concurrent cart claims (invariants 1 and 3)', () => {
  it('never overwrites a seat a cart claimed, whatever the interleaving', async () => {
    const match = await createLockedMatch(t.deps, { rows: 20, seatsPerRow: 50 });
    const sector = match.sectors[0]!;
    const now = t.clock.now();
    const until = new Date(now.getTime() + 20 * 60_000);
    const op = await startBulkStatus(
      t.deps,
      {
        match_id: match.matchId,
        sector_id: sector.matchSectorId,
        status: 'BLOCKED',
        reason: 'Race',
      },
      { userId: manager.id },
      { batchSize: 40 },
    );

    let bulkDone = false;
    const claims = new Map<string, string[]>();
    const claimer = async () => {
      while (!bulkDone) {
        const owner = crypto.randomUUID();
        const ids = await claimSeats(t.deps.db, {
          matchSectorId: sector.matchSectorId,
          count: 4,
          ownerId: owner,
          now,
          until,
        });
        if (ids.length) claims.set(owner, ids);
        await sleep(Math.random() * 4);
      }
    };
    const bulk = (async () => {
      await sleep(5);
      try {
        return await runBulkOperation(t.deps, op.operation_id);
      } finally {
        bulkDone = true;
      }
    })();
    const [result] = await Promise.all([bulk, ...Array.from({ length: 6 }, claimer)]);

    const claimed = [...claims.values()].flat();
    expect(claimed.length).toBeGreaterThan(0);
    expect(new Set(claimed).size).toBe(claimed.length); // no seat claimed twice
    const after = await statuses(sector.matchSectorId);
    for (const [owner, ids] of claims) {
      for (const id of ids)
        expect(after.get(id)).toMatchObject({ status: 'RESERVED', hold_owner_id: owner });
    }
    const claimedSet = new Set(claimed);
    for (const [id, row] of after) if (!claimedSet.has(id)) expect(row.status).toBe('BLOCKED');
    expect(result!.counts.updated + result!.counts.skipped).toBe(1000);
    expect(result!.counts.updated).toBe(1000 - claimed.length);
    expect(result!.counts.updated).toBeGreaterThan(0); // the two really interleaved
    const listed = (await getBulkOperation(t.deps, op.operation_id)).skipped_seats;
    expect(listed.every((s) => s.reason === 'HELD')).toBe(true);
    expect(new Set(listed.map((s) => s.id))).toEqual(claimedSet);
  });
});

describe('bulk status through the job worker', () => {
  it('runs the job in batches of 500 and reports progress until COMPLETED', async () => {
    const match = await createLockedMatch(t.deps, { rows: 24, seatsPerRow: 50 });
    const sector = match.sectors[0]!;
    await t.startWorker(inventoryJobs(t.deps));
    const res = await post({
      match_id: match.matchId,
      sector_id: sector.matchSectorId,
      status: 'OFFICIAL',
      reason: 'Federation guests',
    });
    expect(res.statusCode).toBe(202);
    const url = `/admin/seats/bulk-status/${res.json().operation_id}`;
    const seen = new Set<string>();
    let body: { status: string; progress: { processed: number; batches_done: number } };
    const deadline = Date.now() + 20_000;
    do {
      await sleep(50);
      body = (await t.request({ method: 'GET', url, token: manager.token })).json();
      seen.add(body.status);
    } while (body.status !== 'COMPLETED' && Date.now() < deadline);
    expect(body).toMatchObject({
      status: 'COMPLETED',
      batch_size: 500,
      progress: { total: 1200, processed: 1200, batches_done: 3, percent: 100 },
      counts: { updated: 1200 },
      skipped_seats: [],
    });
    const rows = await inventoryOf(t.deps.db, sector.matchSectorId);
    expect(rows.every((r) => r.status === 'OFFICIAL')).toBe(true);
  });
});
