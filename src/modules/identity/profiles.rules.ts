import type { FieldError } from '../../platform/errors.ts';

/**
 * Pure rules of ticketing profiles (E1-F3, E1-F4). Dates are calendar days (YYYY-MM-DD);
 * "today" is the Europe/Zagreb date the caller passes in (deps.clock + zagrebDate).
 */
export const CROATIA = 'HR';
export const MIN_DEFAULT_PROFILE_AGE = 18;
export const MAX_SAVED_PROFILES = 10;

/** Full years between a date of birth and a day (a 29 February birthday counts on 1 March). */
export function ageOn(dateOfBirth: string, today: string): number {
  const years = Number(today.slice(0, 4)) - Number(dateOfBirth.slice(0, 4));
  return today.slice(5) < dateOfBirth.slice(5) ? years - 1 : years;
}

export interface IdentityFields {
  nationality: string;
  oib: string | null;
  passport_number: string | null;
}

/**
 * Croatians identify with their OIB, everyone else with a passport number. Returns the
 * field problem, or null when the document the nationality needs is present.
 */
export function identityDocumentProblem(p: IdentityFields): FieldError | null {
  if (p.nationality === CROATIA && !p.oib) {
    return { field: 'body.oib', message: 'is required for Croatian nationality' };
  }
  if (p.nationality !== CROATIA && !p.passport_number) {
    return { field: 'body.passport_number', message: 'is required for non-Croatian nationality' };
  }
  return null;
}

/** A date of birth that is a real day, not in the future and not absurdly far back. */
export function dateOfBirthProblem(dateOfBirth: string, today: string): FieldError | null {
  const parsed = new Date(`${dateOfBirth}T00:00:00Z`);
  if (Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== dateOfBirth) {
    return { field: 'body.date_of_birth', message: 'is not a calendar date' };
  }
  if (dateOfBirth > today) return { field: 'body.date_of_birth', message: 'is in the future' };
  if (ageOn(dateOfBirth, today) > 130) {
    return { field: 'body.date_of_birth', message: 'is too far in the past' };
  }
  return null;
}

export interface CompletenessFields extends IdentityFields {
  full_name: string | null;
  date_of_birth: string | null;
  email: string | null;
  phone: string | null;
}

/**
 * A profile is complete when everything a ticket purchase needs is filled: name, date of
 * birth, nationality, the identity document the nationality needs, email and phone.
 */
export function isProfileComplete(p: CompletenessFields): boolean {
  return (
    !!p.full_name?.trim() &&
    !!p.date_of_birth &&
    !!p.nationality &&
    identityDocumentProblem(p) === null &&
    !!p.email?.trim() &&
    !!p.phone?.trim()
  );
}

/** Passport numbers are compared and stored upper-case without spaces. */
export function normalizePassport(value: string): string {
  return value.replace(/\s+/g, '').toUpperCase();
}
