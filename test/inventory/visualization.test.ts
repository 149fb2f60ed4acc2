import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  changeSeatStatus,
  statusSummary,
  summaryCacheKey,
} from '../../src/modules/inventory/inventory.service.ts';
import { SEAT_STATUSES, SEAT_STATUS_COLORS } from '../../src/modules/inventory/seat-status.ts';
import { holdSeats, inventoryOf, setStatus, type InventoryRow } from '../factories/inventory.ts';
import { createLockedMatch, type LockedMatch } from '../factories/matches.ts';
import { createUser, type TestUser } from '../factories/users.ts';
import { useTestContext } from '../harness/context.ts';
import { findTool, tool } from '../harness/tools.ts';

const t = useTestContext();

let manager: TestUser;
let match: LockedMatch;
let s1: InventoryRow[];
let s2: InventoryRow[];

const get = (url: string, token = manager.token) => t.request({ method: 'GET', url, token });

/** A real SVG renderer on this machine: headless Chromium, else librsvg's rsvg-convert. */
function svgRenderer(): ((svgFile: string, pngFile: string) => void) | null {
  const chromium = findTool('chromium', 'chromium-browser');
  if (chromium) {
    return (svgFile, pngFile) =>
      execFileSync(chromium, [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        `--screenshot=${pngFile}`,
        '--window-size=800,400',
        `file://${svgFile}`,
      ]);
  }
  const rsvg = tool('rsvg-convert');
  if (rsvg) return (svgFile, pngFile) => execFileSync(rsvg, ['-o', pngFile, svgFile]);
  return null;
}

beforeAll(async () => {
  manager = await createUser(t.deps, { roles: ['MATCH_MANAGER'] });
  match = await createLockedMatch(t.deps, { rows: 4, seatsPerRow: 10, sectors: 2 });
  s1 = await inventoryOf(t.deps.db, match.sectors[0]!.matchSectorId);
  s2 = await inventoryOf(t.deps.db, match.sectors[1]!.matchSectorId);
  const now = t.clock.now();
  // S1: 40 seats = 22 AVAILABLE (one an expired hold), 12 SOLD, 3 RESERVED, 2 BLOCKED, 1 TECHNICAL
  await setStatus(
    t.deps.db,
    s1.slice(0, 12).map((r) => r.id),
    'SOLD',
  );
  await holdSeats(
    t.deps.db,
    s1.slice(12, 15).map((r) => r.id),
    {
      ownerId: crypto.randomUUID(),
      until: new Date(now.getTime() + 600_000),
    },
  );
  await holdSeats(t.deps.db, [s1[15]!.id], {
    ownerId: crypto.randomUUID(),
    until: new Date(now.getTime() - 1_000),
  });
  await setStatus(t.deps.db, [s1[16]!.id, s1[17]!.id], 'BLOCKED');
  await setStatus(t.deps.db, [s1[18]!.id], 'TECHNICAL');
  // S2: 40 seats, 25 SOLD
  await setStatus(
    t.deps.db,
    s2.slice(0, 25).map((r) => r.id),
    'SOLD',
  );
});

describe('GET /admin/matches/{matchId}/seats (E3-F5)', () => {
  const url = () => `/admin/matches/${match.matchId}/seats`;

  it('returns the seat inventory with status, colour and seat-map coordinates', async () => {
    const res = await get(`${url()}?limit=1000`);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ total: 80, page: 1, limit: 1000 });
    const seat = body.items.find((i: { id: string }) => i.id === s1[13]!.id);
    expect(seat).toMatchObject({
      status: 'RESERVED',
      color: SEAT_STATUS_COLORS.RESERVED,
      held: true,
      row_identifier: 'B',
      seat_number: 4,
      coordinates: { row_index: 1, col_index: 3 },
      sector_code: 'S1',
    });
    expect(body.items.find((i: { id: string }) => i.id === s1[15]!.id).status).toBe('AVAILABLE');
  });

  it('filters by sector, by several statuses and by row, and paginates', async () => {
    const bySector = (
      await get(`${url()}?sector_id=${match.sectors[1]!.matchSectorId}&limit=100`)
    ).json();
    expect(bySector.total).toBe(40);
    expect(bySector.items.every((i: { sector_code: string }) => i.sector_code === 'S2')).toBe(true);

    const multi = (await get(`${url()}?status=BLOCKED&status=TECHNICAL`)).json();
    expect(multi.items.map((i: { id: string }) => i.id).sort()).toEqual(
      [s1[16]!.id, s1[17]!.id, s1[18]!.id].sort(),
    );
    const comma = (await get(`${url()}?status=RESERVED,BLOCKED`)).json();
    expect(comma.total).toBe(5);

    const row = (await get(`${url()}?sector_id=${match.sectors[0]!.matchSectorId}&row=C`)).json();
    expect(row.total).toBe(10);
    expect(row.items.every((i: { row_identifier: string }) => i.row_identifier === 'C')).toBe(true);

    const p1 = (await get(`${url()}?limit=30&page=1`)).json();
    const p3 = (await get(`${url()}?limit=30&page=3`)).json();
    expect(p1.items).toHaveLength(30);
    expect(p3.items).toHaveLength(20);
    expect(p3.total).toBe(80);
    // display order: sector, row, column
    expect(p1.items[0]).toMatchObject({
      sector_code: 'S1',
      coordinates: { row_index: 0, col_index: 0 },
    });
    expect(p1.items[10]).toMatchObject({ coordinates: { row_index: 1, col_index: 0 } });
  });

  it('answers 404 for an unknown match, 400 for an unknown status, 403 for a fan', async () => {
    expect((await get(`/admin/matches/${crypto.randomUUID()}/seats`)).statusCode).toBe(404);
    expect((await get(`${url()}?status=GONE`)).statusCode).toBe(400);
    const fan = await createUser(t.deps);
    expect((await get(url(), fan.token)).statusCode).toBe(403);
  });
});

