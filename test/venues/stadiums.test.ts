import { beforeAll, describe, expect, it } from 'vitest';
import { useTestContext } from '../harness/context.ts';
import { auditEvents } from '../harness/audit.ts';
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

beforeAll(async () => {
  token = await manager(t);
});

describe('access', () => {
  it('refuses anonymous callers and fans', async () => {
    expect((await t.request({ method: 'GET', url: '/admin/stadiums' })).statusCode).toBe(401);
    const fan = await t.token('00000000-0000-4000-8000-000000000002', ['FAN']);
    const res = await api(t, fan, 'POST', '/admin/stadiums', { name: 'X', city: 'Y' });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('FORBIDDEN');
  });

  it('lets a SUPER_ADMIN in', async () => {
    const admin = await t.token('00000000-0000-4000-8000-000000000003', ['SUPER_ADMIN']);
    expect((await api(t, admin, 'GET', '/admin/stadiums')).status).toBe(200);
  });
});

describe('stadium templates (E2-F3, E2-F5)', () => {
  it('creates a home stadium with defaults, 201', async () => {
    const res = await api(t, token, 'POST', '/admin/stadiums', {
      name: 'Stadion Kantrida',
      city: 'Rijeka',
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      name: 'Stadion Kantrida',
      city: 'Rijeka',
      country: 'Croatia',
      address: null,
      type: 'HOME',
      is_numbered: true,
      base_capacity: 0,
      latitude: null,
      longitude: null,
      sector_count: 0,
    });
  });

  it('keeps the location wallet passes show (E9-F4); latitude and longitude go together', async () => {
    const res = await api(t, token, 'POST', '/admin/stadiums', {
      name: 'Stadion Rujevica (located)',
      city: 'Rijeka',
      latitude: 45.3409,
      longitude: 14.4052,
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ latitude: 45.3409, longitude: 14.4052 });
    const got = await api(t, token, 'GET', `/admin/stadiums/${res.body.id}`);
    expect(got.body).toMatchObject({ latitude: 45.3409, longitude: 14.4052 });
    const half = await api(t, token, 'POST', '/admin/stadiums', {
      name: 'Half located',
      city: 'Split',
      latitude: 43.5,
    });
    expect(half.status).toBe(400);
    expect(half.body.errors.map((e: { field: string }) => e.field)).toEqual(['body.longitude']);
    const off = await api(t, token, 'POST', '/admin/stadiums', {
      name: 'Off the map',
      city: 'Split',
      latitude: 91,
      longitude: 16,
    });
    expect(off.status).toBe(400);
    expect(off.body.errors.map((e: { field: string }) => e.field)).toEqual(['body.latitude']);
  });

  it('creates an away stadium with every field saved and is_numbered persisted', async () => {
    const res = await api(t, token, 'POST', '/admin/stadiums', {
      name: 'Estadio da Luz',
      city: 'Lisboa',
      country: 'Portugal',
      address: 'Av. Eusébio da Silva Ferreira',
      type: 'AWAY',
      is_numbered: false,
      base_capacity: 3000,
    });
    expect(res.status).toBe(201);
    const got = await api(t, token, 'GET', `/admin/stadiums/${res.body.id}`);
    expect(got.body).toMatchObject({
      name: 'Estadio da Luz',
      city: 'Lisboa',
      country: 'Portugal',
      address: 'Av. Eusébio da Silva Ferreira',
      type: 'AWAY',
      is_numbered: false,
      base_capacity: 3000,
      sectors: [],
    });
    // E2-F5: sectors of an away stadium carry their capacity
    const sector = await api(t, token, 'POST', `/admin/stadiums/${res.body.id}/sectors`, {
      name: 'Away end',
      code: 'G1',
      capacity: 2500,
      sector_type: 'STANDING',
    });
    expect(sector.status).toBe(201);
    expect(sector.body).toMatchObject({ capacity: 2500, sector_type: 'STANDING', code: 'G1' });
    const after = await api(t, token, 'GET', `/admin/stadiums/${res.body.id}`);
    expect(after.body.sectors).toHaveLength(1);
    expect(after.body.base_capacity).toBe(2500);
  });

  it('validates the body (400 lists the fields)', async () => {
    const res = await api(t, token, 'POST', '/admin/stadiums', { name: '', type: 'MOON' });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(
      ['body.city', 'body.name', 'body.type'].sort(),
    );
  });

  it('lists stadiums filtered by type, paginated with total', async () => {
    for (let i = 0; i < 3; i++) await createStadium(t, token, { type: 'AWAY', country: 'Italy' });
    const all = await api(t, token, 'GET', '/admin/stadiums?type=AWAY&limit=100');
    expect(all.status).toBe(200);
    expect(all.body.items.length).toBeGreaterThanOrEqual(3);
    expect(all.body.items.every((s: { type: string }) => s.type === 'AWAY')).toBe(true);
    expect(all.body.total).toBe(all.body.items.length);

    const page2 = await api(t, token, 'GET', '/admin/stadiums?type=AWAY&page=2&limit=2');
    expect(page2.body).toMatchObject({ page: 2, limit: 2, total: all.body.total });
    expect(page2.body.items.map((s: { id: string }) => s.id)).toEqual(
      all.body.items.slice(2, 4).map((s: { id: string }) => s.id),
    );

    const home = await api(t, token, 'GET', '/admin/stadiums?type=HOME&limit=100');
    expect(home.body.items.every((s: { type: string }) => s.type === 'HOME')).toBe(true);
    expect((await api(t, token, 'GET', '/admin/stadiums?limit=500')).status).toBe(400);
  });

  it('answers 404 for an unknown stadium', async () => {
    const res = await api(t, token, 'GET', '/admin/stadiums/7b3c5a54-2d5e-4f57-9d51-0b6f1b7c6a11');
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('NOT_FOUND');
  });
});

