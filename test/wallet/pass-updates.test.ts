import { freshToken } from '../factories/users.ts';
import { beforeAll, describe, expect, it } from 'vitest';
import { walletJobs } from '../../src/modules/wallet/wallet.jobs.ts';
import { waitFor } from '../harness/wait.ts';
import { useWalletWorld } from '../harness/wallet.ts';
import { createFan, useStripeTestContext, type Fan } from '../sales/helpers.ts';
import { atQrTime, buyTickets, passJson } from './helpers.ts';

const wallet = await useWalletWorld();
const { t, stripe } = await useStripeTestContext({ env: wallet.env });
beforeAll(async () => {
  await t.startWorker(walletJobs(t.deps));
});

const PASS_TYPE = wallet.passTypeIdentifier;
const base = '/wallet/apple/v1';

async function applePassOf(fan: Fan, ticketId: string) {
  const res = await t.request({
    method: 'GET',
    url: `/tickets/${ticketId}/wallet/apple`,
    token: await freshToken(t.deps, fan),
  });
  expect(res.statusCode).toBe(200);
  return passJson(res.rawPayload);
}

const register = (device: string, serial: string, token: string, pushToken: string) =>
  t.request({
    method: 'POST',
    url: `${base}/devices/${device}/registrations/${PASS_TYPE}/${serial}`,
    headers: { authorization: `ApplePass ${token}` },
    payload: { pushToken },
  });

const transfer = async (fan: Fan, ticketId: string, to: Fan) =>
  t.request({
    method: 'POST',
    url: `/tickets/${ticketId}/transfer`,
    token: await freshToken(t.deps, fan),
    payload: {
      full_name: 'Petra Perić',
      oib: to.oib,
      email: to.email,
      date_of_birth: '1992-02-02',
      nationality: 'HR',
    },
  });