describe('GET /admin/matches/{matchId}/sectors/status-summary (E3-F5)', () => {
  const url = () => `/admin/matches/${match.matchId}/sectors/status-summary`;

  it('counts every status per sector with total_capacity and dominant_status; expired holds are AVAILABLE', async () => {
    await t.deps.redis.del(summaryCacheKey(match.matchId));
    const res = await get(url());
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.cached).toBe(false);
    expect(body.colors).toEqual(SEAT_STATUS_COLORS);
    expect(body.sectors).toHaveLength(2);
    const [a, b] = body.sectors;
    const zero = Object.fromEntries(SEAT_STATUSES.map((s) => [s, 0]));
    expect(a).toEqual({
      match_sector_id: match.sectors[0]!.matchSectorId,
      code: 'S1',
      name: 'Sector 1',
      total_capacity: 40,
      seat_count: 40,
      status_counts: { ...zero, AVAILABLE: 22, SOLD: 12, RESERVED: 3, BLOCKED: 2, TECHNICAL: 1 },
      dominant_status: 'AVAILABLE',
    });
    expect(b).toMatchObject({
      code: 'S2',
      total_capacity: 40,
      status_counts: { ...zero, AVAILABLE: 15, SOLD: 25 },
      dominant_status: 'SOLD',
    });
    expect(Object.keys(a.status_counts).sort()).toEqual([...SEAT_STATUSES].sort());
  });

  it('is cached in Redis for 30 seconds and cleared by a staff status change', async () => {
    await t.deps.redis.del(summaryCacheKey(match.matchId));
    const first = (await get(url())).json();
    expect(first.cached).toBe(false);
    const ttl = await t.deps.redis.ttl(summaryCacheKey(match.matchId));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(30);

    // A change behind the cache's back (a cart claim, a sale) shows only after expiry.
    await setStatus(t.deps.db, [s2[30]!.id], 'SOLD');
    const second = (await get(url())).json();
    expect(second.cached).toBe(true);
    expect(second.sectors[1].status_counts.SOLD).toBe(25);
    expect(second.generated_at).toBe(first.generated_at);

    // A staff change clears it.
    await changeSeatStatus(
      t.deps,
      s2[31]!.id,
      { status: 'BLOCKED', reason: 'x' },
      { userId: manager.id },
    );
    const third = (await get(url())).json();
    expect(third.cached).toBe(false);
    expect(third.sectors[1].status_counts).toMatchObject({ SOLD: 26, BLOCKED: 1, AVAILABLE: 13 });
  });

  it('lets concurrent cache misses in one process share one computation', async () => {
    await t.deps.redis.del(summaryCacheKey(match.matchId));
    const results = await Promise.all(
      Array.from({ length: 5 }, () => statusSummary(t.deps, match.matchId)),
    );
    for (const r of results) expect(r).toBe(results[0]); // the very same object
    expect(results[0]!.cached).toBe(false);
  });

  it('answers 404 for an unknown match and 403 for a support agent', async () => {
    expect(
      (await get(`/admin/matches/${crypto.randomUUID()}/sectors/status-summary`)).statusCode,
    ).toBe(404);
    const agent = await createUser(t.deps, { roles: ['SUPPORT_AGENT'] });
    expect((await get(url(), agent.token)).statusCode).toBe(403);
  });
});

