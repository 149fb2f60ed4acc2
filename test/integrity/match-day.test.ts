import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { runMatchAward } from '../../src/modules/loyalty/award.service.ts';
import { auditMatchInvariants } from '../../src/modules/integrity/integrity.service.ts';
import { generateBarcode } from '../../src/modules/tickets/ticket-codes.ts';
import { createLockedMatch } from '../factories/matches.ts';
import { issueTickets } from '../factories/tickets.ts';
import { createUser } from '../factories/users.ts';
import { useTestContext } from '../harness/context.ts';
import { createFan } from '../sales/helpers.ts';

/** The match-day invariants of audit-invariants (E2-F8, E2-F9, E6-F3). */

const t = useTestContext();
const MINUTE = 60_000;

async function report(matchId: string) {
  const r = await auditMatchInvariants(t.deps, matchId);
  return (name: string) => r.invariants.find((i) => i.name === name)!;
}

/** An exported, closed match with two attending fans, its points awarded. */
async function closedMatch() {
  const manager = await createUser(t.deps, { roles: ['MATCH_MANAGER'] });
  const match = await createLockedMatch(t.deps, { status: 'ACTIVE', rows: 1, seatsPerRow: 10 });
  const fans = [await createFan(t.deps), await createFan(t.deps)];
  const buyer = await createFan(t.deps);
  const tickets = await issueTickets(t.deps, {
    matchId: match.matchId,
    buyerId: buyer.id,
    holderOibs: [fans[0]!.oib, fans[1]!.oib, null],
  });
  const exported = await t.request({
    method: 'GET',
    url: `/admin/matches/${match.matchId}/access-control-export?extra_codes=5`,
    token: manager.token,
  });
  expect(exported.statusCode).toBe(200);
  const closed = await t.request({
    method: 'POST',
    url: `/admin/matches/${match.matchId}/close`,
    token: manager.token,
    payload: { reason: 'No scanner data' },
  });
  expect(closed.statusCode).toBe(200);
  await runMatchAward(t.deps, match.matchId);
  return { matchId: match.matchId, tickets, fans };
}

describe('audit-invariants on match day', () => {
  it('holds for an exported, closed and awarded match', async () => {
    const { matchId } = await closedMatch();
    t.clock.advance(10 * MINUTE);
    const r = await auditMatchInvariants(t.deps, matchId);
    // (the ticket factory writes orders without payments: only the match-day checks here)
    const matchDay = [
      'attended_ticket_of_open_match',
      'barcode_repeated_in_match',
      'loyalty_points_not_attendance',
    ];
    const checks = r.invariants.filter((i) => matchDay.includes(i.name));
    expect(checks.map((i) => [i.name, i.violations])).toEqual(matchDay.map((n) => [n, 0]));
  });

  it('finds an ATTENDED ticket of a match that is not closed', async () => {
    const match = await createLockedMatch(t.deps, { status: 'ACTIVE', rows: 1, seatsPerRow: 4 });
    const buyer = await createFan(t.deps);
    const [ticket] = await issueTickets(t.deps, { matchId: match.matchId, buyerId: buyer.id });
    await sql`UPDATE tickets SET status = 'ATTENDED' WHERE id = ${ticket!.id}`.execute(t.deps.db);
    const check = (await report(match.matchId))('attended_ticket_of_open_match');
    expect(check).toMatchObject({ violations: 1, sample: [ticket!.id] });
  });

  it('finds a barcode that is two codes of the match, but not an extra code taken by its ticket', async () => {
    const match = await createLockedMatch(t.deps, { status: 'ACTIVE', rows: 1, seatsPerRow: 4 });
    const buyer = await createFan(t.deps);
    const [a, b] = await issueTickets(t.deps, {
      matchId: match.matchId,
      buyerId: buyer.id,
      count: 2,
    });
    // a's barcode came from an extra code (assigned to it): one code, not a repeat
    await sql`INSERT INTO extra_barcodes (match_id, barcode, is_used, used_at, assigned_ticket_id)
              VALUES (${match.matchId}, ${a!.barcode}, true, now(), ${a!.id})`.execute(t.deps.db);
    expect((await report(match.matchId))('barcode_repeated_in_match').violations).toBe(0);
    // b's barcode is also an unused extra code: the gates would know it twice
    const extra = generateBarcode();
    await sql`INSERT INTO extra_barcodes (match_id, barcode) VALUES (${match.matchId}, ${extra})`.execute(
      t.deps.db,
    );
    await sql`UPDATE tickets SET barcode = ${extra} WHERE id = ${b!.id}`.execute(t.deps.db);
    expect((await report(match.matchId))('barcode_repeated_in_match')).toMatchObject({
      violations: 1,
      sample: [extra],
    });
  });

  it('finds points that do not match attendance once the award had time to run', async () => {
    const { matchId, fans } = await closedMatch();
    // inside the grace the award may still be queued: no violation yet
    await sql`DELETE FROM loyalty_points WHERE match_id = ${matchId} AND user_id = ${fans[0]!.id}`.execute(
      t.deps.db,
    );
    expect((await report(matchId))('loyalty_points_not_attendance').violations).toBe(0);
    t.clock.advance(10 * MINUTE);
    // a point missing, and a point for someone who was not there
    const stranger = await createFan(t.deps);
    await sql`INSERT INTO loyalty_points (user_id, match_id, points) VALUES (${stranger.id}, ${matchId}, 1)`.execute(
      t.deps.db,
    );
    const check = (await report(matchId))('loyalty_points_not_attendance');
    expect(check.violations).toBe(2);
    expect(check.sample.sort()).toEqual([fans[0]!.id, stranger.id].sort());
  });
});
