import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedAuditEvent } from '../../src/modules/audit/audit.service.ts';
import { startAuditShipper } from '../../src/modules/audit/audit.shipper.ts';
import {
  MATCH_UPDATE_NOTICE_QUEUE,
  runUpdateNotice,
} from '../../src/modules/matches/update-notices.service.ts';
import { transferTicket } from '../../src/modules/tickets/transfer.service.ts';
import { inventoryOf, sellSeat } from '../factories/inventory.ts';
import { createLockedMatch, type LockedMatch } from '../factories/matches.ts';
import { createUser, type TestUser } from '../factories/users.ts';
import { useTestContext } from '../harness/context.ts';
import { startLocalLoki } from '../harness/servers/loki.ts';
import { waitFor } from '../harness/wait.ts';
import { createFan, jobsIn, type Fan } from '../sales/helpers.ts';

const loki = await startLocalLoki();
const t = useTestContext({ env: { LOKI_URL: loki.url, LOKI_TENANT_ID: 'hns' } });
afterAll(() => loki.close());

let shipper: { stop(): Promise<void> };
beforeAll(() => {
  shipper = startAuditShipper(t.deps, { pollMs: 100, retryDelayMs: 500, retryDelayMaxMs: 500 });
});
afterAll(() => shipper.stop());

let manager: TestUser;
beforeAll(async () => {
  manager = await createUser(t.deps, { roles: ['MATCH_MANAGER'] });
});

const put = (matchId: string, payload: object) =>
  t.request({ method: 'PUT', url: `/admin/matches/${matchId}`, token: manager.token, payload });

const postStatus = (matchId: string, payload: object) =>
  t.request({
    method: 'POST',
    url: `/admin/matches/${matchId}/status`,
    token: manager.token,
    payload,
  });

const noticesOf = (matchId: string) =>
  t.deps.db
    .selectFrom('match_update_notices')
    .selectAll()
    .where('match_id', '=', matchId)
    .orderBy('created_at')
    .execute();

/** The match update emails of a match (their match_url names it), by recipient. */
async function emailsOf(matchId: string) {
  const { rows } = await sql<{
    recipient_email: string;
    locale: string;
    variables_json: Record<string, string>;
  }>`
    SELECT recipient_email, locale, variables_json FROM email_logs
     WHERE template_key = 'match_update' AND variables_json->>'match_url' LIKE ${`%${matchId}`}
     ORDER BY recipient_email`.execute(t.deps.db);
  return rows;
}

/** The match update pushes of a match: one notification (job_id) per user. */
async function pushesOf(matchId: string) {
  const { rows } = await sql<{ user_id: string; n: string; body: string }>`
    SELECT user_id, count(DISTINCT job_id) AS n, min(body) AS body FROM push_logs
     WHERE notification_type = 'match_update' AND data_json->>'match_id' = ${matchId}
     GROUP BY user_id`.execute(t.deps.db);
  return new Map(rows.map((r) => [r.user_id, { count: Number(r.n), body: r.body }]));
}

interface Audience {
  match: LockedMatch;
  /** Buyer and holder of one ticket, and buyer of a second one named for `friendEmail`. */
  buyer: Fan;
  friendEmail: string;
  /** Bought a ticket that was refunded, one that was cancelled. */
  refunded: Fan;
  cancelled: Fan;
  refundedHolderEmail: string;
  /** Transferred their only ticket to `receiver`. */
  transferredAway: Fan;
  receiver: Fan;
}

/**
 * A match with every kind of ticket: valid ones held by their buyer and by a named friend
 * (the friend writes in English), a refunded and a cancelled one, and one transferred
 * through the real transfer service.
 */