describe('GET /admin/matches/{matchId}/sectors/{sectorId}/seat-map.svg (E3-F5)', () => {
  const url = (sectorId = match.sectors[0]!.matchSectorId) =>
    `/admin/matches/${match.matchId}/sectors/${sectorId}/seat-map.svg`;

  it('draws every seat at its cell in its status colour, with row labels and a legend', async () => {
    // Two seats leave the map (gaps): they must not be drawn and must not shift others.
    const gone = [s1[25]!.id, s1[26]!.id];
    await t.deps.db.deleteFrom('match_seat_inventory').where('id', 'in', gone).execute();

    const res = await get(url());
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^image\/svg\+xml/);
    const svg = res.body;
    expect(XMLValidator.validate(svg)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(svg);
    const groups = [doc.svg.g].flat() as {
      class: string;
      rect?: unknown;
      text?: unknown;
      g?: unknown;
    }[];
    const seatsGroup = groups.find((g) => g.class === 'seats')!;
    const rects = [seatsGroup.rect].flat() as Record<string, string>[];
    expect(rects).toHaveLength(38);
    expect(rects.every((r) => r.class === 'seat')).toBe(true);

    const byId = new Map(rects.map((r) => [r.id!.replace('seat-', ''), r]));
    for (const id of gone) expect(byId.has(id)).toBe(false);
    const colour = (id: string) => byId.get(id)!.fill;
    expect(colour(s1[0]!.id)).toBe(SEAT_STATUS_COLORS.SOLD);
    expect(colour(s1[13]!.id)).toBe(SEAT_STATUS_COLORS.RESERVED);
    expect(colour(s1[15]!.id)).toBe(SEAT_STATUS_COLORS.AVAILABLE); // expired hold
    expect(colour(s1[16]!.id)).toBe(SEAT_STATUS_COLORS.BLOCKED);
    expect(colour(s1[18]!.id)).toBe(SEAT_STATUS_COLORS.TECHNICAL);

    // Positions follow (row_index, col_index): same row → same y, next column → +1 cell.
    const a1 = byId.get(s1[0]!.id)!;
    const a2 = byId.get(s1[1]!.id)!;
    const b1 = byId.get(s1[10]!.id)!;
    const cell = Number(a2.x) - Number(a1.x);
    expect(cell).toBeGreaterThan(0);
    expect(a2.y).toBe(a1.y);
    expect(Number(b1.y) - Number(a1.y)).toBe(cell);
    expect(b1.x).toBe(a1.x);
    expect(Number(byId.get(s1[27]!.id)!.x) - Number(byId.get(s1[24]!.id)!.x)).toBe(3 * cell);

    const labels = groups.find((g) => g.class === 'row-labels')!;
    const labelTexts = ([labels.text].flat() as Record<string, string>[]).map((l) => l['#text']);
    expect(new Set(labelTexts)).toEqual(new Set(['A', 'B', 'C', 'D']));

    const legend = groups.find((g) => g.class === 'legend')!;
    const items = [legend.g].flat() as Record<string, unknown>[];
    expect(items.map((i) => i['data-status'])).toEqual([...SEAT_STATUSES]);
    expect(svg).toContain('SOLD (12)');
    expect(svg).toContain('AVAILABLE (20)');
  });

  it('renders to a PNG with a real renderer (chromium or rsvg-convert; skipped without one)', async (ctx) => {
    const render = svgRenderer();
    if (!render) ctx.skip();
    const svg = (await get(url())).body;
    const dir = mkdtempSync(path.join(tmpdir(), 'seat-map-'));
    const svgFile = path.join(dir, 'map.svg');
    const pngFile = path.join(dir, 'map.png');
    writeFileSync(svgFile, svg);
    render!(svgFile, pngFile);
    const image = PNG.sync.read(readFileSync(pngFile));
    expect(image.width).toBeGreaterThan(100);
    const present = (hex: string) => {
      const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
      for (let i = 0; i < image.data.length; i += 4) {
        if (image.data[i] === r && image.data[i + 1] === g && image.data[i + 2] === b) return true;
      }
      return false;
    };
    for (const status of ['SOLD', 'RESERVED', 'AVAILABLE', 'BLOCKED', 'TECHNICAL'] as const) {
      expect(present(SEAT_STATUS_COLORS[status]), status).toBe(true);
    }
  });

  it('answers 404 for a sector of another match and 403 for a fan', async () => {
    const other = await createLockedMatch(t.deps, { rows: 1, seatsPerRow: 2 });
    expect((await get(url(other.sectors[0]!.matchSectorId))).statusCode).toBe(404);
    const fan = await createUser(t.deps);
    expect((await get(url(), fan.token)).statusCode).toBe(403);
  });
});
