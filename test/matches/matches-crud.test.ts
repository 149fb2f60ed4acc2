import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLockedMatch } from '../factories/matches.ts';
import { createUser, type TestUser } from '../factories/users.ts';
import { useTestContext } from '../harness/context.ts';
import { auditEvents } from '../harness/audit.ts';

const t = useTestContext();
let manager: TestUser;

beforeAll(async () => {
  manager = await createUser(t.deps, { roles: ['MATCH_MANAGER'] });
});

const newMatch = (over: Record<string, unknown> = {}) => ({
  home_team: 'Hrvatska',
  away_team: 'Italija',
  competition: 'UEFA Nations League',
  kick_off_time: '2026-09-10T18:45:00.000Z',
  match_type: 'HOME',
  ...over,
});

async function call(method: string, url: string, payload?: unknown, token = manager.token) {
  return t.request({ method: method as 'GET', url, payload: payload as object, token });
}

async function create(over: Record<string, unknown> = {}) {
  const res = await call('POST', '/admin/matches', newMatch(over));
  expect(res.statusCode).toBe(201);
  return res.json().match as { id: string; status: string };
}

const auditRows = (matchId: string) =>
  t.deps.db
    .selectFrom('match_audit_logs')
    .selectAll()
    .where('match_id', '=', matchId)
    .orderBy('created_at')
    .execute();

const auditJobs = async (matchId: string) =>
  (await auditEvents(t.deps.db)).filter((e) => e.changes?.match_id === matchId);

describe('E2-F1 POST /admin/matches', () => {
  it('returns 201 with match_id and the DRAFT match, logged in match_audit_logs and as an audit event', async () => {
    const res = await call('POST', '/admin/matches', newMatch());
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body.match_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.match).toMatchObject({
      id: body.match_id,
      status: 'DRAFT',
      stadium_config_status: 'DRAFT',
      home_team: 'Hrvatska',
      kick_off_time: '2026-09-10T18:45:00.000Z',
      created_by: manager.id,
    });
    const logs = await auditRows(body.match_id);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({ change_type: 'CREATE', changed_by: manager.id });
    expect((logs[0]!.changes_json as { after: { id: string } }).after.id).toBe(body.match_id);
    const events = await auditJobs(body.match_id);
    expect(events).toEqual([
      expect.objectContaining({
        domain: 'match',
        action: 'match_created',
        actor: { type: 'user', id: manager.id },
      }),
    ]);
  });

  it('rejects missing required fields and unknown venues with 400', async () => {
    const missing = await call('POST', '/admin/matches', { home_team: 'Hrvatska' });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().code).toBe('VALIDATION_FAILED');
    const fields = missing.json().errors.map((e: { field: string }) => e.field);
    expect(fields).toEqual(
      expect.arrayContaining(['body.away_team', 'body.kick_off_time', 'body.match_type']),
    );
    const venue = await call('POST', '/admin/matches', newMatch({ venue_id: randomUUID() }));
    expect(venue.statusCode).toBe(400);
    expect(venue.json().errors[0].field).toBe('body.venue_id');
  });
});

describe('E2-F1 GET /admin/matches', () => {
  it('paginates with page/limit/total and filters by status, match_type and date range', async () => {
    const ctx = await createUser(t.deps, { roles: ['MATCH_MANAGER'] });
    // A separate competition keeps this test's matches apart from the others in the file.
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const m = await create({
        kick_off_time: `2030-0${i + 1}-15T18:00:00.000Z`,
        match_type: i % 2 ? 'AWAY' : 'HOME',
      });
      ids.push(m.id);
    }
    const range = 'from=2030-01-01T00:00:00Z&to=2030-12-31T00:00:00Z';
    const page1 = await call('GET', `/admin/matches?${range}&page=1&limit=2`, undefined, ctx.token);
    expect(page1.statusCode).toBe(200);
    expect(page1.json()).toMatchObject({ page: 1, limit: 2, total: 5 });
    expect(page1.json().items.map((m: { id: string }) => m.id)).toEqual(ids.slice(0, 2));
    const page3 = await call('GET', `/admin/matches?${range}&page=3&limit=2`);
    expect(page3.json().items.map((m: { id: string }) => m.id)).toEqual(ids.slice(4));

    const away = await call('GET', `/admin/matches?${range}&match_type=AWAY`);
    expect(away.json().total).toBe(2);
    const narrow = await call(
      'GET',
      '/admin/matches?from=2030-02-01T00:00:00Z&to=2030-03-31T00:00:00Z',
    );
    expect(narrow.json().items.map((m: { id: string }) => m.id)).toEqual(ids.slice(1, 3));

    await call('POST', `/admin/matches/${ids[0]}/status`, { status: 'PUBLISHED' });
    const published = await call('GET', `/admin/matches?${range}&status=PUBLISHED`);
    expect(published.json().items.map((m: { id: string }) => m.id)).toEqual([ids[0]]);

    const bad = await call('GET', '/admin/matches?limit=1000');
    expect(bad.statusCode).toBe(400);
  });
});

