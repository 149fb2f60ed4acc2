import { beforeAll, describe, expect, it } from 'vitest';
import {
  LOOKUP_FAILURES_PER_STAFF,
  LOOKUP_FAILURES_PER_STATION,
} from '../../src/modules/petrol/petrol.rules.ts';
import { createUser, type TestUser } from '../factories/users.ts';
import { useTestContext } from '../harness/context.ts';
import { auditActions, fanWithPin, lookup, petrolMatch, stationWithCashiers } from './helpers.ts';

/** PIN lookups are rate-limited against guessing (E12-F2): a guessing loop is stopped. */

const t = useTestContext({ env: { RATE_LIMIT_MAX: '100000' } });

let manager: TestUser;
beforeAll(async () => {
  manager = await createUser(t.deps, { roles: ['MATCH_MANAGER'] });
});

describe('guessing PINs', () => {
  it('stops a cashier after 5 misses, the station after 15; every miss is audited', async () => {
    const { sale } = await petrolMatch(t, manager, { quantity: 4 });
    const { station, cashiers } = await stationWithCashiers(t, manager, 5);
    const { pin } = await fanWithPin(t, sale.matchId, 1);
    const live = new Set([pin.pin]);
    const auditedBefore = (await auditActions(t, 'petrol_pin_lookup_failed')).length;

    // a guessing loop over the PIN space, stopped by the limit
    const guesser = cashiers[0]!;
    const codes: string[] = [];
    for (let n = 0; n < 200; n++) {
      const guess = String(n).padStart(5, '0');
      if (live.has(guess)) continue;
      const res = await lookup(t, guesser, guess);
      codes.push(res.json().code);
      if (res.statusCode === 429) {
        expect(res.json()).toMatchObject({ code: 'PETROL_LOOKUP_LIMITED', scope: 'staff' });
        expect(res.json().retry_after_seconds).toBeGreaterThan(0);
        expect(res.json().retry_after_seconds).toBeLessThanOrEqual(600);
        break;
      }
    }
    expect(codes).toEqual([
      ...Array(LOOKUP_FAILURES_PER_STAFF).fill('PETROL_PIN_NOT_FOUND'),
      'PETROL_LOOKUP_LIMITED',
    ]);
    // blocked even for the right PIN
    expect((await lookup(t, guesser, pin.pin)).json().code).toBe('PETROL_LOOKUP_LIMITED');
    // malformed input counts too
    const other = cashiers[1]!;
    expect((await lookup(t, other, 'abcde')).json().code).toBe('PETROL_PIN_MALFORMED');

    // the station's other tills: each stopped by its own limit, until the station's 15
    // misses stop every till of it
    let guess = 90_000;
    const misses = async (c: TestUser) => {
      let n = 0;
      for (;;) {
        const res = await lookup(t, c, String(guess++));
        if (res.statusCode === 429) return { n, scope: res.json().scope as string };
        n++;
      }
    };
    expect(await misses(other)).toEqual({ n: LOOKUP_FAILURES_PER_STAFF - 1, scope: 'staff' });
    expect(await misses(cashiers[2]!)).toEqual({ n: LOOKUP_FAILURES_PER_STAFF, scope: 'staff' });
    // 5 + 5 + 5 = 15 misses at the station: a till with no miss of its own is stopped too
    expect(await misses(cashiers[3]!)).toEqual({ n: 0, scope: 'station' });
    const fresh = (await stationWithCashiers(t, manager)).cashiers[0]!;
    // another station is not affected
    expect((await lookup(t, fresh, pin.pin)).statusCode).toBe(200);

    const audited = await auditActions(t, 'petrol_pin_lookup_failed');
    expect(audited.length - auditedBefore).toBe(LOOKUP_FAILURES_PER_STATION);
    expect(audited.at(-1)).toMatchObject({ subject: { type: 'petrol_station', id: station.id } });
    // the PIN tried is kept masked
    expect(JSON.stringify(audited)).not.toMatch(/"pin":"\d{5}"/);

    // after the window, the cashier may look up again
    await t.deps.redis.del(
      `petrol:lookup-fail:staff:${guesser.id}`,
      `petrol:lookup-fail:station:${station.id}`,
    );
    expect((await lookup(t, guesser, '99999')).json().code).toBe('PETROL_PIN_NOT_FOUND');
  });
});
