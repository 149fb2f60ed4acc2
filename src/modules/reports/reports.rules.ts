import { zagrebDate } from '../../platform/clock.ts';
import type { Role } from '../../platform/auth/roles.ts';
import type { PhaseType } from '../../platform/db/types.generated.ts';

/**
 * Pure rules of the reports (E14-F1, E14-F2): no I/O.
 */

/** Finance and match managers read reports and the dashboard; SUPER_ADMIN passes too. */
export const REPORT_ROLES: readonly Role[] = ['FINANCE', 'MATCH_MANAGER'];

/**
 * The ticket types a sale is reported under. Derived from what the sale records:
 * - quota: the seat was claimed through a quota (a `quota_seats` row naming the ticket or
 *   the order's cart), or sold in a QUOTA_ONLY phase;
 * - loyalty: sold in a LOYALTY phase (E6-F2);
 * - petrol: sold at a petrol station (E12, issue 23: no such sales exist yet, so the type
 *   selects nothing until that issue records them);
 * - public: everything else (GENERAL_PUBLIC phase, or no phase).
 */
export const TICKET_TYPES = ['public', 'quota', 'petrol', 'loyalty'] as const;
export type TicketType = (typeof TICKET_TYPES)[number];

export const TICKET_TYPE_OF_PHASE: Readonly<Record<PhaseType, TicketType>> = {
  GENERAL_PUBLIC: 'public',
  LOYALTY: 'loyalty',
  QUOTA_ONLY: 'quota',
};

export function ticketTypeOf(phase: PhaseType | null, quotaClaim: boolean): TicketType {
  if (quotaClaim) return 'quota';
  return phase ? TICKET_TYPE_OF_PHASE[phase] : 'public';
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The first instant of a calendar day (YYYY-MM-DD) in Croatia (CET/CEST). */
export function zagrebDayStart(day: string): Date {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const midnightUtc = Date.UTC(y, m - 1, d);
  for (const offsetHours of [1, 2, 0, 3]) {
    const at = new Date(midnightUtc - offsetHours * 3_600_000);
    if (zagrebDate(at) === day && zagrebDate(new Date(at.getTime() - 1)) !== day) return at;
  }
  throw new RangeError(`no start found for ${day}`);
}

const nextDay = (day: string) => {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
};

export interface ReportRange {
  from: Date | null;
  /** Exclusive upper bound. */
  until: Date | null;
}

/**
 * A report's period: each bound is a calendar day in Croatia (date_to's whole day included)
 * or an instant (date_to included). `null` when the period is empty (from after to).
 */
export function reportRange(dateFrom?: string, dateTo?: string): ReportRange | null {
  const from =
    dateFrom === undefined
      ? null
      : DAY.test(dateFrom)
        ? zagrebDayStart(dateFrom)
        : new Date(dateFrom);
  const until =
    dateTo === undefined
      ? null
      : DAY.test(dateTo)
        ? zagrebDayStart(nextDay(dateTo))
        : new Date(new Date(dateTo).getTime() + 1);
  if (from && until && from.getTime() >= until.getTime()) return null;
  return { from, until };
}

/** Share of successes among decided attempts, 0…1 with 4 decimals; null with none. */
export function successRate(succeeded: number, failed: number): number | null {
  const total = succeeded + failed;
  if (total === 0) return null;
  return Math.round((succeeded / total) * 10_000) / 10_000;
}

/**
 * The dashboard's change test: two snapshots differ when any figure does. The time of the
 * computation is not a figure, so an unchanged sale pushes nothing.
 */
export function sameFigures<T extends { computed_at: string }>(a: T | null, b: T): boolean {
  if (!a) return false;
  return JSON.stringify({ ...a, computed_at: '' }) === JSON.stringify({ ...b, computed_at: '' });
}
