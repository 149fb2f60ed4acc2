import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { generateOib } from '../../src/modules/identity/oib.ts';
import {
  LOYALTY_AWARD_QUEUE,
  pointPush,
  runMatchAward,
} from '../../src/modules/loyalty/award.service.ts';
import { loyaltyJobs } from '../../src/modules/loyalty/loyalty.jobs.ts';
import { createLockedMatch } from '../factories/matches.ts';
import { issueTickets } from '../factories/tickets.ts';
import { createUser, type TestUser } from '../factories/users.ts';
import { useTestContext } from '../harness/context.ts';
import { waitFor } from '../harness/wait.ts';
import { createFan, jobsIn, type Fan } from '../sales/helpers.ts';

/** Points after a match (E6-F3), HOME and AWAY (E6-F1), the admin views and imports. */

const t = useTestContext();

let manager: TestUser;
const admin = async () => (manager ??= await createUser(t.deps, { roles: ['MATCH_MANAGER'] }));

const matchName = async (matchId: string) => {
  const m = await t.deps.db
    .selectFrom('matches')
    .select(['home_team', 'away_team'])
    .where('id', '=', matchId)
    .executeTakeFirstOrThrow();
  return `${m.home_team} – ${m.away_team}`;
};

/**
 * An ACTIVE match with tickets held by `fans` (by their OIB), one held by an OIB without
 * an account and one by a passport holder; the first `attending` fans' tickets scanned.
 */
async function playedMatch(fans: Fan[], type: 'HOME' | 'AWAY' = 'HOME') {
  const match = await createLockedMatch(t.deps, { status: 'ACTIVE', rows: 2, seatsPerRow: 10 });
  await sql`UPDATE matches SET match_type = ${type} WHERE id = ${match.matchId}`.execute(t.deps.db);
  const buyer = await createFan(t.deps);
  const tickets = await issueTickets(t.deps, {
    matchId: match.matchId,
    buyerId: buyer.id,
    holderOibs: [...fans.map((f) => f.oib), generateOib(), null],
  });
  return { matchId: match.matchId, tickets };
}

async function closeWithScans(matchId: string, barcodes: string[]) {
  const csv = ['barcode,scan_time', ...barcodes.map((b) => `${b},2026-06-01T18:00:00Z`)].join('\n');
  const res = await t.request({
    method: 'POST',
    url: `/admin/matches/${matchId}/close`,
    token: (await admin()).token,
    payload: csv,
    headers: { 'content-type': 'text/csv' },
  });
  expect(res.statusCode).toBe(200);
}

const pointsOf = (matchId: string) =>
  t.deps.db
    .selectFrom('loyalty_points')
    .select(['user_id', 'points', 'earned_at', 'source'])
    .where('match_id', '=', matchId)
    .execute();

const pushesOf = (userId: string) =>
  t.deps.db
    .selectFrom('push_logs')
    .select(['title', 'body', 'notification_type'])
    .where('user_id', '=', userId)
    .where('notification_type', '=', 'loyalty_point_earned')
    .execute();

