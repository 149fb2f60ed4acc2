import { sql } from 'kysely';
import type { TestContext } from '../harness/context.ts';
import type { TestUser } from '../factories/users.ts';

/** Quota test steps: the admin API calls and the facts the tests check. */

export interface QuotaInput {
  match_id: string;
  sector_ids: string[];
  total_quantity: number;
  recipient_email?: string;
  [key: string]: unknown;
}

export function createQuotaRequest(t: TestContext, manager: TestUser, input: QuotaInput) {
  return t.request({
    method: 'POST',
    url: '/admin/quotas',
    token: manager.token,
    payload: {
      recipient_email: 'partner@example.test',
      recipient_name: 'Partner d.o.o.',
      ...input,
    },
  });
}

/** Creates a quota through the API; fails the test on anything but 201. */
export async function createQuotaViaApi(t: TestContext, manager: TestUser, input: QuotaInput) {
  const res = await createQuotaRequest(t, manager, input);
  if (res.statusCode !== 201) throw new Error(`POST /admin/quotas ${res.statusCode}: ${res.body}`);
  return res.json() as {
    id: string;
    status: string;
    seats: {
      quota_seat_id: string;
      inventory_id: string;
      row: string;
      seat_number: number;
      status: string;
    }[];
  };
}

/** Inventory statuses of the given rows, by id. */
export async function inventoryStatuses(t: TestContext, ids: string[]) {
  const rows = await t.deps.db
    .selectFrom('match_seat_inventory')
    .select(['id', 'status', 'hold_kind', 'hold_owner_id'])
    .where('id', 'in', ids)
    .execute();
  return new Map(rows.map((r) => [r.id, r]));
}

/** Status counts of a match's inventory. */
export async function inventoryCounts(t: TestContext, matchId: string) {
  const { rows } = await sql<{ status: string; n: number }>`
    SELECT status::text, count(*)::int AS n FROM match_seat_inventory
     WHERE match_id = ${matchId} GROUP BY status`.execute(t.deps.db);
  return Object.fromEntries(rows.map((r) => [r.status, r.n])) as Record<string, number>;
}

/** Emails written to the outbox with this template. */
export async function emailsOf(t: TestContext, templateKey: string) {
  return t.deps.db
    .selectFrom('email_logs')
    .select(['recipient_email', 'variables_json'])
    .where('template_key', '=', templateKey)
    .execute();
}

/**
 * The quota invariants the auditor will check: every live quota seat's inventory row is in
 * the state its quota seat status implies, and no seat is in a live quota and also in a
 * public hold or a public ticket.
 */
export async function quotaInvariantViolations(t: TestContext) {
  const { rows } = await sql<{ id: string; problem: string }>`
    SELECT qs.id, 'inventory ' || i.status || ' for quota seat ' || qs.status AS problem
      FROM quota_seats qs JOIN match_seat_inventory i ON i.id = qs.match_seat_inventory_id
     WHERE qs.status <> 'CANCELLED'
       AND NOT ((qs.status IN ('ALLOCATED', 'DELEGATED') AND i.status = 'ALLOCATED')
             OR (qs.status = 'RESERVED' AND i.status = 'RESERVED' AND i.hold_kind IN ('QUOTA', 'ORDER'))
             OR (qs.status = 'SOLD' AND i.status = 'SOLD'))`.execute(t.deps.db);
  return rows;
}
