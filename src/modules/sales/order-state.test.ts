import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  nextState,
  ORDER_MACHINE,
  orderSources,
  orderTarget,
  TICKET_MACHINE,
  type Actor,
  type StateMachine,
} from './order-state.ts';

const ACTORS: Actor[] = ['fan', 'stripe', 'sweeper', 'refund-job', 'admin', 'quota', 'petrol'];

/** The values of a PostgreSQL enum as the migrations create and extend it. */
function enumValues(type: string): string[] {
  const dir = join(import.meta.dirname, '../../../db/migrations');
  const values: string[] = [];
  for (const file of readdirSync(dir).sort()) {
    const text = readFileSync(join(dir, file), 'utf8');
    const created = new RegExp(`CREATE TYPE ${type} AS ENUM \\(([^)]*)\\)`).exec(text);
    if (created) values.push(...[...created[1]!.matchAll(/'([^']+)'/g)].map((m) => m[1]!));
    for (const added of text.matchAll(
      new RegExp(`ALTER TYPE ${type} ADD VALUE[^']*'([^']+)'`, 'g'),
    )) {
      values.push(added[1]!);
    }
  }
  return values;
}

type AnyMachine = StateMachine<string, string, string>;

/** The states reachable from the creations through the events (breadth first). */
function reachable(machine: AnyMachine): Set<string> {
  const seen = new Set(Object.values(machine.creations).map((c) => c.to));
  const todo = [...seen];
  while (todo.length > 0) {
    const s = todo.pop()!;
    for (const t of Object.values(machine.events)) {
      if (t.from.includes(s) && !seen.has(t.to)) {
        seen.add(t.to);
        todo.push(t.to);
      }
    }
  }
  return seen;
}

/** A row's life: a creation, then any events caused by anyone (allowed or not). */
function lives(machine: AnyMachine) {
  const creations = Object.keys(machine.creations);
  const events = Object.keys(machine.events);
  return fc.record({
    creation: fc.constantFrom(...creations),
    steps:
      events.length === 0
        ? fc.constant([] as Array<{ event: string; by: Actor }>)
        : fc.array(
            fc.record({ event: fc.constantFrom(...events), by: fc.constantFrom(...ACTORS) }),
            { maxLength: 30 },
          ),
  });
}

describe.each([
  ['order', ORDER_MACHINE as AnyMachine, 'order_status'],
  ['ticket', TICKET_MACHINE as AnyMachine, 'ticket_status'],
])('the %s state machine', (_name, machine, pgEnum) => {
  const states = Object.keys(machine.states);
  const terminal = states.filter((s) => machine.states[s]!.terminal);

  it(`declares exactly the statuses of ${pgEnum}`, () => {
    expect(states.sort()).toEqual(enumValues(pgEnum).sort());
  });

  it('never reaches a state outside the machine, an unreachable one or one by a wrong actor', () => {
    const canReach = reachable(machine);
    fc.assert(
      fc.property(lives(machine), ({ creation, steps }) => {
        let state = machine.creations[creation]!.to;
        expect(canReach.has(state)).toBe(true);
        for (const { event, by } of steps) {
          const next = nextState(machine, state, event, by);
          const t = machine.events[event]!;
          if (next === undefined) {
            // refused: the wrong actor, or not from this state
            expect(t.by !== by || !t.from.includes(state)).toBe(true);
            continue;
          }
          expect(t.by).toBe(by);
          expect(t.from).toContain(state);
          expect(states).toContain(next);
          expect(canReach.has(next)).toBe(true);
          state = next;
        }
      }),
    );
  });

  it('enters a terminal state only through the events listed for it, and never leaves it', () => {
    fc.assert(
      fc.property(lives(machine), ({ creation, steps }) => {
        let state = machine.creations[creation]!.to;
        for (const { event, by } of steps) {
          const next = nextState(machine, state, event, by);
          if (next === undefined) continue;
          if (machine.states[state]!.terminal) expect(next).toBe(state);
          if (machine.states[next]!.terminal && next !== state) {
            expect(machine.events[event]!.to).toBe(next);
          }
          state = next;
        }
      }),
    );
    for (const s of terminal) {
      for (const t of Object.values(machine.events)) expect(t.from).not.toContain(s);
    }
  });

  it('has no event that can never happen', () => {
    const canReach = reachable(machine);
    for (const [event, t] of Object.entries(machine.events)) {
      expect(
        t.from.some((s) => canReach.has(s)),
        event,
      ).toBe(true);
    }
  });
});

describe('the order machine', () => {
  it('completes an order only on a payment success, a free quota claim or a paid payment offer, and refunds it only after a refund', () => {
    const into = (status: string) =>
      Object.entries(ORDER_MACHINE.events)
        .filter(([, t]) => t.to === status)
        .map(([e, t]) => `${e} by ${t.by}`);
    expect(into('COMPLETED')).toEqual([
      'PAYMENT_SUCCEEDED by stripe',
      'QUOTA_FREE_CLAIMED by fan',
      'OFFER_PAID by admin',
      'PETROL_SALE_CONFIRMED by petrol',
    ]);
    // a petrol sale completes only an order nobody started paying through Stripe
    expect(ORDER_MACHINE.events.PETROL_SALE_CONFIRMED.from).toEqual(['PENDING']);
    // a free claim completes only an order nobody started paying
    expect(ORDER_MACHINE.events.QUOTA_FREE_CLAIMED.from).toEqual(['PENDING']);
    // a paid offer completes only a DEFERRED order, which only a deferred claim makes, and
    // which no card payment, sweep or cart event touches: only the offer, the claim's end
    // and the match's cancellation (E2-F7: then no offer may complete it) leave DEFERRED
    expect(ORDER_MACHINE.events.OFFER_PAID.from).toEqual(['DEFERRED']);
    expect(into('DEFERRED')).toEqual(['QUOTA_CLAIM_DEFERRED by fan']);
    expect(ORDER_MACHINE.events.QUOTA_CLAIM_DEFERRED.from).toEqual(['PENDING']);
    for (const [event, t] of Object.entries(ORDER_MACHINE.events)) {
      if (t.from.includes('DEFERRED')) {
        expect(['OFFER_PAID', 'QUOTA_CLAIM_ABANDONED', 'MATCH_CANCELLED']).toContain(event);
      }
    }
    expect(into('REFUNDED')).toEqual(['REFUNDED by refund-job']);
    expect(
      Object.keys(ORDER_MACHINE.states).filter(
        (s) => ORDER_MACHINE.states[s as 'PENDING'].terminal,
      ),
    ).toEqual(['COMPLETED', 'REFUNDED']);
  });

  it('lets a failure after a success change nothing, and a late success settle a swept order', () => {
    expect(nextState(ORDER_MACHINE, 'COMPLETED', 'PAYMENT_FAILED', 'stripe')).toBeUndefined();
    expect(nextState(ORDER_MACHINE, 'PAYMENT_FAILED', 'PAYMENT_FAILED', 'stripe')).toBeUndefined();
    expect(nextState(ORDER_MACHINE, 'CANCELLED', 'PAYMENT_SUCCEEDED', 'stripe')).toBe('COMPLETED');
    expect(nextState(ORDER_MACHINE, 'CANCELLED', 'PAYMENT_STARTED', 'fan')).toBeUndefined();
    expect(nextState(ORDER_MACHINE, 'PAYMENT_PENDING', 'PAYMENT_SUCCEEDED', 'fan')).toBeUndefined();
  });

  it('cancels only open orders on the fan or the sweeper, which are what the repos update', () => {
    for (const e of ['CART_EXPIRED', 'CART_CLEARED', 'HOLD_EXPIRED'] as const) {
      expect(orderSources(e)).toEqual(['PENDING', 'PAYMENT_PENDING', 'PAYMENT_FAILED']);
      expect(orderTarget(e)).toBe('CANCELLED');
    }
  });
});

describe('the ticket machine: attendance (E2-F9, E13-F2)', () => {
  const events = Object.keys(TICKET_MACHINE.events) as Array<keyof typeof TICKET_MACHINE.events>;

  it('makes a ticket ATTENDED only from SOLD, only by staff closing the match', () => {
    const into = Object.entries(TICKET_MACHINE.events)
      .filter(([, t]) => t.to === 'ATTENDED')
      .map(([e, t]) => `${e}: ${t.from.join(',')} by ${t.by}`);
    expect(into).toEqual(['SCANNED_AT_GATE: SOLD by admin', 'ATTENDANCE_ASSUMED: SOLD by admin']);
  });

  it('never lets an ATTENDED ticket change again, whatever happens after', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ event: fc.constantFrom(...events), by: fc.constantFrom(...ACTORS) }), {
          maxLength: 20,
        }),
        fc.constantFrom('SCANNED_AT_GATE', 'ATTENDANCE_ASSUMED' as const),
        (before, attend) => {
          let state: string = TICKET_MACHINE.creations.ISSUED.to;
          for (const { event, by } of before)
            state = nextState(TICKET_MACHINE, state as 'SOLD', event, by) ?? state;
          // a valid ticket (SOLD) is attended by the closure; nothing else starts it
          const attended = nextState(TICKET_MACHINE, state as 'SOLD', attend, 'admin');
          expect(attended).toBe(state === 'SOLD' ? 'ATTENDED' : undefined);
          if (!attended) return;
          for (const event of events) {
            for (const by of ACTORS)
              expect(nextState(TICKET_MACHINE, attended, event, by)).toBeUndefined();
          }
        },
      ),
    );
  });

  it('refuses attendance caused by anyone but staff', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ACTORS.filter((a) => a !== 'admin')),
        fc.constantFrom('SCANNED_AT_GATE', 'ATTENDANCE_ASSUMED' as const),
        (by, event) => {
          expect(nextState(TICKET_MACHINE, 'SOLD', event, by)).toBeUndefined();
        },
      ),
    );
  });
});

