import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { getPiiCipher } from '../../src/platform/crypto.ts';
import { getTicketSigner } from '../../src/modules/tickets/ticket-codes.ts';
import { blacklistOib } from '../factories/blacklist.ts';
import {
  checkoutToPayment,
  createFan,
  createSale,
  deliver,
  useStripeTestContext,
  type Fan,
} from '../sales/helpers.ts';

const { t, stripe } = await useStripeTestContext();

const HOUR = 3_600_000;

/** A fan with one paid ticket of a new match (kick-off in 30 days unless given). */
async function boughtTicket(options: { kickOff?: Date } = {}) {
  const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 6, ...options });
  const fan = await createFan(t.deps);
  const { payment } = await checkoutToPayment(t, fan, sale, 1);
  const paid = await deliver(t, stripe, stripe.succeed(payment.payment_intent_id));
  expect(paid.statusCode).toBe(200);
  const mine = await t.request({ method: 'GET', url: '/users/me/tickets', token: fan.token });
  const { id } = mine.json().items[0] as { id: string };
  // Barcode and QR as stored: the API shows them only from 5 h before kick-off (E9-F2).
  const { barcode, qr_code_data } = await ticketRow(id);
  return { sale, fan, ticket: { id, barcode, qr_code_data } };
}

const newHolder = (to: Fan, name = 'Petra Perić') => ({
  full_name: name,
  oib: to.oib,
  email: to.email,
  date_of_birth: '1992-02-02',
  nationality: 'HR',
});

const transfer = (fan: Fan, ticketId: string, payload: Record<string, unknown>) =>
  t.request({ method: 'POST', url: `/tickets/${ticketId}/transfer`, token: fan.token, payload });

const logsOf = (ticketId: string) =>
  t.deps.db.selectFrom('transfer_logs').selectAll().where('ticket_id', '=', ticketId).execute();

async function ticketRow(ticketId: string) {
  return t.deps.db
    .selectFrom('tickets as tk')
    .innerJoin('ticket_holders as h', 'h.ticket_id', 'tk.id')
    .select(['tk.owner_user_id', 'tk.barcode', 'tk.qr_code_data', 'tk.status', 'h.full_name'])
    .select(['h.oib_blind_index', 'h.email'])
    .where('tk.id', '=', ticketId)
    .executeTakeFirstOrThrow();
}

