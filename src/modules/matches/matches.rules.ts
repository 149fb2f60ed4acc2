import { AppError } from '../../platform/errors.ts';

/**
 * Pure match rules (no I/O): the match status machine (E2-F1), which change type a change
 * is logged as (E2-F6), the stadium configuration checks run before locking (E2-F4) and
 * the status each inventory seat starts in when the configuration is locked (E3-F1).
 */

export const MATCH_STATUSES = [
  'DRAFT',
  'PUBLISHED',
  'ACTIVE',
  'CLOSED',
  'CANCELLED',
  'DELETED',
] as const;
export type MatchStatus = (typeof MATCH_STATUSES)[number];

/**
 * The status machine. DRAFT → PUBLISHED → ACTIVE → CLOSED is the life of a match;
 * CANCELLED is reachable from every live status (the E2-F7 cancellation workflow, with its
 * approvals and refunds, is the only caller that may take it); DELETED is the soft delete,
 * allowed only for a match nobody could have bought a ticket for (DRAFT) or that is
 * already cancelled. CLOSED and DELETED are final: a closed match is history for reports.
 */
const TRANSITIONS: Readonly<Record<MatchStatus, readonly MatchStatus[]>> = {
  DRAFT: ['PUBLISHED', 'CANCELLED', 'DELETED'],
  PUBLISHED: ['ACTIVE', 'CANCELLED'],
  ACTIVE: ['CLOSED', 'CANCELLED'],
  CLOSED: [],
  CANCELLED: ['DELETED'],
  DELETED: [],
};

