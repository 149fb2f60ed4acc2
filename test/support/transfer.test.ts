import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedAuditEvent } from '../../src/modules/audit/audit.service.ts';
import { startAuditShipper } from '../../src/modules/audit/audit.shipper.ts';
import { MUP_MESSAGE } from '../../src/modules/blacklist/blacklist.service.ts';
import { generateOib } from '../../src/modules/identity/oib.ts';
import { SUPPORT_TRANSFER_POLICY } from '../../src/modules/tickets/transfer.service.ts';
import { getTicketSigner } from '../../src/modules/tickets/ticket-codes.ts';
import { getPiiCipher } from '../../src/platform/crypto.ts';
import { blacklistOib } from '../factories/blacklist.ts';
import type { TestUser } from '../factories/users.ts';
import { startLocalLoki } from '../harness/servers/loki.ts';
import { waitFor } from '../harness/wait.ts';
import { createFan, useStripeTestContext, type Fan } from '../sales/helpers.ts';
import { buy, expectAccess, HOUR, roleMatrix, staff, type Bought } from './helpers.ts';

const loki = await startLocalLoki();
const { t, stripe } = await useStripeTestContext({ env: { LOKI_URL: loki.url } });
afterAll(() => loki.close());

// A worker's audit shipper, so the test sees the events arrive in Loki.
let shipper: { stop(): Promise<void> };
beforeAll(() => {
  shipper = startAuditShipper(t.deps, { pollMs: 100, retryDelayMs: 500, retryDelayMaxMs: 500 });
});
afterAll(() => shipper.stop());

let agent: TestUser;
beforeAll(async () => {
  agent = await staff(t, ['SUPPORT_AGENT']);
});

const body = (bought: Bought, to: Fan, extra: Record<string, unknown> = {}) => ({
  requested_by_name: bought.buyerName,
  requested_by_contact: bought.fan.email,
  new_holder_name: 'Petra Perić',
  new_holder_oib: to.oib,
  new_holder_email: to.email,
  new_holder_date_of_birth: '1992-02-02',
  new_holder_nationality: 'HR',
  reason: 'buyer cannot come, asked by phone',
  ...extra,
});

const transfer = (token: string | undefined, ticketId: string, payload: Record<string, unknown>) =>
  t.request({ method: 'POST', url: `/admin/tickets/${ticketId}/transfer`, token, payload });

const ticketRow = (id: string) =>
  t.deps.db
    .selectFrom('tickets as tk')
    .innerJoin('ticket_holders as h', 'h.ticket_id', 'tk.id')
    .select(['tk.owner_user_id', 'tk.barcode', 'tk.qr_code_data', 'tk.status', 'h.full_name'])
    .where('tk.id', '=', id)
    .executeTakeFirstOrThrow();

const requestsOf = (ticketId: string) =>
  t.deps.db
    .selectFrom('support_transfer_requests')
    .selectAll()
    .where('ticket_id', '=', ticketId)
    .execute();

const logsOf = (ticketId: string) =>
  t.deps.db.selectFrom('transfer_logs').selectAll().where('ticket_id', '=', ticketId).execute();

const secrets: string[] = [];