describe('the ticket machine', () => {
  it('refunds (staff) and cancels (the buyer) only a SOLD ticket, for good', () => {
    expect(nextState(TICKET_MACHINE, 'SOLD', 'TICKET_REFUNDED', 'admin')).toBe('REFUNDED');
    expect(nextState(TICKET_MACHINE, 'SOLD', 'CANCELLED_BY_BUYER', 'fan')).toBe('CANCELLED');
    expect(nextState(TICKET_MACHINE, 'SOLD', 'TICKET_REFUNDED', 'fan')).toBeUndefined();
    expect(nextState(TICKET_MACHINE, 'SOLD', 'CANCELLED_BY_BUYER', 'admin')).toBeUndefined();
    for (const s of ['ATTENDED', 'REFUNDED', 'CANCELLED'] as const) {
      expect(nextState(TICKET_MACHINE, s, 'TICKET_REFUNDED', 'admin')).toBeUndefined();
      expect(nextState(TICKET_MACHINE, s, 'CANCELLED_BY_BUYER', 'fan')).toBeUndefined();
      expect(nextState(TICKET_MACHINE, s, 'HOLDER_TRANSFERRED', 'fan')).toBeUndefined();
    }
    expect(TICKET_MACHINE.states.REFUNDED.terminal).toBe(true);
    expect(TICKET_MACHINE.states.CANCELLED.terminal).toBe(true);
  });
});