export function canTransition(from: MatchStatus, to: MatchStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function assertTransition(from: MatchStatus, to: MatchStatus): void {
  if (!canTransition(from, to)) {
    throw new AppError('INVALID_STATUS_TRANSITION', `A match cannot go from ${from} to ${to}`, {
      extra: { from, to, allowed: [...TRANSITIONS[from]] },
    });
  }
}

/**
 * Targets of the generic status change (POST /admin/matches/{id}/status and PUT `status`).
 * CANCELLED has its own workflow (E2-F7), DELETED its own endpoint (DELETE) and CLOSED the
 * closure with attendance (POST /admin/matches/{id}/close, E2-F9), which marks the tickets
 * ATTENDED and awards the loyalty points in the same transaction.
 */
export const STATUS_CHANGE_TARGETS = ['PUBLISHED', 'ACTIVE'] as const;
export type StatusChangeTarget = (typeof STATUS_CHANGE_TARGETS)[number];

/** The dedicated cancellation rule for the E2-F7 workflow. */
export const canCancel = (status: MatchStatus) => canTransition(status, 'CANCELLED');
export const canDelete = (status: MatchStatus) => canTransition(status, 'DELETED');

/** A match whose details, phases and configuration may still change. */
export const isEditable = (status: MatchStatus) =>
  status === 'DRAFT' || status === 'PUBLISHED' || status === 'ACTIVE';

export function assertEditable(status: MatchStatus): void {
  if (!isEditable(status)) {
    throw new AppError('MATCH_NOT_EDITABLE', `A ${status} match can no longer be changed`, {
      extra: { status },
    });
  }
}

export const MATCH_CHANGE_TYPES = [
  'UPDATE',
  'CANCEL',
  'RESCHEDULE',
  'PUBLISH',
  'CLOSE',
  'CREATE',
  'ACTIVATE',
  'DELETE',
  'CONFIGURE',
] as const;
export type MatchChangeType = (typeof MATCH_CHANGE_TYPES)[number];

export function changeTypeForStatus(to: MatchStatus): MatchChangeType {
  switch (to) {
    case 'PUBLISHED':
      return 'PUBLISH';
    case 'ACTIVE':
      return 'ACTIVATE';
    case 'CLOSED':
      return 'CLOSE';
    case 'CANCELLED':
      return 'CANCEL';
    case 'DELETED':
      return 'DELETE';
    case 'DRAFT':
      return 'UPDATE';
  }
}

/** A detail update is a RESCHEDULE when the kick-off moves (ticket holders care most). */
export function changeTypeForUpdate(changedFields: readonly string[]): MatchChangeType {
  return changedFields.includes('kick_off_time') ? 'RESCHEDULE' : 'UPDATE';
}

/** The fields whose value differs between two snapshots (dates compared by instant). */
export function changedFields<T extends Record<string, unknown>>(
  before: T,
  after: Partial<T>,
): string[] {
  const norm = (v: unknown) => (v instanceof Date ? v.toISOString() : v);
  return Object.keys(after).filter(
    (k) => after[k] !== undefined && norm(after[k]) !== norm(before[k]),
  );
}

// Stadium configuration (E2-F4) ------------------------------------------------------------

export type MatchSectorStatus = 'ACTIVE' | 'CLOSED' | 'MAINTENANCE';

/** What validation needs to know about one match sector. */
export interface SectorFacts {
  id: string;
  code: string;
  status: MatchSectorStatus;
  price_category_id: string | null;
  total_capacity: number;
  technical_seats: number;
  sellable_capacity: number;
  is_numbered: boolean;
  has_seat_map: boolean;
  /** Seats generated for the template sector (rows of `seats`). */
  seat_count: number;
  /** Of those, seats classified TECHNICAL in the seat map. */
  technical_seat_count: number;
}

export const CONFIG_ISSUE_CODES = [
  'NO_SECTORS',
  'NO_SELLABLE_CAPACITY',
  'SECTOR_NOT_PRICED',
  'CAPACITY_EXCEEDED',
  'CAPACITY_EXCEEDS_SEATS',
  'SELLABLE_EXCEEDS_SEATS',
  'TECHNICAL_SEATS_MISMATCH',
  'NUMBERED_SECTOR_WITHOUT_SEATS',
] as const;
export type ConfigIssueCode = (typeof CONFIG_ISSUE_CODES)[number];

export interface ConfigIssue {
  code: ConfigIssueCode;
  match_sector_id: string | null;
  sector_code: string | null;
  message: string;
}

/**
 * Every problem that must be fixed before the configuration can be locked. Empty means
 * valid. Closed and maintenance sectors sell nothing, so they need no price, but their
 * capacities must still be consistent (they can be reopened later).
 */
export function validateConfiguration(sectors: readonly SectorFacts[]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (sectors.length === 0) {
    return [
      {
        code: 'NO_SECTORS',
        match_sector_id: null,
        sector_code: null,
        message: 'The match has no sectors: configure its stadium first',
      },
    ];
  }
  for (const s of sectors) {
    const issue = (code: ConfigIssueCode, message: string) =>
      issues.push({ code, match_sector_id: s.id, sector_code: s.code, message });
    if (s.status === 'ACTIVE' && !s.price_category_id) {
      issue('SECTOR_NOT_PRICED', `Sector ${s.code} is active but has no price category`);
    }
    if (s.sellable_capacity + s.technical_seats > s.total_capacity) {
      issue(
        'CAPACITY_EXCEEDED',
        `Sector ${s.code}: sellable (${s.sellable_capacity}) + technical (${s.technical_seats}) exceeds total capacity (${s.total_capacity})`,
      );
    }
    if (s.is_numbered) {
      if (s.seat_count === 0) {
        issue(
          'NUMBERED_SECTOR_WITHOUT_SEATS',
          `Sector ${s.code} is numbered but has no generated seats (add a seat map or make it unnumbered)`,
        );
        continue;
      }
      if (s.total_capacity > s.seat_count) {
        issue(
          'CAPACITY_EXCEEDS_SEATS',
          `Sector ${s.code}: total capacity ${s.total_capacity} exceeds its ${s.seat_count} seats`,
        );
      }
      const ordinary = s.seat_count - s.technical_seat_count;
      if (s.sellable_capacity > ordinary) {
        issue(
          'SELLABLE_EXCEEDS_SEATS',
          `Sector ${s.code}: sellable capacity ${s.sellable_capacity} exceeds its ${ordinary} non-technical seats`,
        );
      }
      if (s.technical_seats < s.technical_seat_count) {
        issue(
          'TECHNICAL_SEATS_MISMATCH',
          `Sector ${s.code}: the seat map has ${s.technical_seat_count} technical seats but only ${s.technical_seats} are configured`,
        );
      }
    }
  }
  if (!sectors.some((s) => s.status === 'ACTIVE' && s.sellable_capacity > 0)) {
    issues.push({
      code: 'NO_SELLABLE_CAPACITY',
      match_sector_id: null,
      sector_code: null,
      message: 'No active sector has sellable capacity',
    });
  }
  return issues;
}

export type SeatStatus =
  | 'AVAILABLE'
  | 'RESERVED'
  | 'SOLD'
  | 'ALLOCATED'
  | 'BLOCKED'
  | 'TECHNICAL'
  | 'OFFICIAL'
  | 'MAINTENANCE'
  | 'QUARANTINED'
  | 'INACTIVE';

/**
 * The status an inventory seat starts in when the configuration is locked: a seat the map
 * classifies TECHNICAL (camera, stairs cover) is TECHNICAL; every seat of a CLOSED sector is
 * BLOCKED and of a MAINTENANCE sector MAINTENANCE (staff reopen them with the inventory
 * operations); everything else is AVAILABLE.
 */
export function initialSeatStatus(
  sectorStatus: MatchSectorStatus,
  seatType: 'STANDARD' | 'TECHNICAL' | 'ACCESSIBILITY' | 'COMPANION',
): SeatStatus {
  if (seatType === 'TECHNICAL') return 'TECHNICAL';
  if (sectorStatus === 'CLOSED') return 'BLOCKED';
  if (sectorStatus === 'MAINTENANCE') return 'MAINTENANCE';
  return 'AVAILABLE';
}

/** Statuses a re-lock may recompute: the ones locking itself derives from the configuration. */
export const DERIVED_SEAT_STATUSES: readonly SeatStatus[] = [
  'AVAILABLE',
  'BLOCKED',
  'TECHNICAL',
  'MAINTENANCE',
];

// Sales phases (E2-F2) ---------------------------------------------------------------------

export interface PhaseFacts {
  phase_type: 'LOYALTY' | 'GENERAL_PUBLIC' | 'QUOTA_ONLY';
  start_at: Date;
  end_at: Date;
  ticket_limit: number;
  eligibility_rules_json: { loyalty_tiers?: { min_points: number; ticket_limit: number }[] };
}

/**
 * Rules across the fields of a phase (the body schema checks each field alone). Run on the
 * merged phase, so a partial update is checked against the stored values too.
 */
export function phaseProblems(phase: PhaseFacts): { field: string; message: string }[] {
  const problems: { field: string; message: string }[] = [];
  if (phase.end_at.getTime() <= phase.start_at.getTime()) {
    problems.push({ field: 'body.end_at', message: 'must be after start_at' });
  }
  const tiers = phase.eligibility_rules_json.loyalty_tiers ?? [];
  if (phase.phase_type === 'LOYALTY' && tiers.length === 0) {
    problems.push({
      field: 'body.eligibility_rules_json.loyalty_tiers',
      message: 'a LOYALTY phase needs at least one loyalty tier',
    });
  }
  tiers.forEach((tier, i) => {
    if (tier.ticket_limit > phase.ticket_limit) {
      problems.push({
        field: `body.eligibility_rules_json.loyalty_tiers.${i}.ticket_limit`,
        message: `must not exceed the phase ticket_limit (${phase.ticket_limit})`,
      });
    }
  });
  return problems;
}

/** Tiers stored in ascending threshold order, so the applicable tier is the last one reached. */
export function normaliseEligibility(rules: PhaseFacts['eligibility_rules_json']) {
  return rules.loyalty_tiers
    ? {
        ...rules,
        loyalty_tiers: [...rules.loyalty_tiers].sort((a, b) => a.min_points - b.min_points),
      }
    : rules;
}

// Update notices (E2-F6) -------------------------------------------------------------------

export type NoticeLocale = 'hr' | 'en';

/** What an update notice announces: each field with its value before and after. */
export interface NoticeChanges {
  kick_off_time?: { before: string; after: string };
  venue?: { before: string | null; after: string | null };
  status?: { before: MatchStatus; after: MatchStatus };
}

/**
 * The changes a ticket holder is told about: kick-off, venue and status. Other details
 * (team spelling, competition) are logged but announce nothing.
 */
export function noticeChanges(
  before: { kick_off_time: Date; venue_name: string | null; status: MatchStatus },
  after: { kick_off_time: Date; venue_name: string | null; status: MatchStatus },
  venueChanged: boolean,
): NoticeChanges | null {
  const changes: NoticeChanges = {};
  if (before.kick_off_time.getTime() !== after.kick_off_time.getTime()) {
    changes.kick_off_time = {
      before: before.kick_off_time.toISOString(),
      after: after.kick_off_time.toISOString(),
    };
  }
  if (venueChanged) changes.venue = { before: before.venue_name, after: after.venue_name };
  if (before.status !== after.status) {
    changes.status = { before: before.status, after: after.status };
  }
  return Object.keys(changes).length ? changes : null;
}

/**
 * The language a fan is written to in: no language preference is stored, so Croatian for
 * Croatian nationals and for anyone whose nationality is unknown, English for the rest.
 */
export const localeOfNationality = (nationality: string | null | undefined): NoticeLocale =>
  !nationality || nationality.trim().toUpperCase() === 'HR' ? 'hr' : 'en';

const KICKOFF_FORMAT: Record<NoticeLocale, Intl.DateTimeFormat> = {
  hr: new Intl.DateTimeFormat('hr-HR', {
    timeZone: 'Europe/Zagreb',
    dateStyle: 'long',
    timeStyle: 'short',
  }),
  en: new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Europe/Zagreb',
    dateStyle: 'long',
    timeStyle: 'short',
  }),
};

