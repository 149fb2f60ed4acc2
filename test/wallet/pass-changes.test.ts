import { beforeAll, describe, expect, it } from 'vitest';
import { walletJobs } from '../../src/modules/wallet/wallet.jobs.ts';
import { createUser, freshToken } from '../factories/users.ts';
import { adminRefund, staff } from '../sales/refund-helpers.ts';
import { useStripeTestContext, type Fan } from '../sales/helpers.ts';
import { waitFor } from '../harness/wait.ts';
import { useWalletWorld } from '../harness/wallet.ts';
import { atQrTime, buyTickets, passJson, type BoughtTicket } from './helpers.ts';

/**
 * A sector move (E3-F6) and a staff refund reach the passes in the fans' wallets (E9-F4):
 * the registered device gets an APNs push over the local HTTP/2 APNs, then Apple's pass web
 * service serves the new pass (new seat and QR, or voided without QR); the saved Google
 * object is PATCHed through the local Wallet REST API the same way.
 */
const wallet = await useWalletWorld();
const { t, stripe } = await useStripeTestContext({
  env: { ...wallet.env, RATE_LIMIT_MAX: '100000' },
});
beforeAll(async () => {
  await t.startWorker(walletJobs(t.deps));
});

const PASS_TYPE = wallet.passTypeIdentifier;
const base = '/wallet/apple/v1';

const field = (pass: Record<string, Record<string, unknown>>, key: string) =>
  (
    ['primaryFields', 'secondaryFields', 'auxiliaryFields', 'backFields']
      .flatMap((k) => (pass.eventTicket?.[k] as Array<{ key: string; value: string }>) ?? [])
      .find((f) => f.key === key) ?? null
  )?.value;

/**
 * The fan's ticket in both wallets, as a phone has it once the QR is open: the Apple pass
 * registered for pushes, the Google object saved. Returns what the phone knows.
 */
async function inBothWallets(fan: Fan, ticket: BoughtTicket, device: string, pushToken: string) {
  const token = await freshToken(t.deps, fan);
  const apple = await t.request({
    method: 'GET',
    url: `/tickets/${ticket.id}/wallet/apple`,
    token,
  });
  expect(apple.statusCode).toBe(200);
  const pass = await passJson(apple.rawPayload);
  expect(pass.barcodes[0].message).toBe(ticket.qr_code_data);
  const registered = await t.request({
    method: 'POST',
    url: `${base}/devices/${device}/registrations/${PASS_TYPE}/${ticket.id}`,
    headers: { authorization: `ApplePass ${pass.authenticationToken}` },
    payload: { pushToken },
  });
  expect(registered.statusCode).toBe(201);
  const tag = (
    await t.request({ method: 'GET', url: `${base}/devices/${device}/registrations/${PASS_TYPE}` })
  ).json().lastUpdated as string;
  const link = (
    await t.request({ method: 'GET', url: `/tickets/${ticket.id}/wallet/google`, token })
  ).json();
  wallet.google.save({
    id: link.object_id,
    state: 'ACTIVE',
    barcode: { type: 'QR_CODE', value: ticket.qr_code_data },
  });
  return { pass, tag, objectId: link.object_id as string, device, pushToken };
}

/** What the phone does after the push: ask what changed since its tag, fetch the pass. */
async function phoneRefetches(phone: Awaited<ReturnType<typeof inBothWallets>>, ticketId: string) {
  await waitFor(() => wallet.apns.pushes.some((p) => p.deviceToken === phone.pushToken), {
    what: 'APNs push',
  });
  expect(wallet.apns.pushes.find((p) => p.deviceToken === phone.pushToken)).toMatchObject({
    topic: PASS_TYPE,
    payload: {},
    teamId: wallet.teamIdentifier,
  });
  const changed = await t.request({
    method: 'GET',
    url: `${base}/devices/${phone.device}/registrations/${PASS_TYPE}?passesUpdatedSince=${phone.tag}`,
  });
  expect(changed.statusCode).toBe(200);
  expect(changed.json().serialNumbers).toEqual([ticketId]);
  const latest = await t.request({
    method: 'GET',
    url: `${base}/passes/${PASS_TYPE}/${ticketId}`,
    headers: { authorization: `ApplePass ${phone.pass.authenticationToken}` },
  });
  expect(latest.statusCode).toBe(200);
  return { raw: latest.rawPayload, pass: await passJson(latest.rawPayload) };
}

