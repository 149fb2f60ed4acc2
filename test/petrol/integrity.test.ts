import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { auditMatchInvariants } from '../../src/modules/integrity/integrity.service.ts';
import { createUser, type TestUser } from '../factories/users.ts';
import { useTestContext } from '../harness/context.ts';
import { confirm, fanWithPin, lookup, petrolMatch, stationWithCashiers } from './helpers.ts';

/** The petrol invariants of audit-invariants: clean after real flows, each violation named. */

const t = useTestContext({ env: { RATE_LIMIT_MAX: '100000' } });

let manager: TestUser;
let cashier: TestUser;
beforeAll(async () => {
  manager = await createUser(t.deps, { roles: ['MATCH_MANAGER'] });
  cashier = (await stationWithCashiers(t, manager)).cashiers[0]!;
});

async function violations(matchId: string) {
  const report = await auditMatchInvariants(t.deps, matchId, { graceSeconds: 0 });
  return Object.fromEntries(
    report.invariants.filter((i) => i.violations > 0).map((i) => [i.name, i.violations]),
  );
}

describe('petrol invariants', () => {
  it('hold after a sale and a live reservation, and name each violation', async () => {
    const { sale } = await petrolMatch(t, manager, { quantity: 6 });
    const sold = await fanWithPin(t, sale.matchId, 2);
    await lookup(t, cashier, sold.pin.pin);
    const done = (await confirm(t, cashier, sold.pin.pin)).json();
    const live = await fanWithPin(t, sale.matchId, 2);
    const reservation = (await lookup(t, cashier, live.pin.pin)).json().reservation;
    expect(await violations(sale.matchId)).toEqual({});

    // the sale's amount differs from its order
    await sql`UPDATE petrol_sales SET total_amount = total_amount + 1 WHERE id = ${done.sale.id}`.execute(
      t.deps.db,
    );
    expect(await violations(sale.matchId)).toEqual({ petrol_sale_differs_from_order: 1 });
    await sql`UPDATE petrol_sales SET total_amount = total_amount - 1 WHERE id = ${done.sale.id}`.execute(
      t.deps.db,
    );

    // a reserved seat lost its hold: the reservation's seats are not held
    const seat = reservation.seats[0].inventory_id;
    await sql`UPDATE match_seat_inventory SET hold_owner_id = gen_random_uuid() WHERE id = ${seat}`.execute(
      t.deps.db,
    );
    expect(await violations(sale.matchId)).toMatchObject({ petrol_reservation_seats_not_held: 1 });
    await sql`UPDATE match_seat_inventory SET hold_owner_id = ${reservation.id} WHERE id = ${seat}`.execute(
      t.deps.db,
    );

    // a RESERVED petrol quota seat without a live reservation
    await sql`UPDATE petrol_reservations SET status = 'CANCELLED' WHERE id = ${reservation.id}`.execute(
      t.deps.db,
    );
    expect(await violations(sale.matchId)).toMatchObject({
      petrol_quota_seat_reserved_without_reservation: 2,
    });
    await sql`UPDATE petrol_reservations SET status = 'RESERVED' WHERE id = ${reservation.id}`.execute(
      t.deps.db,
    );

    // a used PIN without its sale; a completed reservation whose seats are not sold
    await sql`UPDATE petrol_pins SET status = 'USED' WHERE id = ${live.pin.id}`.execute(t.deps.db);
    expect(await violations(sale.matchId)).toEqual({ petrol_used_pin_without_sale: 1 });
    await sql`UPDATE petrol_pins SET status = 'ACTIVE' WHERE id = ${live.pin.id}`.execute(
      t.deps.db,
    );
    await sql`UPDATE quota_seats SET status = 'ALLOCATED' WHERE ticket_id = ${done.ticket_ids[0]}`.execute(
      t.deps.db,
    );
    expect(await violations(sale.matchId)).toMatchObject({ petrol_sale_seats_not_sold: 1 });
    await sql`UPDATE quota_seats SET status = 'SOLD' WHERE ticket_id = ${done.ticket_ids[0]}`.execute(
      t.deps.db,
    );
  });
});
