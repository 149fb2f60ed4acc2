import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { readdir } from 'node:fs/promises';
import jsQRModule from 'jsqr';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedAuditEvent } from '../../src/modules/audit/audit.service.ts';
import { startAuditShipper } from '../../src/modules/audit/audit.shipper.ts';
import { startLocalLoki } from '../harness/servers/loki.ts';
import { waitFor } from '../harness/wait.ts';
import { createUser, type TestUser } from '../factories/users.ts';
import { useTestContext } from '../harness/context.ts';
import { tool } from '../harness/tools.ts';
import { createLockedMatch } from '../factories/matches.ts';
import { createMatch } from '../../src/modules/matches/matches.service.ts';
import { createQuotaRequest } from '../quotas/helpers.ts';
import { createSale } from '../sales/helpers.ts';
import {
  confirm,
  createPetrolQuotaRequest,
  fanWithPin,
  lookup,
  petrolMatch,
  quotaSeatCounts,
  stationWithCashiers,
} from './helpers.ts';

/** Admin petrol quotas (E12-F4): a petrol allocation is a quota of type PETROL. */

const loki = await startLocalLoki();
const t = useTestContext({
  env: { RATE_LIMIT_MAX: '100000', LOKI_URL: loki.url, LOKI_TENANT_ID: 'hns' },
});
afterAll(() => loki.close());
let shipper: { stop(): Promise<void> };
beforeAll(() => {
  shipper = startAuditShipper(t.deps, { pollMs: 100, retryDelayMs: 500, retryDelayMaxMs: 500 });
});
afterAll(() => shipper.stop());
const jsQR = jsQRModule as unknown as (typeof jsQRModule)['default'];
const run = promisify(execFile);

let manager: TestUser;
beforeAll(async () => {
  manager = await createUser(t.deps, { roles: ['MATCH_MANAGER'] });
});

/** Decodes a PNG with jsQR and, where installed (always in CI), zbarimg. */
async function decodePng(png: Buffer, name: string): Promise<string[]> {
  const image = PNG.sync.read(png);
  const found = [jsQR(new Uint8ClampedArray(image.data), image.width, image.height)?.data ?? ''];
  const zbarimg = tool('zbarimg');
  if (zbarimg) {
    const file = join(tmpdir(), `${name}.png`);
    await writeFile(file, png);
    found.push((await run(zbarimg, ['--raw', '-q', file])).stdout.trim());
  }
  return found;
}

