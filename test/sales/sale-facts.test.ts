import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { statementsOf } from '../harness/statements.ts';
import { addToCart, createFan, createSale, MINUTE, useStripeTestContext } from './helpers.ts';

// Sale facts memoised for 10 minutes: long enough that every request below after the first
// is served from the memo, so what these tests see is what the memo decides.
const { t } = await useStripeTestContext({ env: { SALE_FACTS_TTL_MS: '600000' } });

const count = (statements: string[], pattern: RegExp) =>
  statements.filter((s) => pattern.test(s)).length;

describe('memoised sale facts (SALE_FACTS_TTL_MS)', () => {
  it('serves a cart addition without reading the match, the zone, the fees or the queue settings again', async () => {
    const sale = await createSale(t.deps, { rows: 4, seatsPerRow: 10 });
    expect((await addToCart(t, await createFan(t.deps), sale, 2)).statusCode).toBe(200);

    const { result, sql: statements } = await statementsOf(async () =>
      addToCart(t, await createFan(t.deps), sale, 2),
    );
    expect(result.statusCode).toBe(200);
    expect(count(statements, /from "matches"/)).toBe(0);
    expect(count(statements, /from "fee_configurations"/)).toBe(0);
    expect(count(statements, /from "queue_settings"/)).toBe(0);
    // The zone is read once, in the claim's transaction (below), never from the memo.
    expect(count(statements, /from "match_sectors"/)).toBe(1);
  });

  it('closes a phase at its end even while the match is memoised', async () => {
    const sale = await createSale(t.deps, { rows: 2, seatsPerRow: 10 });
    const end = new Date(t.clock.now().getTime() + 5 * MINUTE);
    await t.deps.db
      .updateTable('sales_phases')
      .set({ end_at: end })
      .where('id', '=', sale.phaseId)
      .execute();
    expect((await addToCart(t, await createFan(t.deps), sale, 1)).statusCode).toBe(200);

    t.clock.advance(6 * MINUTE);
    const late = await addToCart(t, await createFan(t.deps), sale, 1);
    expect(late.statusCode).toBe(409);
    expect(late.json().code).toBe('MATCH_NOT_ON_SALE');
  });

  it('never sells a zone closed after it was memoised: the claim re-reads it in its transaction', async () => {
    const sale = await createSale(t.deps, { rows: 2, seatsPerRow: 10 });
    expect((await addToCart(t, await createFan(t.deps), sale, 1)).statusCode).toBe(200);
    await sql`UPDATE match_sectors SET status = 'CLOSED' WHERE id = ${sale.zoneId}`.execute(
      t.deps.db,
    );

    const fan = await createFan(t.deps);
    const refused = await addToCart(t, fan, sale, 2);
    expect(refused.statusCode).toBe(404);
    const held = await t.deps.db
      .selectFrom('match_seat_inventory as i')
      .innerJoin('carts as c', 'c.id', 'i.hold_owner_id')
      .select('i.id')
      .where('c.user_id', '=', fan.id)
      .execute();
    expect(held).toEqual([]);
  });
});
