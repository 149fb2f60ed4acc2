import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ageOn,
  dateOfBirthProblem,
  identityDocumentProblem,
  isProfileComplete,
  normalizePassport,
} from './profiles.rules.ts';

describe('profile rules', () => {
  it('counts full years, turning 18 on the birthday', () => {
    expect(ageOn('2008-06-01', '2026-06-01')).toBe(18);
    expect(ageOn('2008-06-02', '2026-06-01')).toBe(17);
    expect(ageOn('2008-02-29', '2026-02-28')).toBe(17);
    expect(ageOn('2008-02-29', '2026-03-01')).toBe(18);
  });

  it('age never decreases as days pass', () => {
    const day = fc
      .date({ min: new Date('1900-01-01'), max: new Date('2100-12-31'), noInvalidDate: true })
      .map((d) => d.toISOString().slice(0, 10));
    fc.assert(
      fc.property(day, day, day, (dob, a, b) => {
        const [d1, d2] = a <= b ? [a, b] : [b, a];
        return ageOn(dob, d1) <= ageOn(dob, d2);
      }),
    );
  });

  it('requires an OIB from Croatians and a passport from everyone else', () => {
    expect(
      identityDocumentProblem({ nationality: 'HR', oib: null, passport_number: 'X1' }),
    ).toEqual({
      field: 'body.oib',
      message: 'is required for Croatian nationality',
    });
    expect(
      identityDocumentProblem({ nationality: 'HR', oib: '69435151530', passport_number: null }),
    ).toBeNull();
    expect(
      identityDocumentProblem({ nationality: 'DE', oib: '69435151530', passport_number: null })
        ?.field,
    ).toBe('body.passport_number');
    expect(
      identityDocumentProblem({ nationality: 'DE', oib: null, passport_number: 'C01X00T47' }),
    ).toBeNull();
  });

  it('rejects impossible and future dates of birth', () => {
    expect(dateOfBirthProblem('2001-02-29', '2026-06-01')?.message).toBe('is not a calendar date');
    expect(dateOfBirthProblem('2026-06-02', '2026-06-01')?.message).toBe('is in the future');
    expect(dateOfBirthProblem('1850-01-01', '2026-06-01')?.message).toBe('is too far in the past');
    expect(dateOfBirthProblem('2000-02-29', '2026-06-01')).toBeNull();
  });

  it('is complete only with every field a purchase needs', () => {
    const full = {
      full_name: 'Ana Kovač',
      date_of_birth: '1990-01-01',
      nationality: 'HR',
      oib: '69435151530',
      passport_number: null,
      email: 'ana@example.hr',
      phone: '+385911234567',
    };
    expect(isProfileComplete(full)).toBe(true);
    expect(isProfileComplete({ ...full, phone: null })).toBe(false);
    expect(isProfileComplete({ ...full, email: ' ' })).toBe(false);
    expect(isProfileComplete({ ...full, nationality: 'AT' })).toBe(false);
  });

  it('normalizes passport numbers', () => {
    expect(normalizePassport(' c01x 00t47 ')).toBe('C01X00T47');
  });
});
