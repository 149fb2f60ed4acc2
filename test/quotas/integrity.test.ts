import { describe, expect, it } from 'vitest';
import { auditMatchInvariants } from '../../src/modules/integrity/integrity.service.ts';
import { inventoryOf, setStatus } from '../factories/inventory.ts';
import { createLockedMatch } from '../factories/matches.ts';
import { createUser } from '../factories/users.ts';
import { useTestContext } from '../harness/context.ts';
import { manualHolder } from '../sales/helpers.ts';
import { createQuotaViaApi } from './helpers.ts';

const t = useTestContext({ env: { RATE_LIMIT_MAX: '100000' } });

describe('audit-invariants: quota seats (E7)', () => {
  it('holds after real quota flows, and names each quota violation', async () => {
    const manager = await createUser(t.deps, { roles: ['MATCH_MANAGER'] });
    const holder = await createUser(t.deps, {
      roles: ['QUOTA_HOLDER'],
      email: 'audit-club@example.test',
    });
    const match = await createLockedMatch(t.deps, {
      rows: 1,
      seatsPerRow: 10,
      status: 'PUBLISHED',
    });
    const quota = await createQuotaViaApi(t, manager, {
      match_id: match.matchId,
      sector_ids: [match.sectors[0]!.matchSectorId],
      total_quantity: 6,
      recipient_email: holder.email,
      discount_percent: 100,
      can_create_subquotas: true,
    });
    const post = (url: string, payload: object) =>
      t.request({ method: 'POST', url, token: holder.token, payload });
    const base = `/quota-portal/quotas/${quota.id}`;
    // SOLD (a free claim), RESERVED (a claim in progress), DELEGATED, ALLOCATED
    const sold = (await post(`${base}/select-seats`, { quantity: 2 })).json();
    await post(`${base}/ticket-holders`, {
      claim_id: sold.id,
      holders: [manualHolder('A A'), manualHolder('B B')],
    });
    expect((await post(`${base}/payment`, { claim_id: sold.id })).json().status).toBe('COMPLETED');
    await post(`${base}/subquotas`, { recipient_email: 'friend-audit@example.test', quantity: 1 });
    await post(`${base}/select-seats`, { quantity: 1 });

    const clean = await auditMatchInvariants(t.deps, match.matchId);
    expect(clean.invariants.filter((i) => i.violations > 0)).toEqual([]);
    expect(clean.ok).toBe(true);

    const inventory = await inventoryOf(t.deps.db, match.sectors[0]!.matchSectorId);
    const quotaInventory = new Set(quota.seats.map((s) => s.inventory_id));
    const allocatedQuotaSeat = await t.deps.db
      .selectFrom('quota_seats')
      .select(['id', 'match_seat_inventory_id'])
      .where('quota_id', '=', quota.id)
      .where('status', '=', 'ALLOCATED')
      .executeTakeFirstOrThrow();
    // a quota seat whose inventory row went back to sale behind the quota's back
    await setStatus(t.deps.db, [allocatedQuotaSeat.match_seat_inventory_id], 'AVAILABLE');
    // a seat ALLOCATED with no quota
    const outside = inventory.find((s) => !quotaInventory.has(s.id))!;
    await setStatus(t.deps.db, [outside.id], 'ALLOCATED');
    // a public ticket on a (sold) quota seat
    const soldSeat = await t.deps.db
      .selectFrom('quota_seats')
      .select(['id', 'match_seat_inventory_id'])
      .where('quota_id', '=', quota.id)
      .where('status', '=', 'SOLD')
      .executeTakeFirstOrThrow();
    await t.deps.db
      .updateTable('quota_seats')
      .set({ ticket_id: null })
      .where('id', '=', soldSeat.id)
      .execute();

    const report = await auditMatchInvariants(t.deps, match.matchId);
    const count = (name: string) => report.invariants.find((i) => i.name === name)?.violations;
    expect(report.ok).toBe(false);
    expect(count('quota_seat_inventory_mismatch')).toBe(2);
    expect(count('quota_seat_sold_to_public')).toBe(1);
    expect(count('allocated_seat_without_quota')).toBe(1);
    expect(
      report.invariants.find((i) => i.name === 'allocated_seat_without_quota')?.sample,
    ).toEqual([outside.id]);
  });
});
