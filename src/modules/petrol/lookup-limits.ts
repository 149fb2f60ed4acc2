import type { AppDeps } from '../../deps.ts';
import { AppError } from '../../platform/errors.ts';
import { recordAudit } from '../audit/audit.service.ts';
import {
  LOOKUP_FAILURES_PER_STAFF,
  LOOKUP_FAILURES_PER_STATION,
  LOOKUP_WINDOW_MS,
} from './petrol.rules.ts';

/**
 * Guessing protection of PIN lookups (E12-F2): failed lookups are counted in Redis per
 * cashier and per station in a fixed window (LOOKUP_WINDOW_MS, from the first miss); once
 * either count reaches its limit, lookups of that cashier (or the whole station) answer 429
 * PETROL_LOOKUP_LIMITED with `retry_after_seconds` until the window ends, whether the next
 * PIN would be right or not. Every miss is logged and audited. Redis being down lets
 * lookups through (logged): a sale day must not stop on a cache; the audit trail stays.
 */

const staffKey = (staffId: string) => `petrol:lookup-fail:staff:${staffId}`;
const stationKey = (stationId: string) => `petrol:lookup-fail:station:${stationId}`;

/** Refuses the lookup when the cashier or the station is over its failure limit. */
export async function assertLookupAllowed(
  deps: Pick<AppDeps, 'redis' | 'logger'>,
  staffId: string,
  stationId: string,
): Promise<void> {
  let counts: [string | null, string | null];
  try {
    counts = (await deps.redis.mget(staffKey(staffId), stationKey(stationId))) as [
      string | null,
      string | null,
    ];
  } catch (err) {
    deps.logger.warn({ err }, 'petrol PIN lookup limit unavailable (Redis); lookup allowed');
    return;
  }
  const staffMisses = Number(counts[0] ?? 0);
  const stationMisses = Number(counts[1] ?? 0);
  const overStaff = staffMisses >= LOOKUP_FAILURES_PER_STAFF;
  const overStation = stationMisses >= LOOKUP_FAILURES_PER_STATION;
  if (!overStaff && !overStation) return;
  const key = overStaff ? staffKey(staffId) : stationKey(stationId);
  const ttl = await deps.redis.pttl(key).catch(() => LOOKUP_WINDOW_MS);
  deps.logger.warn(
    {
      staff_id: staffId,
      station_id: stationId,
      staff_misses: staffMisses,
      station_misses: stationMisses,
    },
    'petrol PIN lookup refused: too many failed lookups',
  );
  throw new AppError('PETROL_LOOKUP_LIMITED', 'Too many failed PIN lookups; wait and retry', {
    extra: {
      scope: overStaff ? 'staff' : 'station',
      retry_after_seconds: Math.max(1, Math.ceil((ttl > 0 ? ttl : LOOKUP_WINDOW_MS) / 1000)),
    },
  });
}

/** Counts a failed lookup for the cashier and the station, logs and audits it. */
export async function recordFailedLookup(
  deps: Pick<AppDeps, 'redis' | 'logger' | 'db' | 'clock'>,
  input: { staffId: string; stationId: string; pin: string; reason: string },
): Promise<void> {
  // The PIN tried is kept partly: enough to see a sequential loop, not a live PIN.
  const tried = input.pin.length >= 2 ? `${input.pin.slice(0, 2)}***` : '***';
  try {
    await deps.redis
      .multi()
      .incr(staffKey(input.staffId))
      .pexpire(staffKey(input.staffId), LOOKUP_WINDOW_MS, 'NX')
      .incr(stationKey(input.stationId))
      .pexpire(stationKey(input.stationId), LOOKUP_WINDOW_MS, 'NX')
      .exec();
  } catch (err) {
    deps.logger.warn({ err }, 'petrol PIN lookup failure not counted (Redis)');
  }
  deps.logger.warn(
    { staff_id: input.staffId, station_id: input.stationId, pin: tried, reason: input.reason },
    'petrol PIN lookup failed',
  );
  await recordAudit(deps, deps.db, {
    domain: 'petrol',
    action: 'petrol_pin_lookup_failed',
    actor: { type: 'user', id: input.staffId },
    subject: { type: 'petrol_station', id: input.stationId },
    changes: { reason: input.reason, pin: tried },
  });
}
