import { beforeAll, describe, expect, it } from 'vitest';
import { createUser, type TestUser } from '../factories/users.ts';
import { useTestContext } from '../harness/context.ts';
import { createFan, createSale, manualHolder } from '../sales/helpers.ts';
import { createQuotaViaApi, quotaInvariantViolations } from './helpers.ts';

/** A quota's transfer_allowed on the tickets claimed from it (E7-F1, E9-F5). */
const t = useTestContext({ env: { RATE_LIMIT_MAX: '100000' } });

let manager: TestUser;
let holder: TestUser;

beforeAll(async () => {
  manager = await createUser(t.deps, { roles: ['MATCH_MANAGER'] });
  holder = await createUser(t.deps, { roles: ['QUOTA_HOLDER'], email: 'club-tr@example.test' });
});

const post = (url: string, payload: object, token = holder.token) =>
  t.request({ method: 'POST', url, token, payload });

/** A free quota (100 %) claimed for two guests: the holder owns the two tickets. */
async function claimedTickets(transferAllowed: boolean): Promise<string[]> {
  const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 4 });
  const quota = await createQuotaViaApi(t, manager, {
    match_id: sale.matchId,
    sector_ids: [sale.zoneId],
    total_quantity: 2,
    recipient_email: holder.email,
    discount_percent: 100,
    transfer_allowed: transferAllowed,
  });
  const claim = (
    await post(`/quota-portal/quotas/${quota.id}/select-seats`, { quantity: 2 })
  ).json();
  const named = await post(`/quota-portal/quotas/${quota.id}/ticket-holders`, {
    claim_id: claim.id,
    holders: [manualHolder('Guest One'), manualHolder('Guest Two')],
  });
  expect(named.statusCode, named.body).toBe(200);
  const paid = await post(`/quota-portal/quotas/${quota.id}/payment`, { claim_id: claim.id });
  expect(paid.statusCode, paid.body).toBe(200);
  return paid.json().ticket_ids as string[];
}

async function transferTo(ticketId: string) {
  const friend = await createFan(t.deps);
  return t.request({
    method: 'POST',
    url: `/tickets/${ticketId}/transfer`,
    token: holder.token,
    payload: {
      full_name: 'Petra Perić',
      oib: friend.oib,
      email: friend.email,
      date_of_birth: '1992-02-02',
      nationality: 'HR',
    },
  });
}

describe("a quota's transfer_allowed on its tickets", () => {
  it('transfer_allowed = false: the tickets say so and a self-service transfer is refused', async () => {
    const [first, second] = await claimedTickets(false);
    const mine = await t.request({ method: 'GET', url: '/users/me/tickets', token: holder.token });
    const views = mine.json().items.filter((i: { id: string }) => [first, second].includes(i.id));
    expect(views).toHaveLength(2);
    expect(views.every((v: { transfer_allowed: boolean }) => v.transfer_allowed === false)).toBe(
      true,
    );
    const refused = await transferTo(first!);
    expect(refused.statusCode, refused.body).toBe(403);
    expect(refused.json().code).toBe('QUOTA_TRANSFER_NOT_ALLOWED');

    // The quota decides even if the ticket row were to say otherwise.
    await t.deps.db
      .updateTable('tickets')
      .set({ transfer_allowed: true })
      .where('id', '=', second!)
      .execute();
    const still = await transferTo(second!);
    expect(still.statusCode).toBe(403);
    expect(still.json().code).toBe('QUOTA_TRANSFER_NOT_ALLOWED');
    const row = await t.deps.db
      .selectFrom('tickets')
      .select(['owner_user_id', 'status'])
      .where('id', '=', first!)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ owner_user_id: holder.id, status: 'SOLD' });
    expect(
      await t.deps.db
        .selectFrom('transfer_logs')
        .select('id')
        .where('ticket_id', 'in', [first!, second!])
        .execute(),
    ).toEqual([]);
    expect(await quotaInvariantViolations(t)).toEqual([]);
  });

  it('transfer_allowed = true (the default): the quota ticket transfers like any other', async () => {
    const [ticket] = await claimedTickets(true);
    const res = await transferTo(ticket!);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ ticket_id: ticket });
  });
});