describe('template sectors', () => {
  it('creates, lists, reads, updates sectors and keeps base_capacity = sum of capacities', async () => {
    const stadium = await createStadium(t, token);
    const north = await api(t, token, 'POST', `/admin/stadiums/${stadium.id}/sectors`, {
      name: 'Sjever A',
      code: 'n-a',
      capacity: 1200,
    });
    expect(north.status).toBe(201);
    expect(north.body).toMatchObject({
      stadium_id: stadium.id,
      code: 'N-A',
      sector_type: 'STANDARD',
      has_seat_map: false,
      seat_count: 0,
    });
    await createSector(t, token, stadium.id, { code: 'VIP', capacity: 300, sector_type: 'VIP' });

    const list = await api(t, token, 'GET', `/admin/stadiums/${stadium.id}/sectors`);
    expect(list.body.items.map((s: { code: string }) => s.code)).toEqual(['N-A', 'VIP']);
    const detail = await api(t, token, 'GET', `/admin/stadiums/${stadium.id}`);
    expect(detail.body).toMatchObject({ base_capacity: 1500, sector_count: 2 });
    expect(detail.body.sectors).toHaveLength(2);

    const one = await api(
      t,
      token,
      'GET',
      `/admin/stadiums/${stadium.id}/sectors/${north.body.id}`,
    );
    expect(one.body).toMatchObject({ id: north.body.id, seat_map: null });

    const updated = await api(
      t,
      token,
      'PUT',
      `/admin/stadiums/${stadium.id}/sectors/${north.body.id}`,
      { name: 'Sjever A (donji)', capacity: 1000 },
    );
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ name: 'Sjever A (donji)', capacity: 1000, code: 'N-A' });
    expect((await api(t, token, 'GET', `/admin/stadiums/${stadium.id}`)).body.base_capacity).toBe(
      1300,
    );
    const empty = await api(
      t,
      token,
      'PUT',
      `/admin/stadiums/${stadium.id}/sectors/${north.body.id}`,
      {},
    );
    expect(empty.status).toBe(400);
  });

  it('returns 409 for a duplicate code within a stadium (case-insensitive), not across stadiums', async () => {
    const a = await createStadium(t, token);
    const b = await createStadium(t, token);
    await createSector(t, token, a.id, { code: 'E1' });
    const dup = await api(t, token, 'POST', `/admin/stadiums/${a.id}/sectors`, {
      name: 'Istok 1 again',
      code: 'e1',
      capacity: 10,
    });
    expect(dup.status).toBe(409);
    expect(dup.body.code).toBe('SECTOR_CODE_TAKEN');
    expect((await createSector(t, token, b.id, { code: 'E1' })).code).toBe('E1');

    const other = await createSector(t, token, a.id, { code: 'E2' });
    const rename = await api(t, token, 'PUT', `/admin/stadiums/${a.id}/sectors/${other.id}`, {
      code: 'E1',
    });
    expect(rename.status).toBe(409);
    expect(rename.body.code).toBe('SECTOR_CODE_TAKEN');
  });

  it('does not reach a sector through another stadium', async () => {
    const a = await createStadium(t, token);
    const b = await createStadium(t, token);
    const sector = await createSector(t, token, a.id);
    for (const method of ['GET', 'PUT', 'DELETE'] as const) {
      const res = await api(
        t,
        token,
        method,
        `/admin/stadiums/${b.id}/sectors/${sector.id}`,
        method === 'PUT' ? { name: 'x' } : undefined,
      );
      expect(res.status).toBe(404);
    }
  });

  it('deletes a plain sector (204) and refuses one with a seat map or used by a match (409)', async () => {
    const stadium = await createStadium(t, token);
    const plain = await createSector(t, token, stadium.id, { capacity: 50 });
    const mapped = await createSector(t, token, stadium.id);
    const used = await createSector(t, token, stadium.id);

    expect(
      (
        await api(t, token, 'POST', `/admin/sectors/${mapped.id}/seat-map`, {
          seat_map_json: smallMap,
        })
      ).status,
    ).toBe(201);
    await matchUsingSector(t, used.id);

    const withMap = await api(
      t,
      token,
      'DELETE',
      `/admin/stadiums/${stadium.id}/sectors/${mapped.id}`,
    );
    expect(withMap.status).toBe(409);
    expect(withMap.body).toMatchObject({ code: 'SECTOR_IN_USE', reason: 'HAS_SEAT_MAP' });

    const withMatch = await api(
      t,
      token,
      'DELETE',
      `/admin/stadiums/${stadium.id}/sectors/${used.id}`,
    );
    expect(withMatch.status).toBe(409);
    expect(withMatch.body).toMatchObject({ code: 'SECTOR_IN_USE', reason: 'USED_BY_MATCHES' });

    const ok = await t.request({
      method: 'DELETE',
      url: `/admin/stadiums/${stadium.id}/sectors/${plain.id}`,
      token,
    });
    expect(ok.statusCode).toBe(204);
    const sectors = await api(t, token, 'GET', `/admin/stadiums/${stadium.id}/sectors`);
    expect(sectors.body.items.map((s: { id: string }) => s.id).sort()).toEqual(
      [mapped.id, used.id].sort(),
    );
    expect((await api(t, token, 'GET', `/admin/stadiums/${stadium.id}`)).body.base_capacity).toBe(
      200,
    );
  });
});

describe('audit trail', () => {
  it('records every change as an audit event in the same transaction', async () => {
    const events = (subjectId: string) => auditEvents(t.deps.db, subjectId);
    const stadium = await createStadium(t, token);
    expect(await events(stadium.id)).toMatchObject([
      {
        domain: 'stadium',
        action: 'stadium_created',
        actor: { type: 'user', id: '00000000-0000-4000-8000-000000000001' },
      },
    ]);
    const sector = await createSector(t, token, stadium.id);
    await api(t, token, 'PUT', `/admin/stadiums/${stadium.id}/sectors/${sector.id}`, {
      capacity: 5,
    });
    await api(t, token, 'POST', `/admin/stadiums/${stadium.id}/sectors`, {
      name: 'dup',
      code: sector.code,
      capacity: 1,
    });
    await api(t, token, 'DELETE', `/admin/stadiums/${stadium.id}/sectors/${sector.id}`);
    expect((await events(sector.id)).map((e) => e.action)).toEqual([
      'sector_created',
      'sector_updated',
      'sector_deleted',
    ]);
  });
});