export const formatKickoff = (locale: NoticeLocale, at: Date | string) =>
  KICKOFF_FORMAT[locale].format(new Date(at));

const STATUS_WORDS: Record<NoticeLocale, Record<MatchStatus, string>> = {
  hr: {
    DRAFT: 'u pripremi',
    PUBLISHED: 'objavljena',
    ACTIVE: 'u prodaji',
    CLOSED: 'završena',
    CANCELLED: 'otkazana',
    DELETED: 'uklonjena',
  },
  en: {
    DRAFT: 'in preparation',
    PUBLISHED: 'published',
    ACTIVE: 'on sale',
    CLOSED: 'closed',
    CANCELLED: 'cancelled',
    DELETED: 'removed',
  },
};

/** One sentence per change, in the fan's language: the email's `change_summary` and the push body. */
export function noticeSummary(locale: NoticeLocale, changes: NoticeChanges): string {
  const parts: string[] = [];
  const none = locale === 'hr' ? 'nije određen' : 'not set';
  if (changes.kick_off_time) {
    const { before, after } = changes.kick_off_time;
    parts.push(
      locale === 'hr'
        ? `početak je pomaknut s ${formatKickoff('hr', before)} na ${formatKickoff('hr', after)}`
        : `kick-off moved from ${formatKickoff('en', before)} to ${formatKickoff('en', after)}`,
    );
  }
  if (changes.venue) {
    const { before, after } = changes.venue;
    parts.push(
      locale === 'hr'
        ? `stadion je promijenjen (${before ?? none} → ${after ?? none})`
        : `the stadium changed (${before ?? none} → ${after ?? none})`,
    );
  }
  if (changes.status) {
    const words = STATUS_WORDS[locale];
    parts.push(
      locale === 'hr'
        ? `utakmica je sada ${words[changes.status.after]} (prije: ${words[changes.status.before]})`
        : `the match is now ${words[changes.status.after]} (was: ${words[changes.status.before]})`,
    );
  }
  return `${parts.join('; ')}.`;
}

/**
 * A cancellation's message (E2-F7), in the fan's language: the email's `change_summary`
 * and the push body. The reason is the admin's text, as given.
 */
export function cancellationSummary(locale: NoticeLocale, reason: string): string {
  return locale === 'hr'
    ? `Utakmica je otkazana (${reason}). Ulaznice više ne vrijede; cijeli iznos, ` +
        'uključujući naknadu, automatski se vraća na karticu kojom je plaćeno.'
    : `The match was cancelled (${reason}). The tickets no longer admit anyone; the full ` +
        'amount, fee included, is refunded automatically to the card used for the payment.';
}