describe('Apple pass web service and updates (E9-F4)', () => {
  it('registers a device, lists updated serials, serves the latest pass, unregisters, logs', async () => {
    const { fan, ticket } = await buyTickets(t, stripe);
    const pass = await applePassOf(fan, ticket.id);
    const token = pass.authenticationToken as string;

    // wrong token, another ticket's token, another pass type: 401
    expect((await register('dev1', ticket.id, 'x'.repeat(40), 'aa11')).statusCode).toBe(401);
    const other = await buyTickets(t, stripe);
    const otherToken = (await applePassOf(other.fan, other.ticket.id)).authenticationToken;
    expect((await register('dev1', ticket.id, otherToken, 'aa11')).statusCode).toBe(401);
    const wrongType = await t.request({
      method: 'POST',
      url: `${base}/devices/dev1/registrations/pass.other/${ticket.id}`,
      headers: { authorization: `ApplePass ${token}` },
      payload: { pushToken: 'aa11' },
    });
    expect(wrongType.statusCode).toBe(401);

    expect((await register('dev1', ticket.id, token, 'aa11')).statusCode).toBe(201);
    expect((await register('dev1', ticket.id, token, 'aa12')).statusCode).toBe(200);

    const listed = await t.request({
      method: 'GET',
      url: `${base}/devices/dev1/registrations/${PASS_TYPE}`,
    });
    expect(listed.statusCode).toBe(200);
    const { serialNumbers, lastUpdated } = listed.json();
    expect(serialNumbers).toEqual([ticket.id]);
    const none = await t.request({
      method: 'GET',
      url: `${base}/devices/dev1/registrations/${PASS_TYPE}?passesUpdatedSince=${lastUpdated}`,
    });
    expect(none.statusCode).toBe(204);

    const latest = await t.request({
      method: 'GET',
      url: `${base}/passes/${PASS_TYPE}/${ticket.id}`,
      headers: { authorization: `ApplePass ${token}` },
    });
    expect(latest.statusCode).toBe(200);
    expect(latest.headers['content-type']).toBe('application/vnd.apple.pkpass');
    expect((await passJson(latest.rawPayload)).serialNumber).toBe(ticket.id);
    const notModified = await t.request({
      method: 'GET',
      url: `${base}/passes/${PASS_TYPE}/${ticket.id}`,
      headers: {
        authorization: `ApplePass ${token}`,
        'if-modified-since': String(latest.headers['last-modified']),
      },
    });
    expect(notModified.statusCode).toBe(304);
    const unauthorised = await t.request({
      method: 'GET',
      url: `${base}/passes/${PASS_TYPE}/${ticket.id}`,
    });
    expect(unauthorised.statusCode).toBe(401);

    const log = await t.request({
      method: 'POST',
      url: `${base}/log`,
      payload: { logs: ['pass fetch failed'] },
    });
    expect(log.statusCode).toBe(200);

    const gone = await t.request({
      method: 'DELETE',
      url: `${base}/devices/dev1/registrations/${PASS_TYPE}/${ticket.id}`,
      headers: { authorization: `ApplePass ${token}` },
    });
    expect(gone.statusCode).toBe(200);
    const after = await t.request({
      method: 'GET',
      url: `${base}/devices/dev1/registrations/${PASS_TYPE}`,
    });
    expect(after.statusCode).toBe(204);
  });

  it('a transfer pushes the update over APNs, voids the old owner pass and Google object, the new owner gets the new QR', async () => {
    const { fan, ticket } = await buyTickets(t, stripe);
    const pass = await applePassOf(fan, ticket.id);
    const device = `dev${Date.now()}`;
    const pushToken = 'ab'.repeat(32);
    expect(
      (await register(device, ticket.id, pass.authenticationToken, pushToken)).statusCode,
    ).toBe(201);
    const tag = (
      await t.request({
        method: 'GET',
        url: `${base}/devices/${device}/registrations/${PASS_TYPE}`,
      })
    ).json().lastUpdated;
    // the fan saved the Google pass too
    const link = (
      await t.request({
        method: 'GET',
        url: `/tickets/${ticket.id}/wallet/google`,
        token: await freshToken(t.deps, fan),
      })
    ).json();
    wallet.google.save({
      id: link.object_id,
      state: 'ACTIVE',
      barcode: { type: 'QR_CODE', value: ticket.qr_code_data },
    });

    const friend = await createFan(t.deps);
    t.clock.advance(1_000);
    expect((await transfer(fan, ticket.id, friend)).statusCode).toBe(200);

    // APNs: an empty push with the pass type as topic, token-authenticated (ES256, kid, team)
    await waitFor(() => wallet.apns.pushes.some((p) => p.deviceToken === pushToken), {
      what: 'APNs push',
    });
    expect(wallet.apns.pushes.find((p) => p.deviceToken === pushToken)).toMatchObject({
      topic: PASS_TYPE,
      payload: {},
      keyId: 'APNSKEY001',
      teamId: wallet.teamIdentifier,
    });
    // Google: the old owner's object is inactive and loses the QR
    await waitFor(() => wallet.google.patches.some((p) => p.id === link.object_id), {
      what: 'Google PATCH',
    });
    expect(wallet.google.objects.get(link.object_id)).toMatchObject({
      state: 'INACTIVE',
      barcode: null,
    });

    // the device asks what changed, then fetches: voided, no QR, no new holder
    const changed = await t.request({
      method: 'GET',
      url: `${base}/devices/${device}/registrations/${PASS_TYPE}?passesUpdatedSince=${tag}`,
    });
    expect(changed.json().serialNumbers).toEqual([ticket.id]);
    const stale = await t.request({
      method: 'GET',
      url: `${base}/passes/${PASS_TYPE}/${ticket.id}`,
      headers: { authorization: `ApplePass ${pass.authenticationToken}` },
    });
    expect(stale.statusCode).toBe(200);
    const voided = await passJson(stale.rawPayload);
    expect(voided.voided).toBe(true);
    expect(voided.barcodes ?? []).toEqual([]);
    expect(JSON.stringify(voided)).not.toContain('Petra');

    // the new owner's pass has the new QR
    await atQrTime(t, ticket, async () => {
      const now = (
        await t.request({
          method: 'GET',
          url: `/tickets/${ticket.id}`,
          token: await freshToken(t.deps, friend),
        })
      ).json();
      expect(now.qr_code_data).toMatch(/^HNS1:/);
      expect(now.qr_code_data).not.toBe(ticket.qr_code_data);
      const fresh = await applePassOf(friend, ticket.id);
      expect(fresh.barcodes[0].message).toBe(now.qr_code_data);
      expect(fresh.authenticationToken).not.toBe(pass.authenticationToken);
      // the old owner's pass never shows the new QR
      const old = await t.request({
        method: 'GET',
        url: `${base}/passes/${PASS_TYPE}/${ticket.id}`,
        headers: { authorization: `ApplePass ${pass.authenticationToken}` },
      });
      expect(old.rawPayload.includes(Buffer.from(now.qr_code_data))).toBe(false);
      expect((await passJson(old.rawPayload)).voided).toBe(true);
    });
  });

  it('drops a registration APNs reports as unregistered', async () => {
    const { fan, ticket } = await buyTickets(t, stripe);
    const pass = await applePassOf(fan, ticket.id);
    const pushToken = 'cd'.repeat(32);
    wallet.apns.gone.add(pushToken);
    expect(
      (await register('devgone', ticket.id, pass.authenticationToken, pushToken)).statusCode,
    ).toBe(201);
    expect((await transfer(fan, ticket.id, await createFan(t.deps))).statusCode).toBe(200);
    await waitFor(
      async () =>
        !(await t.deps.db
          .selectFrom('apple_pass_registrations')
          .select('id')
          .where('push_token', '=', pushToken)
          .executeTakeFirst()),
      { what: 'registration dropped' },
    );
  });
});