async function audience(): Promise<Audience> {
  const match = await createLockedMatch(t.deps, { rows: 2, seatsPerRow: 6, status: 'PUBLISHED' });
  const seats = await inventoryOf(t.deps.db, match.sectors[0]!.matchSectorId);
  const [buyer, refunded, cancelled, transferredAway, receiver] = await Promise.all(
    Array.from({ length: 5 }, () => createFan(t.deps)),
  );
  const friendEmail = `friend-${match.matchId.slice(0, 8)}@example.test`;
  const refundedHolderEmail = `refunded-holder-${match.matchId.slice(0, 8)}@example.test`;
  const sell = (i: number, buyerId: string, holderEmail: string | null) =>
    sellSeat(t.deps.db, {
      matchId: match.matchId,
      inventoryId: seats[i]!.id,
      buyerId,
      holderEmail,
    });
  await sell(0, buyer!.id, buyer!.email);
  const friendTicket = await sell(1, buyer!.id, friendEmail.toUpperCase());
  await t.deps.db
    .updateTable('ticket_holders')
    .set({ nationality: 'DE' })
    .where('ticket_id', '=', friendTicket.ticketId)
    .execute();
  // Refunds and cancellations have no code path in this branch: the rows say it directly.
  const r = await sell(2, refunded!.id, refundedHolderEmail);
  const c = await sell(3, cancelled!.id, cancelled!.email);
  await t.deps.db
    .updateTable('tickets')
    .set({ status: 'REFUNDED' })
    .where('id', '=', r.ticketId)
    .execute();
  await t.deps.db
    .updateTable('tickets')
    .set({ status: 'CANCELLED' })
    .where('id', '=', c.ticketId)
    .execute();
  const moved = await sell(4, transferredAway!.id, transferredAway!.email);
  await transferTicket(
    t.deps,
    transferredAway!.id,
    moved.ticketId,
    {
      full_name: 'Petra Perić',
      oib: receiver!.oib,
      email: receiver!.email,
      date_of_birth: '1992-02-02',
      nationality: 'HR',
    },
    { ip: null, userAgent: null, sessionId: null },
  );
  return {
    match,
    buyer: buyer!,
    friendEmail,
    refunded: refunded!,
    cancelled: cancelled!,
    refundedHolderEmail,
    transferredAway: transferredAway!,
    receiver: receiver!,
  };
}

