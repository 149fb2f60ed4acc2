import { randomInt } from 'node:crypto';
import type { MatchStatus } from '../../platform/db/types.generated.ts';
import type { PhaseWindow } from './queue.repo.ts';

/** Pure rules of the waiting room (no I/O). */

/** A purchase window lasts 20 minutes from admission (E5-F4). */
export const PURCHASE_WINDOW_MS = 20 * 60 * 1000;
/** A place is kept for 30 minutes after the last heartbeat (E5-F5). */
export const GRACE_PERIOD_MS = 30 * 60 * 1000;
/** The admission rate is measured over this sliding window. */
export const RATE_WINDOW_MS = 5 * 60 * 1000;
/** At most this much unused admission credit carries over (no burst after a pause). */
export const MAX_CREDIT_MS = 10 * 1000;

/** Positions whose crossing sends a "you moved up" push (a significant move, E5-F3). */
export const MILESTONES = [1000, 500, 250, 100] as const;
/** "You're almost at the front!" at this position or better. */
export const NEAR_FRONT = 50;

export const SELLING_STATUSES: readonly MatchStatus[] = ['PUBLISHED', 'ACTIVE'];

export type SaleState =
  { open: true; opensAt: Date; phaseOpen: boolean } | { open: false; reason: string };

/**
 * Whether fans may join the line now: the match is PUBLISHED/ACTIVE and a sales phase is
 * current or starts within the pre-queue window. `opensAt` is when the first phase of
 * this on-sale starts (the fair-start moment); `phaseOpen` whether one is current now.
 */
export function saleState(
  status: MatchStatus,
  phases: readonly PhaseWindow[],
  now: Date,
  preQueueMs: number,
): SaleState {
  if (!SELLING_STATUSES.includes(status)) {
    return { open: false, reason: `The match is ${status.toLowerCase()}, not on sale.` };
  }
  const t = now.getTime();
  const current = phases.find((p) => p.start_at.getTime() <= t && t < p.end_at.getTime());
  const upcoming = phases
    .filter((p) => p.start_at.getTime() > t)
    .sort((a, b) => a.start_at.getTime() - b.start_at.getTime())[0];
  if (current) {
    // The line opened with the earliest phase of the run of phases the current one belongs to.
    return { open: true, opensAt: firstStart(phases, current), phaseOpen: true };
  }
  if (upcoming && upcoming.start_at.getTime() - t <= preQueueMs) {
    return { open: true, opensAt: upcoming.start_at, phaseOpen: false };
  }
  if (upcoming) {
    return {
      open: false,
      reason: `The waiting room opens ${Math.round(preQueueMs / 60000)} minutes before sales start at ${upcoming.start_at.toISOString()}.`,
    };
  }
  return { open: false, reason: 'No sales phase of this match is open or upcoming.' };
}

/** Start of the chain of back-to-back (or overlapping) phases that contains `phase`. */
function firstStart(phases: readonly PhaseWindow[], phase: PhaseWindow): Date {
  const sorted = [...phases].sort((a, b) => a.start_at.getTime() - b.start_at.getTime());
  let start = phase.start_at.getTime();
  let moved = true;
  while (moved) {
    moved = false;
    for (const p of sorted) {
      if (
        p.start_at.getTime() < start &&
        p.end_at.getTime() >= start // touches or overlaps: same on-sale
      ) {
        start = p.start_at.getTime();
        moved = true;
      }
    }
  }
  return new Date(start);
}

/**
 * Seconds until a fan at `position` (1-based) is admitted: the fans ahead divided by the
 * admission rate (measured when available, else configured), plus the time until the
 * opening for a line that has not opened yet.
 */
export function estimateWaitSeconds(
  position: number,
  ratePerMinute: number,
  msUntilOpen = 0,
): number {
  if (position <= 0) return 0;
  const rate = Math.max(ratePerMinute, 0.01);
  const queueSeconds = ((position - 1) / rate) * 60;
  return Math.max(0, Math.ceil(queueSeconds + Math.max(0, msUntilOpen) / 1000));
}

/**
 * The rate to estimate with: measured over the sliding window when there is a measurement,
 * otherwise the configured rate.
 */
export function effectiveRate(measured: number | null, configured: number): number {
  return measured !== null && Number.isFinite(measured) && measured > 0 ? measured : configured;
}