async function googlePatched(objectId: string) {
  await waitFor(() => wallet.google.patches.some((p) => p.id === objectId), {
    what: 'Google Wallet PATCH',
  });
  return wallet.google.objects.get(objectId)!;
}

describe('pass updates after a sector move and a refund (E9-F4, E3-F6)', () => {
  it('a sector move pushes over APNs; the web service then serves the new seat and QR; Google is patched', async () => {
    const { sale, fan, ticket } = await buyTickets(t, stripe, { sectors: 2 });
    const manager = await createUser(t.deps, { roles: ['MATCH_MANAGER'] });
    const { match_seat_inventory_id } = await t.deps.db
      .selectFrom('tickets')
      .select('match_seat_inventory_id')
      .where('id', '=', ticket.id)
      .executeTakeFirstOrThrow();
    await atQrTime(t, ticket, async () => {
      const phone = await inBothWallets(fan, ticket, `move${Date.now()}`, 'a1'.repeat(32));
      expect(field(phone.pass, 'sector')).toBe(ticket.seat.sector_code);
      t.clock.advance(1_000);
      const moved = await t.request({
        method: 'POST',
        url: '/admin/tickets/sector-transfer',
        token: await freshToken(t.deps, manager, ['MATCH_MANAGER']),
        payload: {
          match_id: sale.matchId,
          source_seat_ids: [match_seat_inventory_id],
          destination_match_sector_id: sale.zoneIds[1],
          reason: 'stand closed',
        },
      });
      expect(moved.statusCode).toBe(200);
      const to = moved.json().moves[0].to as {
        sector_code: string;
        row: string;
        seat_number: number;
      };
      expect(to.sector_code).not.toBe(ticket.seat.sector_code);
      const now = await t.deps.db
        .selectFrom('tickets')
        .select('qr_code_data')
        .where('id', '=', ticket.id)
        .executeTakeFirstOrThrow();
      expect(now.qr_code_data).not.toBe(ticket.qr_code_data);

      // Apple: pushed, then the same pass (same token) with the new seat and the new QR.
      const { raw, pass } = await phoneRefetches(phone, ticket.id);
      expect(pass.voided).toBeUndefined();
      expect(field(pass, 'sector')).toBe(to.sector_code);
      expect(field(pass, 'row')).toBe(to.row);
      expect(field(pass, 'seat')).toBe(String(to.seat_number));
      expect(pass.barcodes[0].message).toBe(now.qr_code_data);
      expect(raw.includes(Buffer.from(ticket.qr_code_data))).toBe(false);

      // Google: the saved object now shows the new seat and QR, still active.
      expect(await googlePatched(phone.objectId)).toMatchObject({
        state: 'ACTIVE',
        seatInfo: {
          section: { defaultValue: { value: to.sector_code } },
          seat: { defaultValue: { value: String(to.seat_number) } },
        },
        barcode: { type: 'QR_CODE', value: now.qr_code_data },
      });
    });
  });

  it('a staff refund pushes over APNs; the web service then serves the pass voided without QR; Google goes inactive', async () => {
    const { fan, ticket } = await buyTickets(t, stripe);
    const admin = await staff(t);
    const { order_id } = await t.deps.db
      .selectFrom('tickets')
      .select('order_id')
      .where('id', '=', ticket.id)
      .executeTakeFirstOrThrow();
    await atQrTime(t, ticket, async () => {
      const phone = await inBothWallets(fan, ticket, `refund${Date.now()}`, 'b2'.repeat(32));
      t.clock.advance(1_000);
      const refund = await adminRefund(
        t,
        { ...admin, token: await freshToken(t.deps, admin, ['SUPER_ADMIN']) },
        order_id,
        { reason: 'match moved' },
      );
      expect(refund.statusCode).toBe(201);

      const { raw, pass } = await phoneRefetches(phone, ticket.id);
      expect(pass.voided).toBe(true);
      expect(pass.barcodes ?? []).toEqual([]);
      expect(raw.includes(Buffer.from(ticket.qr_code_data))).toBe(false);

      const object = await googlePatched(phone.objectId);
      expect(object.state).toBe('INACTIVE');
      expect(object.barcode ?? null).toBeNull();
    });
  });
});
