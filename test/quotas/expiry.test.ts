import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runQuotaDeadlines } from '../../src/modules/quotas/expiry.service.ts';
import { createLockedMatch } from '../factories/matches.ts';
import { createUser, type TestUser } from '../factories/users.ts';
import { useTestContext } from '../harness/context.ts';
import { manualHolder } from '../sales/helpers.ts';
import {
  createQuotaViaApi,
  emailsOf,
  inventoryCounts,
  quotaInvariantViolations,
} from './helpers.ts';

const t = useTestContext({ env: { RATE_LIMIT_MAX: '100000' } });
const HOUR = 3_600_000;

let manager: TestUser;
let holder: TestUser;

async function freshTokens() {
  manager.token = await t.token(manager.id, ['FAN', 'MATCH_MANAGER']);
  holder.token = await t.token(holder.id, ['FAN', 'QUOTA_HOLDER']);
}

beforeAll(async () => {
  manager = await createUser(t.deps, { roles: ['MATCH_MANAGER'] });
  holder = await createUser(t.deps, { roles: ['QUOTA_HOLDER'], email: 'partner-exp@example.test' });
});
beforeEach(freshTokens);

const post = (url: string, payload: object) =>
  t.request({ method: 'POST', url, token: holder.token, payload });

describe('quota deadlines (expiry job)', () => {
  it('reminds before, then PAST_DEADLINE: unclaimed seats back to sale, holder told, sales kept', async () => {
    const match = await createLockedMatch(t.deps, { rows: 1, seatsPerRow: 8, status: 'PUBLISHED' });
    const deadline = new Date(t.clock.now().getTime() + 30 * HOUR);
    const quota = await createQuotaViaApi(t, manager, {
      match_id: match.matchId,
      sector_ids: [match.sectors[0]!.matchSectorId],
      total_quantity: 6,
      recipient_email: holder.email,
      discount_percent: 100,
      can_create_subquotas: true,
      expiration_date: deadline.toISOString(),
    });
    const base = `/quota-portal/quotas/${quota.id}`;
    const claim = (await post(`${base}/select-seats`, { quantity: 2 })).json();
    await post(`${base}/ticket-holders`, {
      claim_id: claim.id,
      holders: [manualHolder('A B'), manualHolder('C D')],
    });
    expect((await post(`${base}/payment`, { claim_id: claim.id })).json().status).toBe('COMPLETED');
    const sub = (
      await post(`${base}/subquotas`, { recipient_email: 'friend-exp@example.test', quantity: 2 })
    ).json();

    // nothing to do yet
    expect(await runQuotaDeadlines(t.deps)).toEqual({
      reminded: 0,
      expired: 0,
      subquotasExpired: 0,
    });
    // within a day of the deadline: one reminder, with the unclaimed count
    t.clock.advance(7 * HOUR);
    expect((await runQuotaDeadlines(t.deps)).reminded).toBe(1);
    expect((await runQuotaDeadlines(t.deps)).reminded).toBe(0);
    const reminders = (await emailsOf(t, 'quota_expiring')).filter(
      (e) => e.recipient_email === holder.email,
    );
    expect(reminders).toHaveLength(1);
    expect(reminders[0]!.variables_json).toMatchObject({ unclaimed_count: 4 });

    // past the deadline
    t.clock.advance(24 * HOUR);
    await freshTokens();
    expect((await runQuotaDeadlines(t.deps)).expired).toBe(1);
    const row = await t.deps.db
      .selectFrom('quotas')
      .select('status')
      .where('id', '=', quota.id)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('PAST_DEADLINE');
    expect(await inventoryCounts(t, match.matchId)).toEqual({ AVAILABLE: 6, SOLD: 2 });
    const subRow = await t.deps.db
      .selectFrom('subquotas')
      .select('status')
      .where('id', '=', sub.id)
      .executeTakeFirstOrThrow();
    expect(subRow.status).toBe('EXPIRED');
    const told = (await emailsOf(t, 'quota_expired')).filter(
      (e) => e.recipient_email === holder.email,
    );
    expect(told).toHaveLength(1);
    expect(told[0]!.variables_json).toMatchObject({ returned_count: 4 });
    const late = await post(`${base}/select-seats`, { quantity: 1 });
    expect(late.json().code).toBe('QUOTA_CLOSED');
    expect(await quotaInvariantViolations(t)).toEqual([]);
  });

  it('a sub-quota past its own deadline gives its unclaimed seats back to the parent', async () => {
    const match = await createLockedMatch(t.deps, { rows: 1, seatsPerRow: 6, status: 'PUBLISHED' });
    const quota = await createQuotaViaApi(t, manager, {
      match_id: match.matchId,
      sector_ids: [match.sectors[0]!.matchSectorId],
      total_quantity: 4,
      recipient_email: holder.email,
      can_create_subquotas: true,
    });
    const sub = (
      await post(`/quota-portal/quotas/${quota.id}/subquotas`, {
        recipient_email: 'friend-2@example.test',
        quantity: 3,
        expires_at: new Date(t.clock.now().getTime() + 2 * HOUR).toISOString(),
      })
    ).json();
    t.clock.advance(3 * HOUR);
    await freshTokens();
    expect((await runQuotaDeadlines(t.deps)).subquotasExpired).toBe(1);
    const subRow = await t.deps.db
      .selectFrom('subquotas')
      .select('status')
      .where('id', '=', sub.id)
      .executeTakeFirstOrThrow();
    expect(subRow.status).toBe('EXPIRED');
    const res = await t.request({
      method: 'GET',
      url: `/quota-portal/quotas/${quota.id}`,
      token: holder.token,
    });
    expect(res.json().counts).toEqual({ allocated: 4, reserved: 0, sold: 0, delegated: 0 });
    expect(await inventoryCounts(t, match.matchId)).toEqual({ ALLOCATED: 4, AVAILABLE: 2 });
  });
});