/**
 * How many to admit this round: the token bucket of `ratePerMinute` (credit carried in
 * `credit`, capped so a pause does not turn into a burst), the free buyer slots under
 * the cap, and the number waiting. Returns the count and the credit left.
 */
export function admissionBudget(input: {
  credit: number;
  elapsedMs: number;
  ratePerMinute: number;
  active: number;
  maxActive: number;
  waiting: number;
}): { admit: number; credit: number } {
  const maxCredit = Math.max(1, (input.ratePerMinute * MAX_CREDIT_MS) / 60000);
  const credit = Math.min(
    maxCredit,
    input.credit + (input.ratePerMinute * Math.max(0, input.elapsedMs)) / 60000,
  );
  const slots = Math.max(0, input.maxActive - input.active);
  const admit = Math.max(0, Math.min(Math.floor(credit), slots, input.waiting));
  return { admit, credit: credit - admit };
}

/** Measured admissions per minute from rounds `{at, count}` in the window ending `now`. */
export function measuredRate(
  rounds: ReadonlyArray<{ at: number; count: number }>,
  now: number,
  tickMs: number,
): number | null {
  const inWindow = rounds.filter((r) => r.at > now - RATE_WINDOW_MS && r.at <= now);
  if (inWindow.length === 0) return null;
  const oldest = Math.min(...inWindow.map((r) => r.at));
  const spanMs = Math.min(RATE_WINDOW_MS, now - oldest + tickMs);
  const total = inWindow.reduce((s, r) => s + r.count, 0);
  return (total * 60000) / spanMs;
}

/** An unbiased random permutation (Fisher–Yates with a CSPRNG). */
export function shuffle<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * The milestone a fan now at `position` has reached that was not announced yet
 * (`lastAnnounced` = the last milestone pushed, or null), or null. Near-front (≤ 50) is
 * milestone 50; a fan only ever hears each milestone once, and only the best one.
 */
export function milestoneReached(position: number, lastAnnounced: number | null): number | null {
  const all = [...MILESTONES, NEAR_FRONT];
  const reached = all.filter((m) => position <= m);
  if (reached.length === 0) return null;
  const best = Math.min(...reached);
  if (lastAnnounced !== null && lastAnnounced <= best) return null;
  return best;
}

export interface PushText {
  notification_type: string;
  title: string;
  body: string;
  title_en: string;
  body_en: string;
}

/** Push texts, Croatian first (the title/body), English alongside (data.title_en/body_en). */
export function pushText(
  kind: 'moved' | 'near_front' | 'turn' | 'expired',
  position?: number,
): PushText {
  switch (kind) {
    case 'moved':
      return {
        notification_type: 'queue_position',
        title: 'Napredujete u redu',
        body: `Sada ste ${position}. u redu za kupnju ulaznica.`,
        title_en: 'You are moving up',
        body_en: `You are now number ${position} in the ticket queue.`,
      };
    case 'near_front':
      return {
        notification_type: 'queue_almost_front',
        title: 'Gotovo ste na redu!',
        body: `Još malo – ${position}. ste u redu. Pripremite se za kupnju.`,
        title_en: "You're almost at the front!",
        body_en: `You are number ${position}. Get ready to buy your tickets.`,
      };
    case 'turn':
      return {
        notification_type: 'queue_turn',
        title: 'Vi ste na redu!',
        body: 'Imate 20 minuta za kupnju ulaznica.',
        title_en: "It's your turn!",
        body_en: 'You have 20 minutes to buy your tickets.',
      };
    case 'expired':
      return {
        notification_type: 'queue_window_expired',
        title: 'Vrijeme za kupnju je isteklo',
        body: 'Vaše vrijeme za kupnju je isteklo. Za novu kupnju ponovno se pridružite redu.',
        title_en: 'Your purchase window has expired',
        body_en: 'Your purchase window has expired. Join the queue again to buy.',
      };
  }
}

/** The app's deep link to the purchase screen of a match. */
export const purchaseDeepLink = (matchId: string) => `hns://purchase/${matchId}`;
/** The app's deep link to the waiting room of a match. */
export const queueDeepLink = (matchId: string) => `hns://queue/${matchId}`;