describe('POST /admin/petrol/quotas (E12-F4)', () => {
  it('creates the quota with forced flags, computed deep link; the list filters; the generic endpoints show it read-only', async () => {
    const sale = await createSale(t.deps, { rows: 2, seatsPerRow: 10 });
    const res = await createPetrolQuotaRequest(t, manager, {
      match_id: sale.matchId,
      sector_ids: [sale.zoneId],
      total_quantity: 6,
      // attempts to unforce are ignored (not in the schema: stripped)
      deferred_payment: false,
      can_create_subquotas: true,
    });
    expect(res.statusCode, res.body).toBe(201);
    const quota = res.json();
    expect(quota).toMatchObject({
      quota_type: 'PETROL',
      deferred_payment: true,
      can_create_subquotas: false,
      transfer_allowed: false,
      auto_send_email: false,
      status: 'ACTIVE',
      total_quantity: 6,
      deeplink_url: `hns://petrol-sales/${quota.id}`,
      figures: { sold: 0, cash_amount: 0, card_amount: 0, deferred_payment_status: 'NO_SALES' },
    });
    expect(quota.seats).toHaveLength(6);
    const row = await t.deps.db
      .selectFrom('quotas')
      .select(['quota_type', 'deferred_payment'])
      .where('id', '=', quota.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ quota_type: 'PETROL', deferred_payment: true });

    // detail
    const detail = await t.request({
      method: 'GET',
      url: `/admin/petrol/quotas/${quota.id}`,
      token: manager.token,
    });
    expect(detail.json()).toMatchObject({
      id: quota.id,
      deeplink_url: `hns://petrol-sales/${quota.id}`,
    });

    // filters: match, status, deferred-payment status, kick-off range; paginated
    const byMatch = await t.request({
      method: 'GET',
      url: `/admin/petrol/quotas?match_id=${sale.matchId}`,
      token: manager.token,
    });
    expect(byMatch.json()).toMatchObject({ total: 1, page: 1, items: [{ id: quota.id }] });
    const cancelled = await t.request({
      method: 'GET',
      url: `/admin/petrol/quotas?match_id=${sale.matchId}&status=CANCELLED`,
      token: manager.token,
    });
    expect(cancelled.json().total).toBe(0);
    const open = await t.request({
      method: 'GET',
      url: `/admin/petrol/quotas?deferred_payment_status=OPEN&match_id=${sale.matchId}`,
      token: manager.token,
    });
    expect(open.json().total).toBe(0);
    const noSales = await t.request({
      method: 'GET',
      url: `/admin/petrol/quotas?deferred_payment_status=NO_SALES&match_id=${sale.matchId}`,
      token: manager.token,
    });
    expect(noSales.json().total).toBe(1);
    const future = new Date(t.clock.now().getTime() + 365 * 86_400_000).toISOString();
    const past = await t.request({
      method: 'GET',
      url: `/admin/petrol/quotas?from=${encodeURIComponent(future)}`,
      token: manager.token,
    });
    expect(past.json().items.map((i: { id: string }) => i.id)).not.toContain(quota.id);
    const page = await t.request({
      method: 'GET',
      url: '/admin/petrol/quotas?limit=1&page=1',
      token: manager.token,
    });
    expect(page.json().items).toHaveLength(1);

    // a sale makes the deferred payment OPEN and counts the cash
    const { cashiers } = await stationWithCashiers(t, manager);
    const { pin } = await fanWithPin(t, sale.matchId, 1);
    const due = (await lookup(t, cashiers[0]!, pin.pin)).json().amount_due;
    expect((await confirm(t, cashiers[0]!, pin.pin)).statusCode).toBe(201);
    const after = await t.request({
      method: 'GET',
      url: `/admin/petrol/quotas?deferred_payment_status=OPEN&match_id=${sale.matchId}`,
      token: manager.token,
    });
    expect(after.json().items[0].figures).toMatchObject({
      sold: 1,
      cash_amount: due,
      card_amount: 0,
    });

    // generic endpoints: still listed and readable (quota_type shown) but read-only
    const generic = await t.request({
      method: 'GET',
      url: `/admin/quotas?match_id=${sale.matchId}`,
      token: manager.token,
    });
    expect(generic.json().items).toContainEqual(
      expect.objectContaining({ id: quota.id, quota_type: 'PETROL' }),
    );
    expect(
      (
        await t.request({ method: 'GET', url: `/admin/quotas/${quota.id}`, token: manager.token })
      ).json().quota_type,
    ).toBe('PETROL');
    const genericCreate = await createQuotaRequest(t, manager, {
      match_id: sale.matchId,
      sector_ids: [sale.zoneId],
      total_quantity: 1,
      quota_type: 'PETROL',
    });
    expect(genericCreate.statusCode).toBe(422);
    expect(genericCreate.json()).toMatchObject({
      code: 'QUOTA_TYPE_PETROL',
      use: 'POST /admin/petrol/quotas',
    });
    const genericCancel = await t.request({
      method: 'DELETE',
      url: `/admin/quotas/${quota.id}?option=all_unused`,
      token: manager.token,
    });
    expect(genericCancel.statusCode).toBe(422);
    expect(genericCancel.json()).toMatchObject({
      code: 'QUOTA_TYPE_PETROL',
      use: `POST /admin/petrol/quotas/${quota.id}/cancel`,
    });
    // the quota portal never offers a petrol quota for claiming
    const holder = await createUser(t.deps, { roles: ['QUOTA_HOLDER'], email: 'petrol@hns.hr' });
    const claim = await t.request({
      method: 'POST',
      url: `/quota-portal/quotas/${quota.id}/select-seats`,
      token: holder.token,
      payload: { quantity: 1 },
    });
    expect(claim.statusCode).toBe(404);
    // a second active petrol quota of the match
    const dup = await createPetrolQuotaRequest(t, manager, {
      match_id: sale.matchId,
      sector_ids: [sale.zoneId],
      total_quantity: 1,
    });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().code).toBe('PETROL_QUOTA_EXISTS');
  });

  it('concurrent creates for one match: one 201 and one 409, no seat allocated twice', async () => {
    const sale = await createSale(t.deps, { rows: 2, seatsPerRow: 10 });
    const input = { match_id: sale.matchId, sector_ids: [sale.zoneId], total_quantity: 5 };
    const results = await Promise.all(
      [0, 1, 2].map(() => createPetrolQuotaRequest(t, manager, input)),
    );
    expect(results.map((r) => r.statusCode).sort()).toEqual([201, 409, 409]);
    for (const r of results.filter((x) => x.statusCode === 409))
      expect(r.json().code).toBe('PETROL_QUOTA_EXISTS');
    const allocated = await t.deps.db
      .selectFrom('match_seat_inventory')
      .select('id')
      .where('match_id', '=', sale.matchId)
      .where('status', '=', 'ALLOCATED')
      .execute();
    expect(allocated).toHaveLength(5);
  });

  it('validates the match: unknown or without locked configuration → 422', async () => {
    const unknown = await createPetrolQuotaRequest(t, manager, {
      match_id: '00000000-0000-4000-8000-000000000000',
      sector_ids: ['00000000-0000-4000-8000-000000000001'],
      total_quantity: 1,
    });
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json().code).toBe('PETROL_MATCH_INVALID');
    const draft = await createMatch(
      t.deps,
      { userId: null },
      {
        home_team: 'Hrvatska',
        away_team: 'Unconfigured',
        competition: 'Friendly',
        kick_off_time: new Date(t.clock.now().getTime() + 86_400_000).toISOString(),
        match_type: 'HOME',
      },
    );
    const unlocked = await createPetrolQuotaRequest(t, manager, {
      match_id: draft.id,
      sector_ids: ['00000000-0000-4000-8000-000000000001'],
      total_quantity: 1,
    });
    expect(unlocked.statusCode).toBe(422);
    expect(unlocked.json().code).toBe('PETROL_MATCH_INVALID');
  });

  it('a station cashier is granted PETROL_STAFF (the role exists in RBAC)', async () => {
    const { station } = await stationWithCashiers(t, manager, 0);
    const user = await createUser(t.deps);
    const res = await t.request({
      method: 'PUT',
      url: `/admin/petrol/stations/${station.id}/staff/${user.id}`,
      token: manager.token,
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ user_id: user.id, station_id: station.id });
    expect(res.json().roles).toContain('PETROL_STAFF');
    const roles = await t.request({
      method: 'GET',
      url: `/admin/users/${user.id}/roles`,
      token: (await createUser(t.deps, { roles: ['SUPER_ADMIN'] })).token,
    });
    expect(roles.json().granted).toContain('PETROL_STAFF');
    const stations = await t.request({
      method: 'GET',
      url: '/admin/petrol/stations',
      token: manager.token,
    });
    expect(stations.json().items).toContainEqual(
      expect.objectContaining({ id: station.id, staff_count: 1 }),
    );
    const dup = await t.request({
      method: 'POST',
      url: '/admin/petrol/stations',
      token: manager.token,
      payload: { code: station.code, name: 'Again' },
    });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().code).toBe('PETROL_STATION_CODE_TAKEN');
  });

  it('MATCH_MANAGER only: 403 for other roles', async () => {
    const { quota } = await petrolMatch(t, manager, { quantity: 1 });
    for (const roles of [['FAN'], ['FINANCE'], ['PETROL_STAFF'], ['QUOTA_HOLDER']] as const) {
      const user = await createUser(t.deps, { roles: [...roles] });
      for (const [method, url] of [
        ['POST', '/admin/petrol/quotas'],
        ['GET', '/admin/petrol/quotas'],
        ['GET', `/admin/petrol/quotas/${quota.id}`],
        ['GET', `/admin/petrol/quotas/${quota.id}/qr.svg`],
        ['GET', `/admin/petrol/quotas/${quota.id}/qr.png`],
        ['POST', `/admin/petrol/quotas/${quota.id}/cancel`],
      ] as const) {
        const res = await t.request({
          method,
          url,
          token: user.token,
          payload: method === 'POST' ? {} : undefined,
        });
        expect(res.statusCode, `${roles} ${method} ${url}`).toBe(403);
      }
    }
  });
});