describe('points award after a match (E6-F3)', () => {
  it('gives 1 point per ATTENDED ticket with a fan OIB, once, and tells the fan in their language', async () => {
    const [ana, ivo, marko] = [
      await createFan(t.deps),
      await createFan(t.deps),
      await createFan(t.deps),
    ];
    await sql`UPDATE users SET locale = 'en' WHERE id = ${ivo.id}`.execute(t.deps.db);
    const { matchId, tickets } = await playedMatch([ana, ivo, marko]);
    // ana and ivo came, marko did not; the OIB without an account and the passport holder came
    await closeWithScans(matchId, [
      tickets[0]!.barcode,
      tickets[1]!.barcode,
      tickets[3]!.barcode,
      tickets[4]!.barcode,
    ]);
    expect(
      (await jobsIn(t, LOYALTY_AWARD_QUEUE)).filter((j) => j.match_id === matchId),
    ).toHaveLength(1);

    expect(await runMatchAward(t.deps, matchId)).toEqual({ awarded: 2 });
    const kickOff = (
      await t.deps.db
        .selectFrom('matches')
        .select('kick_off_time')
        .where('id', '=', matchId)
        .executeTakeFirstOrThrow()
    ).kick_off_time;
    expect((await pointsOf(matchId)).sort((a, b) => a.user_id.localeCompare(b.user_id))).toEqual(
      [ana, ivo]
        .map((f) => ({ user_id: f.id, points: 1, earned_at: kickOff, source: 'MATCH' }))
        .sort((a, b) => a.user_id.localeCompare(b.user_id)),
    );
    const name = await matchName(matchId);
    expect(await pushesOf(ana.id)).toEqual([
      { ...pointPush('hr', name), notification_type: 'loyalty_point_earned' },
    ]);
    expect((await pushesOf(ana.id))[0]!.title).toBe('Osvojili ste 1 bod');
    expect(await pushesOf(ivo.id)).toEqual([
      {
        title: 'You earned 1 point',
        body: `${name}: 1 loyalty point for attending the match.`,
        notification_type: 'loyalty_point_earned',
      },
    ]);
    expect(await pushesOf(marko.id)).toEqual([]);

    // idempotent: a second run awards and sends nothing
    expect(await runMatchAward(t.deps, matchId)).toEqual({ awarded: 0 });
    expect(await pointsOf(matchId)).toHaveLength(2);
    expect(await pushesOf(ana.id)).toHaveLength(1);

    // the balance (E6-F1) counts it
    const me = await t.request({ method: 'GET', url: '/users/me/loyalty', token: ana.token });
    expect(me.json().balance).toBe(1);
    const history = await t.request({
      method: 'GET',
      url: '/users/me/loyalty/history',
      token: ana.token,
    });
    expect(history.json().items[0]).toMatchObject({
      match_id: matchId,
      points: 1,
      source: 'MATCH',
    });
  });

  it('awards for AWAY matches as for HOME ones, and every ticket when the match closed without data', async () => {
    const fan = await createFan(t.deps);
    const away = await playedMatch([fan], 'AWAY');
    const res = await t.request({
      method: 'POST',
      url: `/admin/matches/${away.matchId}/close`,
      token: (await admin()).token,
      payload: { reason: 'Away match: no scanner data from the host' },
    });
    expect(res.statusCode).toBe(200);
    expect(await runMatchAward(t.deps, away.matchId)).toEqual({ awarded: 1 });
    const home = await playedMatch([fan], 'HOME');
    await closeWithScans(home.matchId, [home.tickets[0]!.barcode]);
    expect(await runMatchAward(t.deps, home.matchId)).toEqual({ awarded: 1 });
    const me = await t.request({
      method: 'GET',
      url: '/users/me/loyalty/history',
      token: fan.token,
    });
    expect(
      me
        .json()
        .items.map((i: { match_type: string }) => i.match_type)
        .sort(),
    ).toEqual(['AWAY', 'HOME']);
  });

  it('awards nothing for a match that is not closed', async () => {
    const fan = await createFan(t.deps);
    const { matchId, tickets } = await playedMatch([fan]);
    await sql`UPDATE tickets SET status = 'ATTENDED' WHERE id = ${tickets[0]!.id}`.execute(
      t.deps.db,
    );
    expect(await runMatchAward(t.deps, matchId)).toEqual({ awarded: 0 });
    expect(await pointsOf(matchId)).toEqual([]);
  });

  it('runs as the job the closure queues, on a worker', async () => {
    const fan = await createFan(t.deps);
    const { matchId, tickets } = await playedMatch([fan]);
    await t.startWorker(loyaltyJobs(t.deps));
    await closeWithScans(matchId, [tickets[0]!.barcode]);
    await waitFor(async () => (await pointsOf(matchId)).length === 1, { timeoutMs: 20_000 });
    expect(await pointsOf(matchId)).toEqual([
      expect.objectContaining({ user_id: fan.id, points: 1 }),
    ]);
  });
});

