import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createUser, type TestUser } from '../factories/users.ts';
import { useTestContext } from '../harness/context.ts';

const t = useTestContext();
let manager: TestUser;

beforeAll(async () => {
  manager = await createUser(t.deps, { roles: ['MATCH_MANAGER'] });
});

async function call(method: string, url: string, payload?: unknown, token = manager.token) {
  return t.request({ method: method as 'GET', url, payload: payload as object, token });
}

async function newMatch(): Promise<string> {
  const res = await call('POST', '/admin/matches', {
    home_team: 'Hrvatska',
    away_team: 'Francuska',
    competition: 'Friendly',
    kick_off_time: '2026-10-10T18:45:00Z',
    match_type: 'HOME',
  });
  return res.json().match_id;
}

const phase = (over: Record<string, unknown> = {}) => ({
  phase_type: 'GENERAL_PUBLIC',
  name: 'General sale',
  start_at: '2026-09-01T08:00:00Z',
  end_at: '2026-09-10T08:00:00Z',
  ...over,
});

const loyalty = (over: Record<string, unknown> = {}) =>
  phase({
    phase_type: 'LOYALTY',
    name: 'Loyalty presale',
    start_at: '2026-08-20T08:00:00Z',
    end_at: '2026-09-01T08:00:00Z',
    ticket_limit: 4,
    eligibility_rules_json: {
      loyalty_tiers: [
        { min_points: 1000, ticket_limit: 4 },
        { min_points: 100, ticket_limit: 2 },
      ],
    },
    ...over,
  });