describe('blacklist cancellations (E11-F4)', () => {
  it('cancel a SOLD ticket for good and an open order, only by staff', () => {
    expect(nextState(TICKET_MACHINE, 'SOLD', 'BLACKLIST_CANCELLED', 'admin')).toBe(
      'CANCELLED_BLACKLIST',
    );
    expect(nextState(TICKET_MACHINE, 'SOLD', 'BLACKLIST_CANCELLED', 'fan')).toBeUndefined();
    for (const s of ['ATTENDED', 'REFUNDED', 'CANCELLED', 'CANCELLED_BLACKLIST'] as const) {
      expect(nextState(TICKET_MACHINE, s, 'BLACKLIST_CANCELLED', 'admin')).toBeUndefined();
    }
    expect(TICKET_MACHINE.states.CANCELLED_BLACKLIST.terminal).toBe(true);
    expect(orderSources('ORDER_BLACKLISTED')).toEqual([
      'PENDING',
      'PAYMENT_PENDING',
      'PAYMENT_FAILED',
    ]);
    expect(orderTarget('ORDER_BLACKLISTED')).toBe('CANCELLED');
    expect(nextState(ORDER_MACHINE, 'COMPLETED', 'ORDER_BLACKLISTED', 'admin')).toBeUndefined();
    expect(nextState(ORDER_MACHINE, 'PENDING', 'ORDER_BLACKLISTED', 'fan')).toBeUndefined();
  });
});

describe('the order and ticket machines in the module README', () => {
  it('are the tables of the README, event by event', () => {
    const readme = readFileSync(join(import.meta.dirname, 'README.md'), 'utf8');
    const rows = new Map<string, string>();
    for (const m of readme.matchAll(
      /^\s*\| ([A-Z_, ]+?)(?: \(creates\))? +\| ([^|]+)\| ([A-Z_]+) +\| ([a-z-]+) +\|$/gm,
    )) {
      for (const event of m[1]!.split(', ')) {
        rows.set(event, `${m[2]!.trim()} → ${m[3]} by ${m[4]}`);
      }
    }
    // Event names are unique across both machines, so one map holds both tables.
    const machine = new Map<string, string>(
      [ORDER_MACHINE as AnyMachine, TICKET_MACHINE as AnyMachine].flatMap((m) => [
        ...Object.entries(m.creations).map(
          ([e, c]) => [e, `— → ${c.to} by ${c.by}`] as [string, string],
        ),
        ...Object.entries(m.events).map(
          ([e, t]) => [e, `${t.from.join(', ')} → ${t.to} by ${t.by}`] as [string, string],
        ),
      ]),
    );
    expect(Object.fromEntries(rows)).toEqual(Object.fromEntries(machine));
  });
});
