import { sql } from 'kysely';
import { afterAll, expect } from 'vitest';
import type { AppDeps } from '../../src/deps.ts';
import { generateOib } from '../../src/modules/identity/oib.ts';
import { insertProfile, insertSavedProfile } from '../../src/modules/identity/profiles.repo.ts';
import { getPiiCipher } from '../../src/platform/crypto.ts';
import { getTicketSigner, isValidBarcode } from '../../src/modules/tickets/ticket-codes.ts';
import { QR_VISIBLE_BEFORE_KICKOFF_MS } from '../../src/modules/tickets/tickets.rules.ts';
import { useTestContext, type TestContext, type TestContextOptions } from '../harness/context.ts';
import {
  startStripeServer,
  type StripeTestServer,
} from '../../src/platform/adapters/stripe/local-server.ts';
import { createLockedMatch, type LockedMatchOptions } from '../factories/matches.ts';
import { createUser, type TestUser } from '../factories/users.ts';

/** Purchase-flow fixtures: a match on sale, fans with profiles, and the buying steps. */

export const MINUTE = 60_000;

/**
 * This file's test context wired to a local Stripe-protocol server (closed after the file),
 * with rate limiting out of the way of many fans from one address.
 */
export async function useStripeTestContext(options: TestContextOptions = {}) {
  const stripe = await startStripeServer();
  const t = useTestContext({
    ...options,
    env: {
      STRIPE_API_BASE: stripe.url,
      STRIPE_API_KEY: stripe.apiKey,
      STRIPE_WEBHOOK_SECRET: stripe.webhookSecret,
      RATE_LIMIT_MAX: '100000',
      ...options.env,
    },
  });
  afterAll(() => stripe.close());
  return { t, stripe };
}

export interface SaleFixture {
  matchId: string;
  zoneId: string;
  zoneIds: string[];
  phaseId: string;
}

