/**
 * Time is injected everywhere a rule depends on it (48-hour windows, match-day pricing,
 * hold expiry), so tests can move it. Use `zagrebDate` when a rule means a calendar day.
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock tests can set and advance. */
export class FakeClock implements Clock {
  private current: number;
  constructor(start: Date | string = '2026-06-01T10:00:00Z') {
    this.current = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.current);
  }
  set(at: Date | string): void {
    this.current = new Date(at).getTime();
  }
  advance(ms: number): void {
    this.current += ms;
  }
}

const zagrebDay = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Europe/Zagreb',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

/** The calendar date (YYYY-MM-DD) of an instant in Croatia. */
export function zagrebDate(at: Date): string {
  return zagrebDay.format(at);
}