describe('support transfer (E10-F2)', () => {
  it('accepts new holder data: new holder, barcode and QR, request row, SUPPORT log, audit in Loki', async () => {
    const bought = await buy(t, stripe, 1);
    const [ticketId] = bought.ticketIds as [string];
    const before = await ticketRow(ticketId);
    const friend = await createFan(t.deps);
    secrets.push(friend.oib, bought.fan.oib);

    const res = await transfer(agent.token, ticketId, body(bought, friend));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      status: 'COMPLETED',
      ticket_id: ticketId,
      agent_id: agent.id,
      reason: 'buyer cannot come, asked by phone',
      new_holder: {
        full_name: 'Petra Perić',
        oib_masked: `*******${friend.oib.slice(-4)}`,
        email: friend.email,
      },
    });

    // the ticket is the friend's with a new barcode and a new signed QR, still SOLD
    const after = await ticketRow(ticketId);
    expect(after).toMatchObject({
      owner_user_id: friend.id,
      status: 'SOLD',
      full_name: 'Petra Perić',
    });
    expect(after.barcode).not.toBe(before.barcode);
    expect(getTicketSigner(t.config).verify(after.qr_code_data)).toMatchObject({
      ticketId,
      barcode: after.barcode,
    });

    // support_transfer_requests: COMPLETED, the agent, the OIB encrypted
    const [request] = await requestsOf(ticketId);
    const pii = getPiiCipher(t.config);
    expect(request).toMatchObject({
      id: res.json().id,
      requested_by_name: bought.buyerName,
      requested_by_contact: bought.fan.email,
      new_holder_name: 'Petra Perić',
      new_holder_email: friend.email,
      status: 'COMPLETED',
      agent_id: agent.id,
      reason: 'buyer cannot come, asked by phone',
      transfer_log_id: res.json().transfer_id,
    });
    expect(request!.completed_at).not.toBeNull();
    expect(request!.new_holder_oib_encrypted).not.toContain(friend.oib);
    expect(pii.decrypt(request!.new_holder_oib_encrypted)).toBe(friend.oib);

    // the transfer log says SUPPORT, the agent and the reason
    const logs = await logsOf(ticketId);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({
      transfer_type: 'SUPPORT',
      initiated_by: agent.id,
      reason: 'buyer cannot come, asked by phone',
    });

    // both are told, as in a self-service transfer
    const pushes = await t.deps.db
      .selectFrom('push_logs')
      .select(['user_id', 'notification_type'])
      .where('user_id', 'in', [bought.fan.id, friend.id])
      .where('notification_type', 'like', 'ticket_transfer_%')
      .execute();
    expect(pushes).toEqual(
      expect.arrayContaining([
        { user_id: bought.fan.id, notification_type: 'ticket_transfer_sent' },
        { user_id: friend.id, notification_type: 'ticket_transfer_received' },
      ]),
    );

    // audit event dispatched to Loki with agent_id and reason, OIB masked
    const inLoki = () =>
      loki
        .lines<RecordedAuditEvent>()
        .filter((l) => l.subject.id === ticketId && l.action === 'support_ticket_transferred');
    await waitFor(() => inLoki().length === 1, { what: 'support transfer audit line in Loki' });
    expect(inLoki()[0]).toMatchObject({
      domain: 'support',
      actor: { type: 'user', id: agent.id },
      changes: {
        agent_id: agent.id,
        reason: 'buyer cannot come, asked by phone',
        support_transfer_request_id: request!.id,
        new_holder_oib: `*******${friend.oib.slice(-4)}`,
      },
    });
    await waitFor(
      () =>
        loki
          .lines<RecordedAuditEvent>()
          .some((l) => l.subject.id === ticketId && l.action === 'ticket_transferred'),
      { what: 'ticket_transferred in Loki' },
    );
    const ticketEvent = loki
      .lines<RecordedAuditEvent>()
      .find((l) => l.subject.id === ticketId && l.action === 'ticket_transferred')!;
    expect(ticketEvent.changes).toMatchObject({
      transfer_type: 'SUPPORT',
      reason: 'buyer cannot come, asked by phone',
    });
    expect(JSON.stringify(loki.lines())).not.toContain(friend.oib);
  });

  it('the named holder may ask too; their phone is a contact', async () => {
    const holderOib = generateOib();
    const bought = await buy(t, stripe, 2, {
      holders: [
        { source: 'DEFAULT_PROFILE' },
        {
          source: 'MANUAL_ENTRY',
          full_name: 'Ivo Ivić',
          date_of_birth: '1988-08-08',
          nationality: 'HR',
          oib: holderOib,
          phone: '+385 98 111 2233',
        },
      ],
    });
    const holderTicket = (
      await t.deps.db
        .selectFrom('ticket_holders')
        .select('ticket_id')
        .where('ticket_id', 'in', bought.ticketIds)
        .where('full_name', '=', 'Ivo Ivić')
        .executeTakeFirstOrThrow()
    ).ticket_id;
    const friend = await createFan(t.deps);
    const res = await transfer(
      agent.token,
      holderTicket,
      body(bought, friend, { requested_by_name: 'ivo ivić', requested_by_contact: '098 111 2233' }),
    );
    expect(res.statusCode).toBe(200);
  });

  it('blocks if the match is less than 48 hours away: 400 with the policy message, nothing written', async () => {
    const bought = await buy(t, stripe, 1, {
      kickOff: new Date(t.clock.now().getTime() + 47 * HOUR),
    });
    const [ticketId] = bought.ticketIds as [string];
    const friend = await createFan(t.deps);
    const before = await ticketRow(ticketId);
    const res = await transfer(agent.token, ticketId, body(bought, friend));
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      code: 'SUPPORT_TRANSFER_CLOSED',
      detail: SUPPORT_TRANSFER_POLICY,
    });
    expect(res.json().closed_at).toEqual(expect.any(String));
    expect(await ticketRow(ticketId)).toEqual(before);
    expect(await requestsOf(ticketId)).toEqual([]);
    expect(await logsOf(ticketId)).toEqual([]);
  });

  it('blocks a blacklisted new holder with the MUP message and logs the attempt', async () => {
    const bought = await buy(t, stripe, 1);
    const [ticketId] = bought.ticketIds as [string];
    const banned = await createFan(t.deps);
    secrets.push(banned.oib);
    await blacklistOib(t, banned.oib);
    const res = await transfer(agent.token, ticketId, body(bought, banned));
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({
      code: 'BLACKLISTED',
      detail: MUP_MESSAGE.en,
      message_hr: MUP_MESSAGE.hr,
      message_en: MUP_MESSAGE.en,
    });
    const violations = await t.deps.db
      .selectFrom('violation_logs')
      .select(['action_type', 'user_id', 'match_id', 'oib_last4'])
      .where('match_id', '=', bought.sale.matchId)
      .execute();
    expect(violations).toEqual([
      {
        action_type: 'TRANSFER_ATTEMPT',
        user_id: agent.id,
        match_id: bought.sale.matchId,
        oib_last4: banned.oib.slice(-4),
      },
    ]);
    expect((await ticketRow(ticketId)).owner_user_id).toBe(bought.fan.id);
    expect(await requestsOf(ticketId)).toEqual([]);
  });

  it('only for the ticket’s owner or holder: anyone else is refused, nothing written', async () => {
    const bought = await buy(t, stripe, 1);
    const [ticketId] = bought.ticketIds as [string];
    const friend = await createFan(t.deps);
    for (const requester of [
      { requested_by_name: 'Someone Else', requested_by_contact: bought.fan.email },
      { requested_by_name: bought.buyerName, requested_by_contact: 'other@example.test' },
      { requested_by_name: bought.buyerName, requested_by_contact: '+385 91 000 0000' },
    ]) {
      const res = await transfer(agent.token, ticketId, body(bought, friend, requester));
      expect([res.statusCode, res.json().code]).toEqual([403, 'REQUESTER_NOT_OWNER']);
    }
    expect(await requestsOf(ticketId)).toEqual([]);
    expect((await ticketRow(ticketId)).owner_user_id).toBe(bought.fan.id);
  });

  it('eight agents transferring one ticket at once: one transfer, one request row', async () => {
    const bought = await buy(t, stripe, 1);
    const [ticketId] = bought.ticketIds as [string];
    const friends = await Promise.all(Array.from({ length: 8 }, () => createFan(t.deps)));
    const agents = await Promise.all(friends.map(() => staff(t, ['SUPPORT_AGENT'])));
    const results = await Promise.all(
      friends.map((f, i) => transfer(agents[i]!.token, ticketId, body(bought, f))),
    );
    const codes = results.map((r) => r.statusCode).sort();
    expect(codes.filter((c) => c === 200)).toHaveLength(1);
    // the others find the ticket moved under the lock
    for (const r of results.filter((x) => x.statusCode !== 200)) {
      expect([r.statusCode, r.json().code]).toEqual([409, 'CONFLICT']);
    }
    expect(await requestsOf(ticketId)).toHaveLength(1);
    expect(await logsOf(ticketId)).toHaveLength(1);
  });

  it('refuses bad input with stable problem codes', async () => {
    const bought = await buy(t, stripe, 1);
    const [ticketId] = bought.ticketIds as [string];
    const friend = await createFan(t.deps);
    const good = body(bought, friend);
    // a person holding another ticket of this match
    const other = await buy(t, stripe, 1, { sale: bought.sale });
    const cases: Array<[string, Record<string, unknown>, number, string]> = [
      [ticketId, { ...good, reason: undefined }, 400, 'VALIDATION_FAILED'],
      [ticketId, { ...good, reason: '' }, 400, 'VALIDATION_FAILED'],
      [ticketId, { ...good, new_holder_oib: '123' }, 400, 'VALIDATION_FAILED'],
      [ticketId, { ...good, new_holder_oib: '12345678901' }, 422, 'OIB_INVALID'],
      [ticketId, { ...good, new_holder_email: 'nope' }, 400, 'VALIDATION_FAILED'],
      [ticketId, { ...good, new_holder_date_of_birth: '2999-01-01' }, 400, 'VALIDATION_FAILED'],
      [ticketId, { ...good, new_holder_nationality: 'Croatia' }, 400, 'VALIDATION_FAILED'],
      [ticketId, { ...good, extra: 1 }, 400, 'VALIDATION_FAILED'],
      [
        ticketId,
        { ...good, new_holder_email: 'nobody@example.test' },
        422,
        'TRANSFER_RECIPIENT_UNKNOWN',
      ],
      [ticketId, { ...good, new_holder_oib: other.fan.oib }, 409, 'HOLDER_HAS_TICKET'],
      ['00000000-0000-4000-8000-000000000000', good, 404, 'NOT_FOUND'],
      ['not-a-uuid', good, 400, 'VALIDATION_FAILED'],
    ];
    for (const [id, payload, status, code] of cases) {
      const res = await transfer(agent.token, id, payload);
      expect([res.statusCode, res.json().code], JSON.stringify(payload)).toEqual([status, code]);
    }
    expect(await requestsOf(ticketId)).toEqual([]);
  });

  it('is for SUPPORT_AGENT, SUPPORT_SUPERVISOR and SUPER_ADMIN only', async () => {
    const bought = await buy(t, stripe, 1);
    const [ticketId] = bought.ticketIds as [string];
    const friend = await createFan(t.deps);
    for (const c of await roleMatrix(t)) {
      // allowed callers name a missing ticket: past the access check, nothing moves
      const id = c.allowed ? '00000000-0000-4000-8000-000000000000' : ticketId;
      const res = await transfer(c.token, id, body(bought, friend));
      expectAccess(c, res);
      if (c.allowed) expect(res.statusCode).toBe(404);
    }
    expect(await requestsOf(ticketId)).toEqual([]);
  });

  it('keeps no OIB in clear in the support, transfer, violation or audit tables', async () => {
    const { rows } = await sql<{ dump: string }>`
      SELECT concat_ws('|',
        (SELECT json_agg(s)::text FROM support_transfer_requests s),
        (SELECT json_agg(l)::text FROM transfer_logs l),
        (SELECT json_agg(v)::text FROM violation_logs v),
        (SELECT json_agg(a)::text FROM audit_outbox a)) AS dump`.execute(t.deps.db);
    expect(secrets.length).toBeGreaterThan(2);
    for (const oib of secrets) expect(rows[0]!.dump).not.toContain(oib);
    for (const oib of secrets) expect(JSON.stringify(loki.lines())).not.toContain(oib);
  });
});