export async function createSale(
  deps: Pick<AppDeps, 'db' | 'jobs' | 'clock'>,
  options: LockedMatchOptions & { queued?: boolean; presaleDiscountPercent?: number } = {},
): Promise<SaleFixture> {
  const match = await createLockedMatch(deps, { status: 'PUBLISHED', ...options });
  const now = deps.clock.now();
  const phase = await deps.db
    .insertInto('sales_phases')
    .values({
      match_id: match.matchId,
      phase_type: 'GENERAL_PUBLIC',
      name: 'General sale',
      start_at: new Date(now.getTime() - 3_600_000),
      end_at: new Date(now.getTime() + 10 * 24 * 3_600_000),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  if (!options.queued) {
    await sql`INSERT INTO queue_settings (match_id, enabled, admission_rate_per_minute, max_active_buyers)
              VALUES (${match.matchId}, false, 1000, 1000)`.execute(deps.db);
  }
  if (options.presaleDiscountPercent !== undefined) {
    await deps.db
      .insertInto('fee_configurations')
      .values({ match_id: match.matchId, presale_discount_percent: options.presaleDiscountPercent })
      .execute();
  }
  return {
    matchId: match.matchId,
    zoneId: match.sectors[0]!.matchSectorId,
    zoneIds: match.sectors.map((s) => s.matchSectorId),
    phaseId: phase.id,
  };
}

export interface Fan extends TestUser {
  oib: string;
}

export async function createFan(
  deps: Pick<AppDeps, 'db' | 'tokens' | 'config'>,
  options: { dateOfBirth?: string; oib?: string } = {},
): Promise<Fan> {
  const user = await createUser(deps);
  const pii = getPiiCipher(deps.config);
  const oib = options.oib ?? generateOib();
  await insertProfile(deps.db, user.id, {
    full_name: `Fan ${user.email.slice(4, 12)}`,
    date_of_birth: options.dateOfBirth ?? '1990-05-05',
    nationality: 'HR',
    oib_encrypted: pii.encrypt(oib),
    oib_blind_index: pii.blindIndex(oib),
    passport_encrypted: null,
    email: user.email,
    phone: null,
  });
  return { ...user, oib };
}

export async function addSavedProfile(
  deps: Pick<AppDeps, 'db' | 'config'>,
  fan: Fan,
  values: { fullName: string; dateOfBirth: string; oib: string; email?: string },
): Promise<string> {
  const pii = getPiiCipher(deps.config);
  const row = await insertSavedProfile(deps.db, fan.id, {
    full_name: values.fullName,
    date_of_birth: values.dateOfBirth,
    nationality: 'HR',
    oib_encrypted: pii.encrypt(values.oib),
    oib_blind_index: pii.blindIndex(values.oib),
    passport_encrypted: null,
    email: values.email ?? null,
    phone: null,
    relationship: 'friend',
  });
  return row.id;
}

export const manualHolder = (name = 'Ana Anić', dob = '1985-03-03') => ({
  source: 'MANUAL_ENTRY' as const,
  full_name: name,
  date_of_birth: dob,
  nationality: 'HR',
  oib: generateOib(),
  email: 'ana@example.test',
});

export function holdersFor(count: number) {
  return [
    { source: 'DEFAULT_PROFILE' as const },
    ...Array.from({ length: count - 1 }, (_, i) => manualHolder(`Holder ${i + 2}`)),
  ];
}

/** Cart → holders → pay; returns the order and the PaymentIntent. */
/** POST /cart/add for `quantity` seats of the sale's zone (or another zone of it). */
export function addToCart(
  t: TestContext,
  fan: Fan,
  sale: SaleFixture,
  quantity: number,
  zoneId = sale.zoneId,
) {
  return t.request({
    method: 'POST',
    url: '/cart/add',
    token: fan.token,
    payload: { match_id: sale.matchId, match_sector_id: zoneId, quantity },
  });
}

/** POST /checkout/ticket-holders for the cart. */
export function nameHolders(t: TestContext, fan: Fan, cartId: string, holders: unknown[]) {
  return t.request({
    method: 'POST',
    url: '/checkout/ticket-holders',
    token: fan.token,
    payload: { cart_id: cartId, holders },
  });
}

/** A ticket's barcode is valid and its QR payload verifies offline against the ticket. */
export function expectSignedTicket(
  t: TestContext,
  ticket: { id: string; barcode: string; qr_code_data: string },
  matchId: string,
) {
  expect(isValidBarcode(ticket.barcode)).toBe(true);
  expect(getTicketSigner(t.config).verify(ticket.qr_code_data)).toEqual({
    ticketId: ticket.id,
    matchId,
    barcode: ticket.barcode,
  });
}

export async function checkoutToPayment(
  t: TestContext,
  fan: Fan,
  sale: SaleFixture,
  quantity: number,
  holderList: unknown[] = holdersFor(quantity),
) {
  const add = await addToCart(t, fan, sale, quantity);
  if (add.statusCode !== 200) throw new Error(`cart/add ${add.statusCode}: ${add.body}`);
  const cart = add.json().cart;
  const holders = await nameHolders(t, fan, cart.id, holderList);
  if (holders.statusCode !== 200) throw new Error(`holders ${holders.statusCode}: ${holders.body}`);
  const order = holders.json();
  const pay = await t.request({
    method: 'POST',
    url: '/checkout/pay',
    token: fan.token,
    payload: { order_id: order.id },
  });
  if (pay.statusCode !== 200) throw new Error(`pay ${pay.statusCode}: ${pay.body}`);
  return {
    cart,
    order,
    payment: pay.json() as { payment_intent_id: string; client_secret: string },
  };
}

/** Runs `fn` with the test clock set to `at`, then puts the clock back. */
export async function withClockAt<T>(t: TestContext, at: Date, fn: () => Promise<T>): Promise<T> {
  const saved = t.clock.now();
  t.clock.set(at);
  try {
    return await fn();
  } finally {
    t.clock.set(saved);
  }
}

/** When a match's QR codes open (E9-F2): 5 hours before its kick-off. */
export async function qrOpensAtOf(t: TestContext, matchId: string): Promise<Date> {
  const { kick_off_time } = await t.deps.db
    .selectFrom('matches')
    .select('kick_off_time')
    .where('id', '=', matchId)
    .executeTakeFirstOrThrow();
  return new Date(kick_off_time.getTime() - QR_VISIBLE_BEFORE_KICKOFF_MS);
}

/** An order's status as stored. */
export async function orderStatusOf(t: TestContext, orderId: string) {
  const row = await t.deps.db
    .selectFrom('orders')
    .select('status')
    .where('id', '=', orderId)
    .executeTakeFirstOrThrow();
  return row.status;
}

/** Delivers a Stripe event to the app, signed by the SDK's test helper. */
export async function deliver(
  t: TestContext,
  stripe: StripeTestServer,
  event: ReturnType<StripeTestServer['event']>,
) {
  const { payload, headers } = stripe.sign(event);
  return t.request({ method: 'POST', url: '/webhooks/stripe', headers, payload });
}

export async function jobsIn(t: TestContext, queue: string) {
  const { rows } = await sql<{ data: Record<string, unknown> }>`
    SELECT data FROM ${sql.table(`${t.config.JOBS_SCHEMA}.job`)} WHERE name = ${queue}`.execute(
    t.deps.db,
  );
  return rows.map((r) => r.data);
}