describe('E2-F1 GET/PUT /admin/matches/{id}', () => {
  it('returns match details and 404 for an unknown id', async () => {
    const m = await create();
    const res = await call('GET', `/admin/matches/${m.id}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: m.id, away_team: 'Italija' });
    const missing = await call('GET', `/admin/matches/${randomUUID()}`);
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe('NOT_FOUND');
  });

  it('updates details, logs before/after with the notification preference; a new kick-off is a RESCHEDULE', async () => {
    const m = await create();
    const res = await call('PUT', `/admin/matches/${m.id}`, {
      competition: 'Friendly',
      notification_preference: 'silent',
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().competition).toBe('Friendly');
    const moved = await call('PUT', `/admin/matches/${m.id}`, {
      kick_off_time: '2026-09-11T20:45:00+02:00',
      notification_preference: 'notify',
    });
    expect(moved.json().kick_off_time).toBe('2026-09-11T18:45:00.000Z');
    const logs = await auditRows(m.id);
    expect(logs.map((l) => l.change_type)).toEqual(['CREATE', 'UPDATE', 'RESCHEDULE']);
    expect(logs[1]).toMatchObject({
      notification_preference: 'silent',
      changed_by: manager.id,
      changes_json: expect.objectContaining({
        before: { competition: 'UEFA Nations League' },
        after: { competition: 'Friendly' },
      }),
    });
    expect(logs[2]!.notification_preference).toBe('notify');
    expect((await auditJobs(m.id)).map((e) => e.action)).toEqual([
      'match_created',
      'match_updated',
      'match_rescheduled',
    ]);
  });

  it('refuses an unknown notification_preference and unknown fields with 400', async () => {
    const m = await create();
    const bad = await call('PUT', `/admin/matches/${m.id}`, { notification_preference: 'loud' });
    expect(bad.statusCode).toBe(400);
    const unknown = await call('PUT', `/admin/matches/${m.id}`, {
      stadium_config_status: 'LOCKED',
    });
    expect(unknown.statusCode).toBe(400);
  });
});

describe('E2-F1 status machine over HTTP', () => {
  it('moves DRAFT → PUBLISHED → ACTIVE, each change logged; CLOSED only through /close', async () => {
    const { matchId } = await createLockedMatch(t.deps);
    for (const status of ['PUBLISHED', 'ACTIVE']) {
      const res = await call('POST', `/admin/matches/${matchId}/status`, { status });
      expect(res.statusCode).toBe(200);
      expect(res.json().status).toBe(status);
    }
    // The generic status change no longer closes a match (E2-F9: POST …/close does).
    for (const [method, url] of [
      ['POST', `/admin/matches/${matchId}/status`],
      ['PUT', `/admin/matches/${matchId}`],
    ] as const) {
      const refused = await call(method, url, { status: 'CLOSED' });
      expect(refused.statusCode).toBe(400);
      expect(refused.json().code).toBe('VALIDATION_FAILED');
    }
    const active = await call('GET', `/admin/matches/${matchId}`);
    expect(active.json()).toMatchObject({ status: 'ACTIVE', closed_at: null });
    const logs = await auditRows(matchId);
    expect(logs.map((l) => l.change_type)).toEqual(expect.arrayContaining(['PUBLISH', 'ACTIVATE']));
    expect(logs.map((l) => l.change_type)).not.toContain('CLOSE');
  });

  it('returns 400 INVALID_STATUS_TRANSITION for a skipped or backward step, via POST and PUT', async () => {
    const m = await create();
    const skip = await call('POST', `/admin/matches/${m.id}/status`, { status: 'ACTIVE' });
    expect(skip.statusCode).toBe(400);
    expect(skip.json()).toMatchObject({
      code: 'INVALID_STATUS_TRANSITION',
      from: 'DRAFT',
      to: 'ACTIVE',
    });
    const viaPut = await call('PUT', `/admin/matches/${m.id}`, { status: 'ACTIVE' });
    expect(viaPut.statusCode).toBe(400);
    expect(viaPut.json().code).toBe('INVALID_STATUS_TRANSITION');
    const published = await call('PUT', `/admin/matches/${m.id}`, { status: 'PUBLISHED' });
    expect(published.statusCode).toBe(200);
    expect(published.json().status).toBe('PUBLISHED');
    // No status change is logged for the refused attempts.
    expect((await auditRows(m.id)).map((l) => l.change_type)).toEqual(['CREATE', 'PUBLISH']);
    expect((await auditJobs(m.id)).map((e) => e.action)).toEqual([
      'match_created',
      'match_published',
    ]);
  });

  it('rolls back the detail change of a PUT whose status change is refused (one transaction)', async () => {
    const m = await create();
    await call('POST', `/admin/matches/${m.id}/status`, { status: 'PUBLISHED' });
    // Details are valid, ACTIVE is a valid move, but the configuration is not locked.
    const res = await call('PUT', `/admin/matches/${m.id}`, {
      competition: 'Changed',
      status: 'ACTIVE',
    });
    expect(res.statusCode).toBe(409);
    expect((await call('GET', `/admin/matches/${m.id}`)).json().competition).toBe(
      'UEFA Nations League',
    );
    expect((await auditRows(m.id)).map((l) => l.change_type)).toEqual(['CREATE', 'PUBLISH']);
    expect(await auditJobs(m.id)).toHaveLength(2);
  });

  it('refuses ACTIVE while the stadium configuration is not locked (409)', async () => {
    const m = await create();
    await call('POST', `/admin/matches/${m.id}/status`, { status: 'PUBLISHED' });
    const res = await call('POST', `/admin/matches/${m.id}/status`, { status: 'ACTIVE' });
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('CONFIG_NOT_LOCKED');
  });

  it('does not accept CANCELLED or DELETED as a plain status change (own workflows)', async () => {
    const m = await create();
    for (const status of ['CANCELLED', 'DELETED', 'DRAFT']) {
      const res = await call('POST', `/admin/matches/${m.id}/status`, { status });
      expect(res.statusCode).toBe(400);
    }
  });
});

describe('E2-F1 DELETE /admin/matches/{id} (soft delete)', () => {
  it('sets status DELETED and deleted_at, hides the match from lists, keeps it readable', async () => {
    const m = await create({ kick_off_time: '2031-05-05T18:00:00Z' });
    const res = await call('DELETE', `/admin/matches/${m.id}`);
    expect(res.statusCode).toBe(200);
    expect(res.json().status).toBe('DELETED');
    expect(res.json().deleted_at).not.toBeNull();
    const row = await t.deps.db
      .selectFrom('matches')
      .select(['status', 'deleted_at'])
      .where('id', '=', m.id)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('DELETED');
    const range = 'from=2031-05-01T00:00:00Z&to=2031-05-31T00:00:00Z';
    expect((await call('GET', `/admin/matches?${range}`)).json().total).toBe(0);
    expect((await call('GET', `/admin/matches?${range}&include_deleted=true`)).json().total).toBe(
      1,
    );
    expect((await call('GET', `/admin/matches?${range}&status=DELETED`)).json().total).toBe(1);
    expect((await call('GET', `/admin/matches/${m.id}`)).json().status).toBe('DELETED');
    const logs = await auditRows(m.id);
    expect(logs.at(-1)!.change_type).toBe('DELETE');
    // A deleted match is final.
    const again = await call('DELETE', `/admin/matches/${m.id}`);
    expect(again.statusCode).toBe(400);
    const edit = await call('PUT', `/admin/matches/${m.id}`, { competition: 'x' });
    expect(edit.statusCode).toBe(409);
    expect(edit.json().code).toBe('MATCH_NOT_EDITABLE');
  });

  it('refuses to delete a published match (cancel it first)', async () => {
    const m = await create();
    await call('POST', `/admin/matches/${m.id}/status`, { status: 'PUBLISHED' });
    const res = await call('DELETE', `/admin/matches/${m.id}`);
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('INVALID_STATUS_TRANSITION');
  });
});

describe('E2-F1 RBAC', () => {
  it('answers 403 to a caller without MATCH_MANAGER and 401 without a token', async () => {
    const fan = await createUser(t.deps, { roles: ['FAN'] });
    const support = await createUser(t.deps, { roles: ['SUPPORT_AGENT', 'FINANCE'] });
    for (const user of [fan, support]) {
      const res = await call('POST', '/admin/matches', newMatch(), user.token);
      expect(res.statusCode).toBe(403);
      expect(res.json().code).toBe('FORBIDDEN');
      expect((await call('GET', '/admin/matches', undefined, user.token)).statusCode).toBe(403);
    }
    const anonymous = await t.request({ method: 'GET', url: '/admin/matches' });
    expect(anonymous.statusCode).toBe(401);
  });

  it('lets a SUPER_ADMIN in', async () => {
    const admin = await createUser(t.deps, { roles: ['SUPER_ADMIN'] });
    const res = await call('POST', '/admin/matches', newMatch(), admin.token);
    expect(res.statusCode).toBe(201);
  });
});