describe('the petrol QR codes (E12-F4)', () => {
  it('qr.svg and qr.png (≥ 600×600) decode to hns://petrol-sales/{quota-id}', async () => {
    const { quota } = await petrolMatch(t, manager, { quantity: 1 });
    const link = `hns://petrol-sales/${quota.id}`;
    const png = await t.request({
      method: 'GET',
      url: `/admin/petrol/quotas/${quota.id}/qr.png`,
      token: manager.token,
    });
    expect(png.statusCode).toBe(200);
    expect(png.headers['content-type']).toBe('image/png');
    const image = PNG.sync.read(png.rawPayload);
    expect(image.width).toBeGreaterThanOrEqual(600);
    expect(image.height).toBeGreaterThanOrEqual(600);
    expect(await decodePng(png.rawPayload, `petrol-${quota.id}`)).toEqual(
      expect.arrayContaining([link]),
    );
    for (const found of await decodePng(png.rawPayload, `petrol-${quota.id}-b`))
      expect(found).toBe(link);

    const svg = await t.request({
      method: 'GET',
      url: `/admin/petrol/quotas/${quota.id}/qr.svg`,
      token: manager.token,
    });
    expect(svg.statusCode).toBe(200);
    expect(svg.headers['content-type']).toMatch(/^image\/svg\+xml/);
    expect(svg.body).toContain('<svg');
    // rendered by a real SVG renderer (librsvg), then decoded
    const rsvg = tool('rsvg-convert');
    if (rsvg) {
      const file = join(tmpdir(), `petrol-${quota.id}.svg`);
      await writeFile(file, svg.body);
      const out = join(tmpdir(), `petrol-${quota.id}-svg.png`);
      await run(rsvg, ['-w', '600', '-h', '600', '-b', 'white', '-o', out, file]);
      for (const found of await decodePng(await readFile(out), `petrol-${quota.id}-svg`)) {
        expect(found).toBe(link);
      }
    }
    const standard = await t.request({
      method: 'GET',
      url: '/admin/petrol/quotas/00000000-0000-4000-8000-000000000000/qr.png',
      token: manager.token,
    });
    expect(standard.statusCode).toBe(404);
    // the app's landing for the deep link
    const info = await t.request({ method: 'GET', url: `/petrol-sales/quotas/${quota.id}` });
    expect(info.json()).toMatchObject({ quota_id: quota.id, available: 1, status: 'ACTIVE' });
  });

  it('petrol_deeplinks is not referenced by the code (E12-F4: the link is derived)', async () => {
    const hits: string[] = [];
    const walk = async (dir: string) => {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) await walk(path);
        else if (path.endsWith('.ts') && !path.endsWith('types.generated.ts')) {
          if ((await readFile(path, 'utf8')).includes('petrol_deeplinks')) hits.push(path);
        }
      }
    };
    await walk(join(import.meta.dirname, '../../src'));
    expect(hits).toEqual([]);
  });
});