describe('loyalty distribution for planning tiers (E6-F2)', () => {
  it('counts fans per balance and per tier of a LOYALTY phase', async () => {
    // fresh fans: 3 with 1 point (a played match), 1 with 2 points; earlier tests add more
    const before = (
      await t.request({
        method: 'GET',
        url: '/admin/loyalty/distribution',
        token: (await admin()).token,
      })
    ).json();
    const fans = [
      await createFan(t.deps),
      await createFan(t.deps),
      await createFan(t.deps),
      await createFan(t.deps),
    ];
    const first = await playedMatch(fans);
    await closeWithScans(
      first.matchId,
      first.tickets.slice(0, 4).map((tk) => tk.barcode),
    );
    await runMatchAward(t.deps, first.matchId);
    const second = await playedMatch([fans[3]!]);
    await closeWithScans(second.matchId, [second.tickets[0]!.barcode]);
    await runMatchAward(t.deps, second.matchId);

    const upcoming = await createLockedMatch(t.deps, { status: 'PUBLISHED' });
    const now = t.clock.now().getTime();
    await t.deps.db
      .insertInto('sales_phases')
      .values({
        match_id: upcoming.matchId,
        phase_type: 'LOYALTY',
        name: 'Loyal fans',
        start_at: new Date(now + 3_600_000),
        end_at: new Date(now + 7_200_000),
        ticket_limit: 4,
        eligibility_rules_json: JSON.stringify({
          loyalty_tiers: [
            { min_points: 1, ticket_limit: 2 },
            { min_points: 2, ticket_limit: 4 },
          ],
        }),
      })
      .execute();
    const res = await t.request({
      method: 'GET',
      url: `/admin/loyalty/distribution?match_id=${upcoming.matchId}`,
      token: (await admin()).token,
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    const level = (d: { levels: Array<{ points: number; fans: number }> }, p: number) =>
      d.levels.find((l) => l.points === p)?.fans ?? 0;
    expect(level(body, 1) - level(before, 1)).toBe(3);
    expect(level(body, 2) - level(before, 2)).toBe(1);
    expect(body.total_fans - before.total_fans).toBe(4);
    expect(body.levels[0].fans_at_least).toBe(body.total_fans);
    expect(body.phases).toHaveLength(1);
    const [t1, t2] = body.phases[0].tiers;
    expect(t1).toMatchObject({
      min_points: 1,
      ticket_limit: 2,
      fans: level(body, 1),
      max_tickets: 2 * level(body, 1),
    });
    expect(t2.fans).toBe(
      body.levels
        .filter((l: { points: number }) => l.points >= 2)
        .reduce((n: number, l: { fans: number }) => n + l.fans, 0),
    );
    expect(body.phases[0].fans_below_lowest_tier).toBe(0);
  });

  it('answers 404 for an unknown match, 400 for a bad one, 403 for fans and support', async () => {
    const token = (await admin()).token;
    const url = '/admin/loyalty/distribution';
    expect(
      (
        await t.request({
          method: 'GET',
          url: `${url}?match_id=00000000-0000-4000-8000-000000000000`,
          token,
        })
      ).statusCode,
    ).toBe(404);
    expect((await t.request({ method: 'GET', url: `${url}?match_id=x`, token })).statusCode).toBe(
      400,
    );
    expect((await t.request({ method: 'GET', url })).statusCode).toBe(401);
    const fan = await createFan(t.deps);
    expect((await t.request({ method: 'GET', url, token: fan.token })).statusCode).toBe(403);
    const support = await createUser(t.deps, { roles: ['SUPPORT_AGENT'] });
    expect((await t.request({ method: 'GET', url, token: support.token })).statusCode).toBe(403);
  });
});

describe('historic points import by OIB (E6-F1)', () => {
  let root: TestUser;
  const importCsv = async (csv: string, token?: string) =>
    t.request({
      method: 'POST',
      url: '/admin/loyalty/imports',
      token: token ?? (root ??= await createUser(t.deps, { roles: ['SUPER_ADMIN'] })).token,
      payload: csv,
      headers: { 'content-type': 'text/csv' },
    });

  it('writes the points of known OIBs once, reports unknown ones, and the balance counts them', async () => {
    const [a, b] = [await createFan(t.deps), await createFan(t.deps)];
    const stranger = generateOib();
    const csv = [
      'oib,points,earned_at,reference',
      `${a.oib},1,2024-03-21,HRV-POR 2024-03-21`,
      `${a.oib},1,2025-06-07,HRV-SCO 2025-06-07`,
      `${b.oib},3,2023-11-18T19:45:00Z,Season 2023 summary`,
      `${stranger},1,2024-03-21,HRV-POR 2024-03-21`,
      `${a.oib},1,2024-03-21,HRV-POR 2024-03-21`, // the same line twice in one file
    ].join('\n');
    const res = await importCsv(csv);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      lines: 5,
      imported: 3,
      points_imported: 5,
      already_imported: 1,
      unknown_oib: [{ line: 5, oib_masked: `*******${stranger.slice(-4)}` }],
      unknown_oib_count: 1,
    });
    const balance = async (f: Fan) =>
      (await t.request({ method: 'GET', url: '/users/me/loyalty', token: f.token })).json().balance;
    expect(await balance(a)).toBe(2);
    expect(await balance(b)).toBe(3);
    const history = await t.request({
      method: 'GET',
      url: '/users/me/loyalty/history',
      token: a.token,
    });
    expect(history.json().items[0]).toMatchObject({
      match_id: null,
      match_name: 'HRV-SCO 2025-06-07',
      source: 'IMPORT',
      points: 1,
    });

    // idempotent: the same file again writes nothing
    const again = await importCsv(csv);
    expect(again.json()).toMatchObject({ imported: 0, points_imported: 0, already_imported: 4 });
    expect(await balance(a)).toBe(2);
  });

  it('refuses the whole file naming each bad line, and files that are not such a CSV', async () => {
    const fan = await createFan(t.deps);
    const future = new Date(t.clock.now().getTime() + 86_400_000).toISOString().slice(0, 10);
    const res = await importCsv(
      [
        'oib;points;earned_at;reference',
        `${fan.oib};1;2024-03-21;ok`,
        `12345678901;1;2024-03-21;bad oib`,
        `${fan.oib};0;2024-03-21;no points`,
        `${fan.oib};1.5;2024-03-21;half`,
        `${fan.oib};1;2024-02-30;bad date`,
        `${fan.oib};1;${future};future`,
        `${fan.oib};1;2024-03-21;`,
      ].join('\n'),
    );
    expect(res.statusCode).toBe(422);
    expect(res.json().code).toBe('LOYALTY_IMPORT_INVALID');
    expect(res.json().errors.map((e: { field: string }) => e.field)).toEqual([
      'file.line.3',
      'file.line.4',
      'file.line.5',
      'file.line.6',
      'file.line.7',
      'file.line.8',
    ]);
    expect(res.json().errors[0].message).toMatch(/OIB/);
    const rows = await t.deps.db
      .selectFrom('loyalty_points')
      .select('id')
      .where('user_id', '=', fan.id)
      .execute();
    expect(rows).toEqual([]);
    for (const [csv, detail] of [
      ['', /empty/],
      ['oib,points\n1,2', /header/],
      ['oib,points,earned_at,reference\n', /no lines/],
      ['oib,points,earned_at,reference\n"x,1,2024-01-01,r', /CSV/],
    ] as const) {
      const bad = await importCsv(csv);
      expect(bad.statusCode, csv).toBe(422);
      expect(bad.json().detail).toMatch(detail);
    }
  });

  it('is for super admins only', async () => {
    const csv = 'oib,points,earned_at,reference\n';
    expect(
      (
        await t.request({
          method: 'POST',
          url: '/admin/loyalty/imports',
          payload: csv,
          headers: { 'content-type': 'text/csv' },
        })
      ).statusCode,
    ).toBe(401);
    for (const roles of [['FAN'], ['MATCH_MANAGER'], ['SUPPORT_SUPERVISOR']] as const) {
      const user = await createUser(t.deps, { roles: [...roles] });
      expect((await importCsv(csv, user.token)).statusCode, roles[0]).toBe(403);
    }
  });
});

describe("the fan's language (users.locale)", () => {
  it('is set by the app with PUT /users/me/locale', async () => {
    const fan = await createFan(t.deps);
    const put = (locale: unknown, token?: string) =>
      t.request({ method: 'PUT', url: '/users/me/locale', token, payload: { locale } });
    expect((await put('en', fan.token)).json()).toEqual({ locale: 'en' });
    const row = await t.deps.db
      .selectFrom('users')
      .select('locale')
      .where('id', '=', fan.id)
      .executeTakeFirstOrThrow();
    expect(row.locale).toBe('en');
    expect((await put('de', fan.token)).statusCode).toBe(400);
    expect((await put('en')).statusCode).toBe(401);
  });
});
