import { sql } from 'kysely';
import { expect } from 'vitest';
import { auditMatchInvariants } from '../../src/modules/integrity/integrity.service.ts';
import type { StripeTestServer } from '../../src/platform/adapters/stripe/local-server.ts';
import type { TestContext } from '../harness/context.ts';
import type { TestUser } from '../factories/users.ts';
import type { Fan, SaleFixture } from '../sales/helpers.ts';
import { buyOnSale } from '../sales/refund-helpers.ts';

/** Match cancellation fixtures (E2-F7): paid orders of one sale, the request, the counts. */

export interface Paid {
  fan: Fan;
  orderId: string;
  totalAmount: number;
  ticketIds: string[];
}

/** A new fan's completed order of `quantity` tickets of the sale. */
export const buy: (
  t: TestContext,
  stripe: StripeTestServer,
  sale: SaleFixture,
  quantity: number,
) => Promise<Paid> = buyOnSale;

export const cancel = (t: TestContext, admin: TestUser, matchId: string, reason = 'storm') =>
  t.request({
    method: 'POST',
    url: `/admin/matches/${matchId}/cancel`,
    token: admin.token,
    payload: { reason },
  });

export const report = (
  t: TestContext,
  admin: TestUser,
  matchId: string,
  query = '',
  accept?: string,
) =>
  t.request({
    method: 'GET',
    url: `/admin/matches/${matchId}/cancellation-report${query}`,
    token: admin.token,
    ...(accept ? { headers: { accept } } : {}),
  });

/** The SYSTEM refunds of the match's orders, by order. */
export async function systemRefunds(t: TestContext, matchId: string) {
  return t.deps.db
    .selectFrom('refunds as r')
    .innerJoin('orders as o', 'o.id', 'r.order_id')
    .select([
      'r.id',
      'r.order_id',
      'r.refund_amount',
      'r.fee_retained',
      'r.status',
      'o.total_amount',
    ])
    .where('o.match_id', '=', matchId)
    .where('r.source', '=', 'SYSTEM')
    .orderBy('r.order_id')
    .execute();
}

/** The cancellation emails of the match (match_update with its match_url), per recipient. */
export async function cancellationEmails(t: TestContext, matchId: string) {
  const { rows } = await sql<{ recipient_email: string; n: number; locale: string }>`
    SELECT recipient_email, count(*)::int AS n, min(locale) AS locale FROM email_logs
     WHERE template_key = 'match_update' AND variables_json->>'match_url' LIKE ${`%${matchId}`}
     GROUP BY recipient_email ORDER BY recipient_email`.execute(t.deps.db);
  return rows;
}

/** The cancellation pushes of the match (one push = one job id), per user. */
export async function cancellationPushes(t: TestContext, matchId: string) {
  const { rows } = await sql<{ user_id: string; n: number }>`
    SELECT user_id::text, count(DISTINCT job_id)::int AS n FROM push_logs
     WHERE notification_type = 'match_cancelled' AND data_json->>'match_id' = ${matchId}
     GROUP BY user_id ORDER BY user_id`.execute(t.deps.db);
  return rows;
}

export async function ticketStatusCounts(t: TestContext, matchId: string) {
  const rows = await t.deps.db
    .selectFrom('tickets')
    .select(['status', sql<number>`count(*)::int`.as('n')])
    .where('match_id', '=', matchId)
    .groupBy('status')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

export async function expectInvariants(t: TestContext, matchId: string) {
  const audit = await auditMatchInvariants(t.deps, matchId);
  expect(audit.invariants.filter((i) => i.violations > 0)).toEqual([]);
}