describe('E2-F2 sales phases', () => {
  it('creates phases (201) and lists them for the match by start', async () => {
    const matchId = await newMatch();
    const general = await call('POST', `/admin/matches/${matchId}/sales-phases`, phase());
    expect(general.statusCode).toBe(201);
    expect(general.json()).toMatchObject({
      match_id: matchId,
      phase_type: 'GENERAL_PUBLIC',
      ticket_limit: 4,
      is_active: true,
      eligibility_rules_json: {},
      start_at: '2026-09-01T08:00:00.000Z',
    });
    const presale = await call('POST', `/admin/matches/${matchId}/sales-phases`, loyalty());
    expect(presale.statusCode).toBe(201);
    // Tiers are stored by ascending threshold.
    expect(presale.json().eligibility_rules_json.loyalty_tiers).toEqual([
      { min_points: 100, ticket_limit: 2 },
      { min_points: 1000, ticket_limit: 4 },
    ]);
    const list = await call('GET', `/admin/matches/${matchId}/sales-phases`);
    expect(list.statusCode).toBe(200);
    expect(list.json().map((p: { name: string }) => p.name)).toEqual([
      'Loyalty presale',
      'General sale',
    ]);
    // Another match's phases are not listed; an unknown match is 404.
    const other = await newMatch();
    expect((await call('GET', `/admin/matches/${other}/sales-phases`)).json()).toEqual([]);
    expect((await call('GET', `/admin/matches/${randomUUID()}/sales-phases`)).statusCode).toBe(404);
    const logs = await t.deps.db
      .selectFrom('match_audit_logs')
      .select(['change_type', 'changes_json'])
      .where('match_id', '=', matchId)
      .execute();
    expect(
      logs.filter((l) => (l.changes_json as { entity: string }).entity === 'sales_phase'),
    ).toHaveLength(2);
  });

  it('updates a phase (PUT) and 404s for a phase of another match', async () => {
    const matchId = await newMatch();
    const created = (await call('POST', `/admin/matches/${matchId}/sales-phases`, phase())).json();
    const res = await call('PUT', `/admin/matches/${matchId}/sales-phases/${created.id}`, {
      name: 'General sale (extended)',
      end_at: '2026-09-12T08:00:00Z',
      ticket_limit: 2,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      id: created.id,
      name: 'General sale (extended)',
      end_at: '2026-09-12T08:00:00.000Z',
      ticket_limit: 2,
      start_at: '2026-09-01T08:00:00.000Z',
    });
    const other = await newMatch();
    const wrong = await call('PUT', `/admin/matches/${other}/sales-phases/${created.id}`, {
      name: 'x',
    });
    expect(wrong.statusCode).toBe(404);
  });

  it('returns 400 PHASES_OVERLAP for overlapping dates, on create and on update', async () => {
    const matchId = await newMatch();
    const first = (await call('POST', `/admin/matches/${matchId}/sales-phases`, phase())).json();
    const overlapping = await call(
      'POST',
      `/admin/matches/${matchId}/sales-phases`,
      phase({ name: 'Overlap', start_at: '2026-09-09T08:00:00Z', end_at: '2026-09-15T08:00:00Z' }),
    );
    expect(overlapping.statusCode).toBe(400);
    expect(overlapping.json().code).toBe('PHASES_OVERLAP');
    // Touching ranges do not overlap: a phase may start when the previous ends.
    const next = await call(
      'POST',
      `/admin/matches/${matchId}/sales-phases`,
      phase({ name: 'Next', start_at: '2026-09-10T08:00:00Z', end_at: '2026-09-15T08:00:00Z' }),
    );
    expect(next.statusCode).toBe(201);
    const moved = await call('PUT', `/admin/matches/${matchId}/sales-phases/${next.json().id}`, {
      start_at: '2026-09-05T08:00:00Z',
    });
    expect(moved.statusCode).toBe(400);
    expect(moved.json().code).toBe('PHASES_OVERLAP');
    // A deactivated phase no longer blocks its window; the same dates on another match are fine.
    await call('PUT', `/admin/matches/${matchId}/sales-phases/${first.id}`, { is_active: false });
    const replacement = await call(
      'POST',
      `/admin/matches/${matchId}/sales-phases`,
      phase({ name: 'Replacement' }),
    );
    expect(replacement.statusCode).toBe(201);
    const other = await newMatch();
    expect((await call('POST', `/admin/matches/${other}/sales-phases`, phase())).statusCode).toBe(
      201,
    );
  });

  it('is race-free: of concurrent overlapping creations exactly one succeeds', async () => {
    const matchId = await newMatch();
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        call(
          'POST',
          `/admin/matches/${matchId}/sales-phases`,
          phase({
            name: `Racer ${i}`,
            start_at: `2026-09-0${i + 1}T08:00:00Z`,
            end_at: '2026-09-20T08:00:00Z',
          }),
        ),
      ),
    );
    const statuses = results.map((r) => r.statusCode).sort();
    expect(statuses).toEqual([201, 400, 400, 400, 400, 400]);
    expect(
      results.filter((r) => r.statusCode === 400).every((r) => r.json().code === 'PHASES_OVERLAP'),
    ).toBe(true);
  });

  it('validates eligibility_rules_json: invalid structures return 400 with the offending field', async () => {
    const matchId = await newMatch();
    const cases: [unknown, string][] = [
      [{ loyalty_tiers: 'gold' }, 'body.eligibility_rules_json.loyalty_tiers'],
      [
        { loyalty_tiers: [{ min_points: -1, ticket_limit: 2 }] },
        'body.eligibility_rules_json.loyalty_tiers.0.min_points',
      ],
      [
        { loyalty_tiers: [{ min_points: 10, ticket_limit: 0 }] },
        'body.eligibility_rules_json.loyalty_tiers.0.ticket_limit',
      ],
      [
        { loyalty_tiers: [{ min_points: 10.5, ticket_limit: 1 }] },
        'body.eligibility_rules_json.loyalty_tiers.0.min_points',
      ],
      [
        { loyalty_tiers: [{ min_points: 10, ticket_limit: 1, bonus: true }] },
        'body.eligibility_rules_json.loyalty_tiers.0',
      ],
      [
        {
          loyalty_tiers: [
            { min_points: 10, ticket_limit: 1 },
            { min_points: 10, ticket_limit: 2 },
          ],
        },
        'body.eligibility_rules_json.loyalty_tiers.1.min_points',
      ],
      [{ vip_only: true }, 'body.eligibility_rules_json'],
      ['not an object', 'body.eligibility_rules_json'],
    ];
    for (const [rules, field] of cases) {
      const res = await call(
        'POST',
        `/admin/matches/${matchId}/sales-phases`,
        loyalty({ eligibility_rules_json: rules }),
      );
      expect(res.statusCode, JSON.stringify(rules)).toBe(400);
      expect(res.json().code).toBe('VALIDATION_FAILED');
      expect(
        res.json().errors.map((e: { field: string }) => e.field),
        JSON.stringify(rules),
      ).toContain(field);
    }
    // Cross-field rules: a LOYALTY phase needs tiers; no tier above the phase limit.
    const noTiers = await call(
      'POST',
      `/admin/matches/${matchId}/sales-phases`,
      loyalty({ eligibility_rules_json: {} }),
    );
    expect(noTiers.statusCode).toBe(400);
    expect(noTiers.json().errors[0].field).toBe('body.eligibility_rules_json.loyalty_tiers');
    const tooMany = await call(
      'POST',
      `/admin/matches/${matchId}/sales-phases`,
      loyalty({ ticket_limit: 3 }),
    );
    expect(tooMany.statusCode).toBe(400);
    // And on update, against the stored phase.
    const ok = (await call('POST', `/admin/matches/${matchId}/sales-phases`, loyalty())).json();
    const lowered = await call('PUT', `/admin/matches/${matchId}/sales-phases/${ok.id}`, {
      ticket_limit: 1,
    });
    expect(lowered.statusCode).toBe(400);
    expect(lowered.json().errors.map((e: { field: string }) => e.field)).toContain(
      'body.eligibility_rules_json.loyalty_tiers.1.ticket_limit',
    );
    const invalidPut = await call('PUT', `/admin/matches/${matchId}/sales-phases/${ok.id}`, {
      eligibility_rules_json: { loyalty_tiers: [{ min_points: 'many' }] },
    });
    expect(invalidPut.statusCode).toBe(400);
  });

  it('rejects end before start and phases of a deleted match', async () => {
    const matchId = await newMatch();
    const backwards = await call(
      'POST',
      `/admin/matches/${matchId}/sales-phases`,
      phase({ end_at: '2026-08-01T08:00:00Z' }),
    );
    expect(backwards.statusCode).toBe(400);
    expect(backwards.json().errors[0].field).toBe('body.end_at');
    await call('DELETE', `/admin/matches/${matchId}`);
    const deleted = await call('POST', `/admin/matches/${matchId}/sales-phases`, phase());
    expect(deleted.statusCode).toBe(409);
    expect(deleted.json().code).toBe('MATCH_NOT_EDITABLE');
  });

  it('is for match managers only (403)', async () => {
    const matchId = await newMatch();
    const fan = await createUser(t.deps, { roles: ['FAN'] });
    expect(
      (await call('GET', `/admin/matches/${matchId}/sales-phases`, undefined, fan.token))
        .statusCode,
    ).toBe(403);
    expect(
      (await call('POST', `/admin/matches/${matchId}/sales-phases`, phase(), fan.token)).statusCode,
    ).toBe(403);
  });
});