describe('E2-F6 match update notices', () => {
  let a: Audience;
  beforeAll(async () => {
    a = await audience();
  });

  it('notify: answers at once, then the job tells every valid holder and buyer once, by email (hr/en) and push', async () => {
    const kickOff = new Date(Date.UTC(2027, 2, 14, 19, 45));
    const res = await put(a.match.matchId, {
      kick_off_time: kickOff.toISOString(),
      notification_preference: 'notify',
    });
    expect(res.statusCode).toBe(200);
    // The request wrote the notice and its job, not the messages.
    const [notice] = await noticesOf(a.match.matchId);
    expect(notice).toMatchObject({ status: 'PENDING' });
    expect(notice!.changes_json).toMatchObject({
      kick_off_time: { after: kickOff.toISOString() },
    });
    expect(await emailsOf(a.match.matchId)).toEqual([]);
    const jobs = await jobsIn(t, MATCH_UPDATE_NOTICE_QUEUE);
    expect(jobs).toContainEqual({ noticeId: notice!.id });

    const run = await runUpdateNotice(t.deps, notice!.id);
    expect(run).toEqual({ status: 'DONE', recipients: 3, notified: 3 });

    // Emails: the buyer (also holder of one ticket: one email), the named friend (English,
    // the stored email lower-cased), the receiver of the transfer. Not the refunded or
    // cancelled buyers or holders, not the one who transferred the ticket away.
    const emails = await emailsOf(a.match.matchId);
    expect(emails.map((e) => e.recipient_email).sort()).toEqual(
      [a.buyer.email, a.friendEmail, a.receiver.email].sort(),
    );
    const byTo = new Map(emails.map((e) => [e.recipient_email, e]));
    expect(byTo.get(a.buyer.email)!.locale).toBe('hr');
    expect(byTo.get(a.buyer.email)!.variables_json.change_summary).toContain('početak');
    expect(byTo.get(a.buyer.email)!.variables_json.kickoff).toContain('2027');
    expect(byTo.get(a.friendEmail)!.locale).toBe('en');
    expect(byTo.get(a.friendEmail)!.variables_json.change_summary).toContain('kick-off moved');
    // The receiver is named as on their account (the profile), the friend as on the ticket.
    expect(byTo.get(a.receiver.email)!.variables_json.customer_name).toBe(
      `Fan ${a.receiver.email.slice(4, 12)}`,
    );
    expect(byTo.get(a.friendEmail)!.variables_json.customer_name).toBe('Ivana Horvat');

    // Pushes: one notification per person with an account.
    const pushes = await pushesOf(a.match.matchId);
    expect([...pushes.keys()].sort()).toEqual([a.buyer.id, a.receiver.id].sort());
    expect([...pushes.values()].every((p) => p.count === 1)).toBe(true);
    for (const nobody of [a.refunded, a.cancelled, a.transferredAway]) {
      expect(pushes.has(nobody.id)).toBe(false);
    }

    // The change log row says the notice went out.
    const log = await t.deps.db
      .selectFrom('match_audit_logs')
      .selectAll()
      .where('id', '=', notice!.audit_log_ids[0]!)
      .executeTakeFirstOrThrow();
    expect(log).toMatchObject({
      change_type: 'RESCHEDULE',
      notification_preference: 'notify',
      notification_sent: true,
    });

    // A re-run of the job (a retry, a second delivery) tells nobody again.
    expect(await runUpdateNotice(t.deps, notice!.id)).toEqual({
      status: 'DONE',
      recipients: 3,
      notified: 0,
    });
    expect(await emailsOf(a.match.matchId)).toHaveLength(3);
    expect([...(await pushesOf(a.match.matchId)).values()].every((p) => p.count === 1)).toBe(true);
  });

  it('silent: logs the change with before/after and audits it to Loki, and sends nothing', async () => {
    const before = await t.deps.db
      .selectFrom('matches')
      .select('kick_off_time')
      .where('id', '=', a.match.matchId)
      .executeTakeFirstOrThrow();
    const kickOff = new Date(before.kick_off_time.getTime() + 3_600_000);
    const emailsBefore = (await emailsOf(a.match.matchId)).length;
    const noticesBefore = (await noticesOf(a.match.matchId)).length;
    const res = await put(a.match.matchId, {
      kick_off_time: kickOff.toISOString(),
      notification_preference: 'silent',
    });
    expect(res.statusCode).toBe(200);
    expect(await noticesOf(a.match.matchId)).toHaveLength(noticesBefore);
    expect(await emailsOf(a.match.matchId)).toHaveLength(emailsBefore);

    const log = await t.deps.db
      .selectFrom('match_audit_logs')
      .selectAll()
      .where('match_id', '=', a.match.matchId)
      .orderBy('created_at', 'desc')
      .executeTakeFirstOrThrow();
    expect(log).toMatchObject({
      change_type: 'RESCHEDULE',
      changed_by: manager.id,
      notification_preference: 'silent',
      notification_sent: false,
    });
    expect(log.changes_json).toMatchObject({
      before: { kick_off_time: before.kick_off_time.toISOString() },
      after: { kick_off_time: kickOff.toISOString() },
    });

    // The audit event reaches Loki with the same before/after.
    const shipped = () =>
      loki
        .lines<RecordedAuditEvent>()
        .filter(
          (l) =>
            l.action === 'match_rescheduled' &&
            (l.changes as { after?: { kick_off_time?: string } })?.after?.kick_off_time ===
              kickOff.toISOString(),
        );
    await waitFor(() => shipped().length === 1, { what: 'the change audited in Loki' });
    expect(shipped()[0]).toMatchObject({
      domain: 'match',
      actor: { type: 'user', id: manager.id },
      changes: { match_id: a.match.matchId, change_type: 'RESCHEDULE' },
    });
  });

  it('announces status changes (PUT and POST /status), not other details; one notice per request', async () => {
    const m = await audience();
    // A new team spelling is logged but is nothing to announce.
    const renamed = await put(m.match.matchId, {
      home_team: 'HNK Hajduk Split',
      notification_preference: 'notify',
    });
    expect(renamed.statusCode).toBe(200);
    expect(await noticesOf(m.match.matchId)).toHaveLength(0);

    // Kick-off and status in one PUT: two log rows, one notice, one email per person.
    const both = await put(m.match.matchId, {
      kick_off_time: new Date(Date.UTC(2027, 4, 1, 18)).toISOString(),
      status: 'ACTIVE',
      notification_preference: 'notify',
    });
    expect(both.statusCode).toBe(200);
    const [notice] = await noticesOf(m.match.matchId);
    expect(notice!.audit_log_ids).toHaveLength(2);
    expect(notice!.changes_json).toMatchObject({
      kick_off_time: {},
      status: { before: 'PUBLISHED', after: 'ACTIVE' },
    });
    await runUpdateNotice(t.deps, notice!.id);
    const emails = await emailsOf(m.match.matchId);
    expect(emails).toHaveLength(3);
    expect(
      emails.find((e) => e.recipient_email === m.buyer.email)!.variables_json.change_summary,
    ).toMatch(/početak.*; utakmica je sada u prodaji/);

    // POST /status with notify announces too (closing has its own route, E2-F9, and
    // cancellation its workflow, E2-F7: an ACTIVE match has no other status change).
    const other = await audience();
    const activated = await postStatus(other.match.matchId, {
      status: 'ACTIVE',
      notification_preference: 'notify',
    });
    expect(activated.statusCode).toBe(200);
    const notices = await noticesOf(other.match.matchId);
    expect(notices).toHaveLength(1);
    expect(notices[0]!.changes_json).toMatchObject({
      status: { before: 'PUBLISHED', after: 'ACTIVE' },
    });
    await runUpdateNotice(t.deps, notices[0]!.id);
    expect((await pushesOf(other.match.matchId)).get(other.buyer.id)!.count).toBe(1);
    expect(await emailsOf(other.match.matchId)).toHaveLength(3);
    expect((await pushesOf(m.match.matchId)).get(m.buyer.id)!.count).toBe(1);
  });

  it('runs of one notice at the same time, in small batches, still tell each person once', async () => {
    const m = await audience();
    const res = await put(m.match.matchId, {
      kick_off_time: new Date(Date.UTC(2027, 5, 2, 18)).toISOString(),
      notification_preference: 'notify',
    });
    expect(res.statusCode).toBe(200);
    const [notice] = await noticesOf(m.match.matchId);
    const runs = await Promise.all([1, 2, 3].map(() => runUpdateNotice(t.deps, notice!.id, 1)));
    expect(runs.reduce((n, r) => n + r.notified, 0)).toBe(3);
    const emails = await emailsOf(m.match.matchId);
    expect(new Set(emails.map((e) => e.recipient_email)).size).toBe(3);
    expect(emails).toHaveLength(3);
    const [done] = await noticesOf(m.match.matchId);
    expect(done!.status).toBe('DONE');
  });

  it('a big match: the request writes one notice; the job fans out in batches of bulk inserts', async () => {
    const match = await createLockedMatch(t.deps, { rows: 40, seatsPerRow: 50 });
    // 2,000 valid tickets of 2,000 buyers (inserted in bulk: the sale path is not under test).
    await sql`
      WITH u AS (
        INSERT INTO users (drupal_user_id, email)
        SELECT 'bulk-' || i || '-' || ${match.matchId}, 'bulk-' || i || '-' || ${match.matchId} || '@example.test'
          FROM generate_series(1, 2000) i
        RETURNING id, email),
      seats AS (
        SELECT id, row_number() OVER (ORDER BY snake_order) AS n
          FROM match_seat_inventory WHERE match_id = ${match.matchId}),
      buyers AS (SELECT id, row_number() OVER (ORDER BY email) AS n FROM u),
      o AS (
        INSERT INTO orders (user_id, match_id, status, ticket_amount, ticket_vat_amount,
                            fee_amount, fee_vat_amount, total_amount, fee_percent_bp,
                            ticket_vat_bp, fee_vat_bp)
        SELECT id, ${match.matchId}, 'COMPLETED', 2500, 0, 0, 0, 2500, 0, 0, 0 FROM buyers
        RETURNING id, user_id)
      INSERT INTO tickets (order_id, match_id, match_seat_inventory_id, owner_user_id, barcode,
                           qr_code_data, price_amount, fee_amount)
      SELECT o.id, ${match.matchId}, s.id, o.user_id, lpad((900000000000 + s.n)::text, 18, '0'),
             'test', 2500, 0
        FROM o JOIN buyers b ON b.id = o.user_id JOIN seats s ON s.n = b.n`.execute(t.deps.db);

    const started = performance.now();
    const res = await put(match.matchId, {
      kick_off_time: new Date(Date.UTC(2027, 6, 3, 18)).toISOString(),
      notification_preference: 'notify',
    });
    const requestMs = performance.now() - started;
    expect(res.statusCode).toBe(200);
    expect(await emailsOf(match.matchId)).toHaveLength(0);
    const [notice] = await noticesOf(match.matchId);
    const jobStarted = performance.now();
    const run = await runUpdateNotice(t.deps, notice!.id);
    const jobMs = performance.now() - jobStarted;
    expect(run).toEqual({ status: 'DONE', recipients: 2000, notified: 2000 });
    expect(await emailsOf(match.matchId)).toHaveLength(2000);
    expect((await pushesOf(match.matchId)).size).toBe(2000);
    console.info(
      `update notice: PUT ${requestMs.toFixed(0)} ms, fan-out of 2000 ${jobMs.toFixed(0)} ms`,
    );
  });
});
