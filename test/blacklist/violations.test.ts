import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { findBlacklisted, logViolations } from '../../src/modules/blacklist/blacklist.service.ts';
import { generateOib } from '../../src/modules/identity/oib.ts';
import { blacklistOib } from '../factories/blacklist.ts';
import { createUser } from '../factories/users.ts';
import {
  addToCart,
  createFan,
  createSale,
  manualHolder,
  nameHolders,
  useStripeTestContext,
} from '../sales/helpers.ts';
import { appWithCapturedLogs } from './helpers.ts';

const { t } = await useStripeTestContext();
const DAY = 86_400_000;

/** A blocked attempt written as checkout and transfer write them, at `at`. */
async function attempt(
  oib: string,
  action: 'PURCHASE_ATTEMPT' | 'TRANSFER_ATTEMPT',
  matchId: string,
  at: Date,
) {
  const saved = t.clock.now();
  t.clock.set(at);
  try {
    await t.deps.db.transaction().execute(async (trx) => {
      const hits = await findBlacklisted(t.deps, trx, [oib]);
      await logViolations(t.deps, trx, hits, action, {
        userId: null,
        matchId,
        ip: '192.0.2.7',
        userAgent: 'test-agent',
      });
    });
  } finally {
    t.clock.set(saved);
  }
}