describe('ticket transfer (E9-F5)', () => {
  it('moves the ticket to the new holder with a new barcode and QR, logs, notifies, audits', async () => {
    const { fan, ticket } = await boughtTicket();
    const friend = await createFan(t.deps);
    const res = await transfer(fan, ticket.id, newHolder(friend));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      ticket_id: ticket.id,
      holder: { full_name: 'Petra Perić', oib_masked: `*******${friend.oib.slice(-4)}` },
    });

    // holder info changed, the ticket is in the friend's account, still SOLD
    const row = await ticketRow(ticket.id);
    const pii = getPiiCipher(t.config);
    expect(row).toMatchObject({
      owner_user_id: friend.id,
      status: 'SOLD',
      full_name: 'Petra Perić',
      oib_blind_index: pii.blindIndex(friend.oib),
      email: friend.email,
    });
    // new barcode and a new signed QR; the old barcode belongs to no ticket any more
    expect(row.barcode).not.toBe(ticket.barcode);
    const signer = getTicketSigner(t.config);
    expect(signer.verify(row.qr_code_data)).toMatchObject({
      ticketId: ticket.id,
      barcode: row.barcode,
    });
    expect(row.qr_code_data).not.toBe(ticket.qr_code_data);
    const old = signer.verify(ticket.qr_code_data)!;
    const byOldBarcode = await t.deps.db
      .selectFrom('tickets')
      .select('id')
      .where('barcode', '=', old.barcode)
      .execute();
    expect(byOldBarcode).toEqual([]);

    // the old owner no longer sees it; the new one does
    const gone = await t.request({ method: 'GET', url: `/tickets/${ticket.id}`, token: fan.token });
    expect(gone.statusCode).toBe(404);
    const got = await t.request({
      method: 'GET',
      url: `/tickets/${ticket.id}`,
      token: friend.token,
    });
    // a month before kick-off the new owner sees the order info only (E9-F2)
    expect(got.json()).toMatchObject({
      id: ticket.id,
      barcode: null,
      visibility: { tier: 'ORDER_INFO' },
      holder: { full_name: 'Petra Perić' },
    });

    // log record created, OIBs encrypted
    const logs = await logsOf(ticket.id);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({
      to_holder_name: 'Petra Perić',
      to_holder_email: friend.email,
      transfer_type: 'SELF_SERVICE',
      initiated_by: fan.id,
    });
    expect(logs[0]!.to_holder_oib_encrypted).not.toContain(friend.oib);
    expect(pii.decrypt(logs[0]!.to_holder_oib_encrypted!)).toBe(friend.oib);
    expect(pii.decrypt(logs[0]!.from_holder_oib_encrypted!)).toBe(fan.oib);

    // both notified: email and push
    const emails = await t.deps.db
      .selectFrom('email_logs')
      .select(['template_key', 'recipient_email'])
      .where('recipient_email', 'in', [fan.email, friend.email])
      .where('template_key', 'like', 'ticket_transfer_%')
      .execute();
    expect(emails).toEqual(
      expect.arrayContaining([
        { template_key: 'ticket_transfer_sent', recipient_email: fan.email },
        { template_key: 'ticket_transfer_received', recipient_email: friend.email },
      ]),
    );
    const pushes = await t.deps.db
      .selectFrom('push_logs')
      .select(['user_id', 'notification_type'])
      .where('notification_type', 'like', 'ticket_transfer_%')
      .where('user_id', 'in', [fan.id, friend.id])
      .execute();
    expect(pushes).toEqual(
      expect.arrayContaining([
        { user_id: fan.id, notification_type: 'ticket_transfer_sent' },
        { user_id: friend.id, notification_type: 'ticket_transfer_received' },
      ]),
    );
    const audit = await t.deps.db
      .selectFrom('audit_outbox')
      .select('event')
      .where(sql`event->>'action'`, '=', 'ticket_transferred')
      .where(sql`event->'subject'->>'id'`, '=', ticket.id)
      .execute();
    expect(audit).toHaveLength(1);

    // the new owner may pass it on; the original buyer may not any more (404)
    const again = await transfer(fan, ticket.id, newHolder(await createFan(t.deps)));
    expect(again.statusCode).toBe(404);
  });

  it('is blocked when the ticket may not be transferred, or after the deadline, writing nothing', async () => {
    const { fan, ticket } = await boughtTicket();
    const friend = await createFan(t.deps);
    await t.deps.db
      .updateTable('tickets')
      .set({ transfer_allowed: false })
      .where('id', '=', ticket.id)
      .execute();
    const blocked = await transfer(fan, ticket.id, newHolder(friend));
    expect(blocked.statusCode).toBe(403);
    expect(blocked.json().code).toBe('TRANSFER_NOT_ALLOWED');

    const late = await boughtTicket({ kickOff: new Date(t.clock.now().getTime() + 47 * HOUR) });
    const closed = await transfer(late.fan, late.ticket.id, newHolder(friend));
    expect(closed.statusCode).toBe(409);
    expect(closed.json().code).toBe('TRANSFER_CLOSED');
    for (const id of [ticket.id, late.ticket.id]) {
      expect(await logsOf(id)).toEqual([]);
    }
    expect((await ticketRow(late.ticket.id)).barcode).toBe(late.ticket.barcode);
    expect((await ticketRow(ticket.id)).owner_user_id).toBe(fan.id);
  });

  it('refuses a blacklisted new holder with the MUP message and logs the attempt', async () => {
    const { sale, fan, ticket } = await boughtTicket();
    const banned = await createFan(t.deps);
    await blacklistOib(t, banned.oib);
    const res = await transfer(fan, ticket.id, newHolder(banned));
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: 'BLACKLISTED' });
    expect(res.json().message_hr).toContain('MUP');
    const violations = await t.deps.db
      .selectFrom('violation_logs')
      .selectAll()
      .where('match_id', '=', sale.matchId)
      .execute();
    expect(violations).toMatchObject([{ action_type: 'TRANSFER_ATTEMPT', user_id: fan.id }]);
    expect(await logsOf(ticket.id)).toEqual([]);
    expect((await ticketRow(ticket.id)).barcode).toBe(ticket.barcode);
  });

  it('answers others 404 and bad input with stable codes, writing nothing', async () => {
    const { fan, ticket } = await boughtTicket();
    const friend = await createFan(t.deps);
    const stranger = await createFan(t.deps);
    const notMine = await transfer(stranger, ticket.id, newHolder(friend));
    expect(notMine.statusCode).toBe(404);
    const badOib = await transfer(fan, ticket.id, { ...newHolder(friend), oib: '12345678900' });
    expect(badOib.json().code).toBe('OIB_INVALID');
    const invalid = await transfer(fan, ticket.id, { ...newHolder(friend), email: 'nope' });
    expect(invalid.json().code).toBe('VALIDATION_FAILED');
    const unknown = await transfer(fan, ticket.id, {
      ...newHolder(friend),
      email: `nobody-${Date.now()}@example.test`,
    });
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json().code).toBe('TRANSFER_RECIPIENT_UNKNOWN');
    expect(await logsOf(ticket.id)).toEqual([]);
    expect((await ticketRow(ticket.id)).owner_user_id).toBe(fan.id);
  });

  it('keeps the holder limit per match: a person holds at most one ticket of it', async () => {
    const sale = await createSale(t.deps, { rows: 1, seatsPerRow: 6 });
    const fan = await createFan(t.deps);
    const { payment } = await checkoutToPayment(t, fan, sale, 2);
    await deliver(t, stripe, stripe.succeed(payment.payment_intent_id));
    const mine = await t.request({ method: 'GET', url: '/users/me/tickets', token: fan.token });
    const second = mine.json().items[1] as { id: string };
    // the buyer already holds the first ticket of this match
    const dup = await transfer(fan, second.id, { ...newHolder(fan), full_name: 'Fan Again' });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().code).toBe('HOLDER_HAS_TICKET');
    expect(await logsOf(second.id)).toEqual([]);
  });

  it('of many concurrent transfers of one ticket exactly one succeeds', async () => {
    const { fan, ticket } = await boughtTicket();
    const recipients = await Promise.all(Array.from({ length: 8 }, () => createFan(t.deps)));
    const results = await Promise.all(
      recipients.map((r) => transfer(fan, ticket.id, newHolder(r, `Holder ${r.oib.slice(-4)}`))),
    );
    const codes = results.map((r) => r.statusCode).sort();
    expect(codes).toEqual([200, ...Array<number>(7).fill(404)]);
    const logs = await logsOf(ticket.id);
    expect(logs).toHaveLength(1);
    const winner = recipients[results.findIndex((r) => r.statusCode === 200)]!;
    expect((await ticketRow(ticket.id)).owner_user_id).toBe(winner.id);
  });
});