describe('POST /admin/petrol/quotas/{id}/cancel (E12-F4 through E7-F7)', () => {
  it('all_unused: reservations closed, PINs cancelled, unsold seats back to sale, sold tickets kept; audited', async () => {
    const { sale, quota } = await petrolMatch(t, manager, { quantity: 6 });
    const { cashiers } = await stationWithCashiers(t, manager);
    const cashier = cashiers[0]!;
    const sold = await fanWithPin(t, sale.matchId, 2);
    await lookup(t, cashier, sold.pin.pin);
    expect((await confirm(t, cashier, sold.pin.pin)).statusCode).toBe(201);
    const reserved = await fanWithPin(t, sale.matchId, 2);
    const reservation = (await lookup(t, cashier, reserved.pin.pin)).json().reservation;
    const waiting = await fanWithPin(t, sale.matchId, 1);
    expect(await quotaSeatCounts(t, quota.id)).toEqual({ SOLD: 2, RESERVED: 2, ALLOCATED: 2 });

    const res = await t.request({
      method: 'POST',
      url: `/admin/petrol/quotas/${quota.id}/cancel`,
      token: manager.token,
      payload: { option: 'all_unused' },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      status: 'CANCELLED',
      cancellation_type: 'ALL_UNUSED',
      returned_seats: 4,
      quota_type: 'PETROL',
    });
    expect(await quotaSeatCounts(t, quota.id)).toEqual({ SOLD: 2, CANCELLED: 4 });
    const r = await t.deps.db
      .selectFrom('petrol_reservations')
      .select(['status', 'cancellation_reason'])
      .where('id', '=', reservation.id)
      .executeTakeFirstOrThrow();
    expect(r).toEqual({ status: 'CANCELLED', cancellation_reason: 'QUOTA_CANCELLED' });
    const pins = await t.deps.db
      .selectFrom('petrol_pins')
      .select(['id', 'status'])
      .where('id', 'in', [sold.pin.id, reserved.pin.id, waiting.pin.id])
      .execute();
    expect(Object.fromEntries(pins.map((p) => [p.id, p.status]))).toEqual({
      [sold.pin.id]: 'USED',
      [reserved.pin.id]: 'CANCELLED',
      [waiting.pin.id]: 'CANCELLED',
    });
    const available = await t.deps.db
      .selectFrom('match_seat_inventory')
      .select('id')
      .where('match_id', '=', sale.matchId)
      .where('status', '=', 'AVAILABLE')
      .execute();
    expect(available).toHaveLength(20 - 2);
    // both audit events reach Loki with admin, quota and match
    const inLoki = (action: string) =>
      loki
        .lines<RecordedAuditEvent>()
        .filter((l) => l.action === action && l.subject.id === quota.id);
    await waitFor(
      () =>
        inLoki('petrol_quota_created').length === 1 &&
        inLoki('petrol_quota_cancelled').length === 1,
      { what: 'the petrol quota audit events in Loki' },
    );
    for (const action of ['petrol_quota_created', 'petrol_quota_cancelled']) {
      expect(inLoki(action)[0]).toMatchObject({
        domain: 'petrol',
        actor: { type: 'user', id: manager.id },
        changes: { admin_id: manager.id, quota_id: quota.id, match_id: sale.matchId },
      });
    }
    // cancelled again; a new petrol quota may now be created for the match
    const again = await t.request({
      method: 'POST',
      url: `/admin/petrol/quotas/${quota.id}/cancel`,
      token: manager.token,
      payload: {},
    });
    expect(again.json().code).toBe('QUOTA_NOT_CANCELLABLE');
    const fresh = await createPetrolQuotaRequest(t, manager, {
      match_id: sale.matchId,
      sector_ids: [sale.zoneId],
      total_quantity: 2,
    });
    expect(fresh.statusCode).toBe(201);
    // a standard quota is not cancelled here
    const match = await createLockedMatch(t.deps, { status: 'PUBLISHED' });
    const std = await createQuotaRequest(t, manager, {
      match_id: match.matchId,
      sector_ids: [match.sectors[0]!.matchSectorId],
      total_quantity: 1,
    });
    const wrong = await t.request({
      method: 'POST',
      url: `/admin/petrol/quotas/${std.json().id}/cancel`,
      token: manager.token,
      payload: {},
    });
    expect(wrong.statusCode).toBe(404);
  });

  it('unfulfilled_only: only the free seats go back; a live reservation carries on and can be sold', async () => {
    const { sale, quota } = await petrolMatch(t, manager, { quantity: 4 });
    const { cashiers } = await stationWithCashiers(t, manager);
    const { pin } = await fanWithPin(t, sale.matchId, 2);
    await lookup(t, cashiers[0]!, pin.pin);
    const res = await t.request({
      method: 'POST',
      url: `/admin/petrol/quotas/${quota.id}/cancel`,
      token: manager.token,
      payload: { option: 'unfulfilled_only' },
    });
    expect(res.json()).toMatchObject({ status: 'CANCELLED', returned_seats: 2 });
    expect(await quotaSeatCounts(t, quota.id)).toEqual({ RESERVED: 2, CANCELLED: 2 });
    expect((await confirm(t, cashiers[0]!, pin.pin)).statusCode).toBe(201);
    expect(await quotaSeatCounts(t, quota.id)).toEqual({ SOLD: 2, CANCELLED: 2 });
  });
});
