import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../platform/errors.ts';
import {
  assertTransition,
  canCancel,
  canDelete,
  canTransition,
  changeTypeForStatus,
  changeTypeForUpdate,
  formatKickoff,
  initialSeatStatus,
  isEditable,
  localeOfNationality,
  MATCH_STATUSES,
  noticeChanges,
  noticeSummary,
  phaseProblems,
  validateConfiguration,
  type MatchStatus,
  type SectorFacts,
} from './matches.rules.ts';

/** The expected machine, written out pair by pair (from → allowed targets). */
const ALLOWED: Record<MatchStatus, MatchStatus[]> = {
  DRAFT: ['PUBLISHED', 'CANCELLED', 'DELETED'],
  PUBLISHED: ['ACTIVE', 'CANCELLED'],
  ACTIVE: ['CLOSED', 'CANCELLED'],
  CLOSED: [],
  CANCELLED: ['DELETED'],
  DELETED: [],
};

describe('match status machine', () => {
  const pairs = MATCH_STATUSES.flatMap((from) => MATCH_STATUSES.map((to) => [from, to] as const));

  it.each(pairs)('%s → %s', (from, to) => {
    const expected = ALLOWED[from].includes(to);
    expect(canTransition(from, to)).toBe(expected);
    if (expected) {
      expect(() => assertTransition(from, to)).not.toThrow();
    } else {
      let thrown: unknown;
      try {
        assertTransition(from, to);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(AppError);
      expect((thrown as AppError).code).toBe('INVALID_STATUS_TRANSITION');
      expect((thrown as AppError).status).toBe(400);
      expect((thrown as AppError).extra).toMatchObject({ from, to, allowed: ALLOWED[from] });
    }
  });

  it('never allows staying in the same status or going back to DRAFT', () => {
    for (const s of MATCH_STATUSES) {
      expect(canTransition(s, s)).toBe(false);
      expect(canTransition(s, 'DRAFT')).toBe(false);
    }
  });

  it('cancellation (E2-F7) is possible from every live status; deletion only before publishing or after cancelling', () => {
    expect(MATCH_STATUSES.filter(canCancel)).toEqual(['DRAFT', 'PUBLISHED', 'ACTIVE']);
    expect(MATCH_STATUSES.filter(canDelete)).toEqual(['DRAFT', 'CANCELLED']);
    expect(MATCH_STATUSES.filter(isEditable)).toEqual(['DRAFT', 'PUBLISHED', 'ACTIVE']);
  });

  it('maps status changes and updates to E2-F6 change types', () => {
    expect(changeTypeForStatus('PUBLISHED')).toBe('PUBLISH');
    expect(changeTypeForStatus('ACTIVE')).toBe('ACTIVATE');
    expect(changeTypeForStatus('CLOSED')).toBe('CLOSE');
    expect(changeTypeForStatus('CANCELLED')).toBe('CANCEL');
    expect(changeTypeForStatus('DELETED')).toBe('DELETE');
    expect(changeTypeForUpdate(['competition'])).toBe('UPDATE');
    expect(changeTypeForUpdate(['competition', 'kick_off_time'])).toBe('RESCHEDULE');
  });
});

const sector = (over: Partial<SectorFacts> = {}): SectorFacts => ({
  id: 'ms-1',
  code: 'A',
  status: 'ACTIVE',
  price_category_id: 'pc-1',
  total_capacity: 100,
  technical_seats: 2,
  sellable_capacity: 98,
  is_numbered: true,
  has_seat_map: true,
  seat_count: 100,
  technical_seat_count: 2,
  ...over,
});

const codes = (sectors: SectorFacts[]) => validateConfiguration(sectors).map((i) => i.code);

describe('stadium configuration validation', () => {
  it('accepts a consistent, priced configuration', () => {
    expect(validateConfiguration([sector()])).toEqual([]);
    expect(
      validateConfiguration([
        sector(),
        sector({
          id: 'ms-2',
          code: 'B',
          is_numbered: false,
          seat_count: 0,
          technical_seat_count: 0,
        }),
      ]),
    ).toEqual([]);
  });

  it('requires sectors and some active sellable capacity', () => {
    expect(codes([])).toEqual(['NO_SECTORS']);
    expect(codes([sector({ status: 'CLOSED', price_category_id: null })])).toEqual([
      'NO_SELLABLE_CAPACITY',
    ]);
  });

  it('requires a price for every ACTIVE sector only', () => {
    const issues = validateConfiguration([
      sector({ price_category_id: null }),
      sector({ id: 'ms-2', code: 'B', status: 'MAINTENANCE', price_category_id: null }),
    ]);
    expect(issues).toEqual([
      expect.objectContaining({
        code: 'SECTOR_NOT_PRICED',
        match_sector_id: 'ms-1',
        sector_code: 'A',
      }),
    ]);
  });

  it('checks capacities: sellable + technical ≤ total ≤ seats, sellable ≤ non-technical seats', () => {
    expect(codes([sector({ sellable_capacity: 99 })])).toEqual([
      'CAPACITY_EXCEEDED',
      'SELLABLE_EXCEEDS_SEATS',
    ]);
    expect(codes([sector({ total_capacity: 120, sellable_capacity: 100 })])).toEqual([
      'CAPACITY_EXCEEDS_SEATS',
      'SELLABLE_EXCEEDS_SEATS',
    ]);
    expect(codes([sector({ technical_seats: 0, sellable_capacity: 98 })])).toEqual([
      'TECHNICAL_SEATS_MISMATCH',
    ]);
    expect(codes([sector({ seat_count: 0, technical_seat_count: 0 })])).toEqual([
      'NUMBERED_SECTOR_WITHOUT_SEATS',
    ]);
    // Unnumbered sectors sell by capacity: seats do not matter.
    expect(
      codes([
        sector({
          is_numbered: false,
          seat_count: 0,
          total_capacity: 5000,
          sellable_capacity: 4998,
        }),
      ]),
    ).toEqual([]);
  });
});

describe('initial inventory status', () => {
  it('derives from the seat type and the sector status', () => {
    expect(initialSeatStatus('ACTIVE', 'STANDARD')).toBe('AVAILABLE');
    expect(initialSeatStatus('ACTIVE', 'ACCESSIBILITY')).toBe('AVAILABLE');
    expect(initialSeatStatus('ACTIVE', 'COMPANION')).toBe('AVAILABLE');
    expect(initialSeatStatus('ACTIVE', 'TECHNICAL')).toBe('TECHNICAL');
    expect(initialSeatStatus('CLOSED', 'STANDARD')).toBe('BLOCKED');
    expect(initialSeatStatus('MAINTENANCE', 'STANDARD')).toBe('MAINTENANCE');
    expect(initialSeatStatus('CLOSED', 'TECHNICAL')).toBe('TECHNICAL');
  });
});

describe('sales phase rules', () => {
  const base = {
    phase_type: 'GENERAL_PUBLIC' as const,
    start_at: new Date('2026-06-01T10:00:00Z'),
    end_at: new Date('2026-06-02T10:00:00Z'),
    ticket_limit: 4,
    eligibility_rules_json: {},
  };

  it('accepts a well-formed phase', () => {
    expect(phaseProblems(base)).toEqual([]);
  });

  it('requires end after start, tiers for LOYALTY, tier limits within the phase limit', () => {
    expect(phaseProblems({ ...base, end_at: base.start_at }).map((p) => p.field)).toEqual([
      'body.end_at',
    ]);
    expect(phaseProblems({ ...base, phase_type: 'LOYALTY' }).map((p) => p.field)).toEqual([
      'body.eligibility_rules_json.loyalty_tiers',
    ]);
    expect(
      phaseProblems({
        ...base,
        phase_type: 'LOYALTY',
        eligibility_rules_json: {
          loyalty_tiers: [
            { min_points: 0, ticket_limit: 2 },
            { min_points: 500, ticket_limit: 6 },
          ],
        },
      }).map((p) => p.field),
    ).toEqual(['body.eligibility_rules_json.loyalty_tiers.1.ticket_limit']);
  });
});

describe('update notices (E2-F6)', () => {
  const base = {
    kick_off_time: new Date('2027-03-14T19:45:00Z'),
    venue_name: 'Poljud',
    status: 'PUBLISHED' as const,
  };

  it('announces kick-off, venue and status changes only', () => {
    expect(noticeChanges(base, { ...base }, false)).toBeNull();
    expect(
      noticeChanges(base, { ...base, kick_off_time: new Date('2027-03-15T19:45:00Z') }, false),
    ).toEqual({
      kick_off_time: { before: '2027-03-14T19:45:00.000Z', after: '2027-03-15T19:45:00.000Z' },
    });
    expect(noticeChanges(base, { ...base, venue_name: 'Maksimir' }, true)).toEqual({
      venue: { before: 'Poljud', after: 'Maksimir' },
    });
    expect(noticeChanges(base, { ...base, status: 'ACTIVE' }, false)).toEqual({
      status: { before: 'PUBLISHED', after: 'ACTIVE' },
    });
  });

  it('writes Croatian to Croatians and to unknown nationalities, English to the rest', () => {
    fc.assert(
      fc.property(fc.option(fc.string({ minLength: 0, maxLength: 3 })), (nationality) => {
        const expected = !nationality || nationality.trim().toUpperCase() === 'HR' ? 'hr' : 'en';
        expect(localeOfNationality(nationality)).toBe(expected);
      }),
    );
    expect(localeOfNationality('hr')).toBe('hr');
    expect(localeOfNationality('DE')).toBe('en');
  });

  it('summarises every change in the fan’s language, one clause per change', () => {
    const statuses = ['DRAFT', 'PUBLISHED', 'ACTIVE', 'CLOSED', 'CANCELLED', 'DELETED'] as const;
    fc.assert(
      fc.property(
        fc.constantFrom('hr' as const, 'en' as const),
        fc.date({ min: new Date('2026-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }),
        fc.boolean(),
        fc.option(fc.constantFrom(...statuses), { nil: undefined }),
        (locale, at, venue, status) => {
          const changes = {
            kick_off_time: { before: base.kick_off_time.toISOString(), after: at.toISOString() },
            ...(venue ? { venue: { before: 'Poljud', after: null } } : {}),
            ...(status ? { status: { before: 'PUBLISHED' as const, after: status } } : {}),
          };
          const summary = noticeSummary(locale, changes);
          expect(summary.split('; ')).toHaveLength(1 + (venue ? 1 : 0) + (status ? 1 : 0));
          expect(summary).toContain(formatKickoff(locale, at));
          expect(summary.endsWith('.')).toBe(true);
        },
      ),
    );
    expect(noticeSummary('en', { status: { before: 'PUBLISHED', after: 'ACTIVE' } })).toBe(
      'the match is now on sale (was: published).',
    );
  });
});
