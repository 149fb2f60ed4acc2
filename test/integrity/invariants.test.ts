import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { runAuditInvariants } from '../../src/modules/integrity/integrity.cli.ts';
import { auditMatchInvariants } from '../../src/modules/integrity/integrity.service.ts';
import { createUser } from '../factories/users.ts';
import { useTestContext } from '../harness/context.ts';

const t = useTestContext();

/** A tiny locked match: one sector, one row of `seats` seats, inventory rows AVAILABLE. */
async function tinyMatch(seats: number) {
  const db = t.deps.db;
  const { rows } = await sql<{ match_id: string; match_sector_id: string }>`
    WITH s AS (INSERT INTO stadiums (name, city) VALUES ('Tiny', 'Zagreb') RETURNING id),
    sec AS (INSERT INTO sectors (stadium_id, name, code, capacity) SELECT id, 'A', 'A', ${seats} FROM s RETURNING id),
    m AS (INSERT INTO matches (home_team, away_team, competition, kick_off_time, match_type, venue_id, status)
          SELECT 'Hrvatska', 'Italija', 'Friendly', now() + interval '10 days', 'HOME', id, 'PUBLISHED' FROM s RETURNING id),
    ms AS (INSERT INTO match_sectors (match_id, sector_id, name, code, total_capacity, sellable_capacity)
           SELECT m.id, sec.id, 'A', 'A', ${seats}, ${seats} FROM m, sec RETURNING id, match_id)
    SELECT match_id, id AS match_sector_id FROM ms`.execute(db);
  const { match_id, match_sector_id } = rows[0]!;
  await sql`
    WITH st AS (
      INSERT INTO seats (sector_id, row_identifier, seat_number, row_index, col_index)
      SELECT ms.sector_id, 'A', n, 0, n - 1 FROM match_sectors ms, generate_series(1, ${seats}) n
      WHERE ms.id = ${match_sector_id} RETURNING id, col_index)
    INSERT INTO match_seat_inventory (match_id, seat_id, match_sector_id, row_index, col_index, snake_order)
    SELECT ${match_id}, id, ${match_sector_id}, 0, col_index, col_index FROM st`.execute(db);
  const inventory = await db
    .selectFrom('match_seat_inventory')
    .select('id')
    .where('match_id', '=', match_id)
    .orderBy('snake_order')
    .execute();
  return { matchId: match_id, inventoryIds: inventory.map((r) => r.id) };
}

describe('audit-invariants', () => {
  it('passes on a clean match and names each kind of violation', async () => {
    const { matchId, inventoryIds } = await tinyMatch(4);
    const clean = await auditMatchInvariants(t.deps, matchId);
    expect(clean.ok).toBe(true);
    expect(clean.invariants.length).toBeGreaterThanOrEqual(10);

    const fan = await createUser(t.deps);
    const db = t.deps.db;
    // A seat marked SOLD with no ticket.
    await db
      .updateTable('match_seat_inventory')
      .set({ status: 'SOLD' })
      .where('id', '=', inventoryIds[0]!)
      .execute();
    // A hold that expired ten minutes ago and was never swept.
    await db
      .updateTable('match_seat_inventory')
      .set({
        status: 'RESERVED',
        hold_kind: 'ORDER',
        hold_owner_id: fan.id,
        held_until: new Date(t.clock.now().getTime() - 600_000),
      })
      .where('id', '=', inventoryIds[1]!)
      .execute();
    // An order marked COMPLETED with neither payment nor tickets.
    await sql`
      INSERT INTO orders (user_id, match_id, status, ticket_amount, ticket_vat_amount, fee_amount, fee_vat_amount,
                          total_amount, fee_percent_bp, ticket_vat_bp, fee_vat_bp)
      VALUES (${fan.id}, ${matchId}, 'COMPLETED', 1000, 48, 60, 12, 1060, 600, 500, 2500)`.execute(
      db,
    );

    const report = await auditMatchInvariants(t.deps, matchId);
    expect(report.ok).toBe(false);
    const count = (name: string) => report.invariants.find((i) => i.name === name)?.violations;
    expect(count('sold_seat_without_ticket')).toBe(1);
    expect(count('expired_hold_still_blocking')).toBe(1);
    expect(count('completed_order_without_payment')).toBe(1);
    expect(count('seat_with_two_valid_tickets')).toBe(0);
    expect(report.invariants.find((i) => i.name === 'sold_seat_without_ticket')?.sample).toEqual([
      inventoryIds[0],
    ]);

    expect(await runAuditInvariants(t.deps, ['--match', matchId, '--json'])).toBe(1);
  });

  it('refuses an unknown match and a missing --match', async () => {
    await expect(
      auditMatchInvariants(t.deps, '00000000-0000-0000-0000-000000000000'),
    ).rejects.toThrow(/not found/);
    expect(await runAuditInvariants(t.deps, [])).toBe(2);
  });
});