describe('violation monitoring report (E11-F5)', () => {
  it('returns the blocked attempts with date range, OIB and match filters, pagination and a CSV export, OIBs masked by role', async () => {
    const [m1, m2] = [await createSale(t.deps), await createSale(t.deps)];
    const [o1, o2] = [generateOib(), generateOib()];
    const e1 = await blacklistOib(t, o1);
    await blacklistOib(t, o2);

    // A real blocked purchase (E4-F6 writes violation_logs)…
    const fan = await createFan(t.deps);
    const cart = (await addToCart(t, fan, m1, 2)).json().cart;
    const blocked = await nameHolders(t, fan, cart.id, [
      { source: 'DEFAULT_PROFILE' },
      { ...manualHolder(), oib: o1 },
    ]);
    expect(blocked.json().code).toBe('BLACKLISTED');
    // …and two older ones.
    const now = t.clock.now();
    await attempt(o2, 'TRANSFER_ATTEMPT', m2.matchId, new Date(now.getTime() - 2 * DAY));
    await attempt(o1, 'PURCHASE_ATTEMPT', m2.matchId, new Date(now.getTime() - DAY));

    const agent = await createUser(t.deps, { roles: ['SUPPORT_AGENT'] });
    const sup = await createUser(t.deps, { roles: ['SUPPORT_SUPERVISOR'] });
    const get = (query: Record<string, string>, token = agent.token) =>
      t.request({ method: 'GET', url: '/admin/blacklist/violations', query, token });

    // Returns violation records, newest first, OIB masked for an agent
    const all = await get({});
    expect(all.statusCode).toBe(200);
    const body = all.json();
    expect(body.total).toBe(3);
    expect(body.items.map((i: { action_type: string }) => i.action_type)).toEqual([
      'PURCHASE_ATTEMPT',
      'PURCHASE_ATTEMPT',
      'TRANSFER_ATTEMPT',
    ]);
    expect(body.items[0]).toMatchObject({
      oib: `*******${o1.slice(-4)}`,
      oib_masked: true,
      blacklist_id: e1,
      match_id: m1.matchId,
      user_id: fan.id,
      person: 'Zabranjeni Navijač',
    });
    expect(all.body).not.toContain(o1);
    expect(all.body).not.toContain(o2);

    // A supervisor sees the OIB
    const full = await get({}, sup.token);
    expect(full.json().items[0]).toMatchObject({ oib: o1, oib_masked: false });

    // Filters work: date range, match, action, entry
    const from = new Date(now.getTime() - 1.5 * DAY).toISOString();
    const to = new Date(now.getTime() - 0.5 * DAY).toISOString();
    expect((await get({ from, to })).json().items.map((i: { oib: string }) => i.oib)).toEqual([
      `*******${o1.slice(-4)}`,
    ]);
    expect((await get({ from })).json().total).toBe(2);
    expect((await get({ to })).json().total).toBe(2);
    expect((await get({ match_id: m2.matchId })).json().total).toBe(2);
    expect((await get({ match_id: m1.matchId })).json().total).toBe(1);
    expect((await get({ action_type: 'TRANSFER_ATTEMPT' })).json().total).toBe(1);
    expect((await get({ blacklist_id: e1 })).json().total).toBe(2);
    // …the OIB filter in the body (never in a URL)
    const byOib = await t.request({
      method: 'POST',
      url: '/admin/blacklist/violations/search',
      payload: { oib: o1, match_id: m2.matchId },
      token: agent.token,
    });
    expect(byOib.statusCode).toBe(200);
    expect(byOib.json()).toMatchObject({ total: 1, items: [{ action_type: 'PURCHASE_ATTEMPT' }] });
    const byOtherOib = await t.request({
      method: 'POST',
      url: '/admin/blacklist/violations/search',
      payload: { oib: o2 },
      token: agent.token,
    });
    expect(byOtherOib.json().total).toBe(1);

    // Pagination
    const page2 = await get({ limit: '1', page: '2' });
    expect(page2.json()).toMatchObject({ total: 3, page: 2, limit: 1 });
    expect(page2.json().items).toHaveLength(1);
    expect(page2.json().items[0].id).toBe(body.items[1].id);

    // CSV download works (opened with the npm CSV parser), masked for the agent
    const csv = await get({ format: 'csv' });
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.headers['content-disposition']).toMatch(
      /^attachment; filename="blacklist-violations-/,
    );
    const records = parse(csv.body, { columns: true }) as Record<string, string>[];
    expect(records).toHaveLength(3);
    expect(records[0]).toMatchObject({
      action_type: 'PURCHASE_ATTEMPT',
      oib: `*******${o1.slice(-4)}`,
      match_id: m1.matchId,
      user_email: fan.email,
    });
    expect(csv.body).not.toContain(o1);
    const supCsv = await get({ format: 'csv', match_id: m2.matchId }, sup.token);
    const supRecords = parse(supCsv.body, { columns: true }) as Record<string, string>[];
    expect(supRecords.map((r) => r.oib).sort()).toEqual([o1, o2].sort());
    const searchCsv = await t.request({
      method: 'POST',
      url: '/admin/blacklist/violations/search',
      payload: { oib: o2, format: 'csv' },
      token: agent.token,
    });
    expect(parse(searchCsv.body, { columns: true })).toHaveLength(1);
  });

  it('answers bad input with stable codes and only support staff', async () => {
    const agent = await createUser(t.deps, { roles: ['SUPPORT_AGENT'] });
    const get = (query: Record<string, string>, token?: string) =>
      t.request({ method: 'GET', url: '/admin/blacklist/violations', query, token });
    const queries: Record<string, string>[] = [
      { from: 'yesterday' },
      { match_id: 'x' },
      { limit: '0' },
      { limit: '501' },
      { format: 'xml' },
      { action_type: 'ENTRY' },
    ];
    for (const query of queries) {
      const res = await get(query, agent.token);
      expect([res.statusCode, res.json().code], JSON.stringify(query)).toEqual([
        400,
        'VALIDATION_FAILED',
      ]);
    }
    const empty = await get(
      { from: '2026-12-02T00:00:00Z', to: '2026-12-01T00:00:00Z' },
      agent.token,
    );
    expect([empty.statusCode, empty.json().code]).toEqual([400, 'VALIDATION_FAILED']);
    const search = (payload: Record<string, unknown>, token?: string) =>
      t.request({ method: 'POST', url: '/admin/blacklist/violations/search', payload, token });
    const wrongDigit = generateOib();
    const bad = await search(
      { oib: wrongDigit.slice(0, 10) + String((Number(wrongDigit[10]) + 1) % 10) },
      agent.token,
    );
    expect([bad.statusCode, bad.json().code]).toEqual([422, 'OIB_INVALID']);
    const short = await search({ oib: '123' }, agent.token);
    expect([short.statusCode, short.json().code]).toEqual([400, 'VALIDATION_FAILED']);

    const fan = await createUser(t.deps);
    expect((await get({}, fan.token)).statusCode).toBe(403);
    expect((await search({}, fan.token)).statusCode).toBe(403);
    expect((await get({})).statusCode).toBe(401);
    for (const role of ['SUPPORT_SUPERVISOR', 'SUPER_ADMIN'] as const) {
      const user = await createUser(t.deps, { roles: [role] });
      expect((await get({}, user.token)).statusCode).toBe(200);
      expect((await search({}, user.token)).statusCode).toBe(200);
    }
  });

  it('keeps the searched and checked OIB out of every log line', async () => {
    const { app, logs } = await appWithCapturedLogs(t);
    const oib = generateOib();
    const agent = await createUser(t.deps, { roles: ['SUPPORT_AGENT'] });
    const res = await app.inject({
      method: 'POST',
      url: '/admin/blacklist/violations/search',
      headers: { authorization: `Bearer ${agent.token}` },
      payload: { oib },
    });
    expect(res.statusCode).toBe(200);
    // The check service takes the OIB in its query string (E11-F3): the URL is censored.
    const check = await app.inject({
      method: 'GET',
      url: `/internal/blacklist/check?oib=${oib}`,
      headers: { authorization: `Bearer ${agent.token}` },
    });
    expect(check.statusCode).toBe(200);
    await app.close();
    expect(logs()).toContain('/admin/blacklist/violations/search');
    expect(logs()).toContain('/internal/blacklist/check?oib=[redacted]');
    expect(logs()).not.toContain(oib);
  });
});
