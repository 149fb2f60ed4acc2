import { expect } from 'vitest';
import type { Role } from '../../src/platform/auth/roles.ts';
import type { StripeTestServer } from '../../src/platform/adapters/stripe/local-server.ts';
import { createUser, type TestUser } from '../factories/users.ts';
import type { TestContext } from '../harness/context.ts';
import {
  checkoutToPayment,
  createFan,
  createSale,
  deliver,
  holdersFor,
  type Fan,
  type SaleFixture,
} from '../sales/helpers.ts';

/** Support desk fixtures: a fan's paid order, staff of each role, the role matrix. */

export const HOUR = 3_600_000;

export interface Bought {
  sale: SaleFixture;
  fan: Fan;
  orderId: string;
  orderNumber: string;
  ticketIds: string[];
  buyerName: string;
}

/** A fan's paid order of `quantity` tickets (first holder the buyer) of a new match. */
export async function buy(
  t: TestContext,
  stripe: StripeTestServer,
  quantity = 1,
  options: { kickOff?: Date; holders?: unknown[]; sale?: SaleFixture } = {},
): Promise<Bought> {
  const sale =
    options.sale ??
    (await createSale(t.deps, { rows: 1, seatsPerRow: 8, kickOff: options.kickOff }));
  const fan = await createFan(t.deps);
  const { order, payment } = await checkoutToPayment(
    t,
    fan,
    sale,
    quantity,
    options.holders ?? holdersFor(quantity),
  );
  const paid = await deliver(t, stripe, stripe.succeed(payment.payment_intent_id));
  expect(paid.json().outcome).toBe('completed');
  const tickets = await t.deps.db
    .selectFrom('tickets')
    .select('id')
    .where('order_id', '=', order.id)
    .orderBy('id')
    .execute();
  const profile = await t.deps.db
    .selectFrom('profiles')
    .select('full_name')
    .where('user_id', '=', fan.id)
    .executeTakeFirstOrThrow();
  return {
    sale,
    fan,
    orderId: order.id,
    orderNumber: order.order_number,
    ticketIds: tickets.map((r) => r.id),
    buyerName: profile.full_name,
  };
}

export const staff = (t: TestContext, roles: Role[]): Promise<TestUser> =>
  createUser(t.deps, { roles });

export interface RoleCase {
  who: string;
  token: string | undefined;
  allowed: boolean;
}

/**
 * Anonymous (401), a fan, finance and a match manager (403), and the roles that may
 * (support agent, supervisor, super admin, or as given).
 */
export async function roleMatrix(
  t: TestContext,
  allowedRoles: Role[] = ['SUPPORT_AGENT', 'SUPPORT_SUPERVISOR', 'SUPER_ADMIN'],
): Promise<RoleCase[]> {
  const all: Role[] = [
    'FAN',
    'FINANCE',
    'MATCH_MANAGER',
    'SUPPORT_AGENT',
    'SUPPORT_SUPERVISOR',
    'SUPER_ADMIN',
  ];
  const cases: RoleCase[] = [{ who: 'anonymous', token: undefined, allowed: false }];
  for (const role of all) {
    const user = await staff(t, [role]);
    cases.push({ who: role, token: user.token, allowed: allowedRoles.includes(role) });
  }
  return cases;
}

/** Refused callers get 401/403 problems; allowed ones get past the access check. */
export function expectAccess(c: RoleCase, res: { statusCode: number; json(): unknown }) {
  if (c.allowed) {
    expect([401, 403], `${c.who} must get through (${res.statusCode})`).not.toContain(
      res.statusCode,
    );
  } else {
    expect(res.statusCode, c.who).toBe(c.token ? 403 : 401);
    expect((res.json() as { code: string }).code).toBe(c.token ? 'FORBIDDEN' : 'UNAUTHENTICATED');
  }
}
