import type { AppDeps } from '../../deps.ts';
import { zagrebDate } from '../../platform/clock.ts';
import { getPiiCipher, maskLast4, type PiiCipher } from '../../platform/crypto.ts';
import type { Executor } from '../../platform/db/database.ts';
import { AppError, notFound } from '../../platform/errors.ts';
import { recordAudit } from '../audit/audit.service.ts';
import type {
  ProfileCreateInput,
  ProfileOut,
  ProfileUpdateInput,
  SavedProfileCreateInput,
  SavedProfileOut,
  SavedProfileUpdateInput,
} from './identity.schemas.ts';
import { isValidOib } from './oib.ts';
import {
  ageOn,
  dateOfBirthProblem,
  identityDocumentProblem,
  isProfileComplete,
  MAX_SAVED_PROFILES,
  MIN_DEFAULT_PROFILE_AGE,
  normalizePassport,
} from './profiles.rules.ts';
import * as repo from './profiles.repo.ts';
import { lockUser } from './users.repo.ts';

/**
 * The default ticketing profile (E1-F3) and saved profiles (E1-F4). OIB and passport
 * numbers are encrypted before they reach a repo and leave in responses masked to their
 * last 4 characters; every OIB uniqueness check goes through the blind index. A fan only
 * ever reaches their own rows: another user's saved profile id answers 404.
 */
type Deps = Pick<AppDeps, 'config' | 'db' | 'clock' | 'jobs'>;

export interface Actor {
  userId: string;
  context?: Record<string, unknown>;
}

/** A profile in clear, as the rules see it. */
interface Draft {
  full_name: string;
  date_of_birth: string;
  nationality: string;
  oib: string | null;
  passport_number: string | null;
  email: string | null;
  phone: string | null;
}

const blankToNull = (v: string | null | undefined) => (v?.trim() ? v.trim() : null);

function decode(pii: PiiCipher, row: repo.ProfileRow): Draft {
  return {
    full_name: row.full_name,
    date_of_birth: row.date_of_birth,
    nationality: row.nationality,
    oib: row.oib_encrypted ? pii.decrypt(row.oib_encrypted) : null,
    passport_number: row.passport_encrypted ? pii.decrypt(row.passport_encrypted) : null,
    email: row.email,
    phone: row.phone,
  };
}

function encode(pii: PiiCipher, d: Draft): repo.ProfileValues {
  return {
    full_name: d.full_name,
    date_of_birth: d.date_of_birth,
    nationality: d.nationality,
    oib_encrypted: d.oib ? pii.encrypt(d.oib) : null,
    oib_blind_index: d.oib ? pii.blindIndex(d.oib) : null,
    passport_encrypted: d.passport_number ? pii.encrypt(d.passport_number) : null,
    email: d.email,
    phone: d.phone,
  };
}

/** The fields a create body of either kind of profile carries. */
type CreateInput = Pick<
  ProfileCreateInput,
  'full_name' | 'date_of_birth' | 'nationality' | 'oib' | 'passport_number' | 'email' | 'phone'
>;
/** The fields an update body of either kind of profile may change. */
type UpdateInput = Pick<
  SavedProfileUpdateInput,
  'full_name' | 'date_of_birth' | 'nationality' | 'oib' | 'passport_number' | 'email' | 'phone'
>;

interface Rules {
  today: string;
  /** The default profile's age rule; saved profiles are for children too (null: none). */
  minAge: number | null;
  /** The default profile's OIB can be set once and never changed. */
  oibImmutable: boolean;
}

/** A new profile from a create body, checked against the rules and encrypted for the repo. */
function newDraft(
  pii: PiiCipher,
  input: CreateInput,
  defaultEmail: string | null,
  rules: Rules,
): { draft: Draft; values: repo.ProfileValues } {
  const draft: Draft = {
    full_name: input.full_name,
    date_of_birth: input.date_of_birth,
    nationality: input.nationality,
    oib: blankToNull(input.oib),
    passport_number: input.passport_number ? normalizePassport(input.passport_number) : null,
    email: (input.email ?? defaultEmail)?.toLowerCase() ?? null,
    phone: blankToNull(input.phone),
  };
  checkDraft(draft, rules.today, rules.minAge);
  return { draft, values: encode(pii, draft) };
}

/**
 * A stored profile with an update body applied, checked against the rules. `values` is the
 * fresh encoding (its blind index is what uniqueness checks look up); store it through
 * `keepStoredCiphertext`.
 */
function revisedDraft(
  pii: PiiCipher,
  row: repo.ProfileRow,
  input: UpdateInput,
  rules: Rules,
): { current: Draft; draft: Draft; values: repo.ProfileValues } {
  const current = decode(pii, row);
  let oib = current.oib;
  if (input.oib !== undefined) {
    const wanted = blankToNull(input.oib);
    if (rules.oibImmutable && current.oib !== null && wanted !== current.oib) {
      throw new AppError('OIB_IMMUTABLE', 'The OIB cannot be changed once it is set', {
        errors: [{ field: 'body.oib', message: 'is already set and cannot change' }],
      });
    }
    oib = wanted;
  }
  const draft = merge(current, input, oib);
  checkDraft(draft, rules.today, rules.minAge);
  return { current, draft, values: encode(pii, draft) };
}

/** Unchanged PII keeps its stored ciphertext (no needless re-encryption churn). */
function keepStoredCiphertext(
  values: repo.ProfileValues,
  row: repo.ProfileRow,
  current: Draft,
  draft: Draft,
): repo.ProfileValues {
  return {
    ...values,
    ...(draft.oib === current.oib
      ? { oib_encrypted: row.oib_encrypted, oib_blind_index: row.oib_blind_index }
      : {}),
    ...(draft.passport_number === current.passport_number
      ? { passport_encrypted: row.passport_encrypted }
      : {}),
  };
}

/** Every rule a profile must satisfy, in the order a fan would fix them. */
function checkDraft(d: Draft, today: string, minAge: number | null): void {
  const dob = dateOfBirthProblem(d.date_of_birth, today);
  if (dob) throw new AppError('UNPROCESSABLE', `date_of_birth ${dob.message}`, { errors: [dob] });
  if (d.oib !== null && !isValidOib(d.oib)) {
    throw new AppError('OIB_INVALID', 'The OIB must be 11 digits with a valid check digit', {
      errors: [{ field: 'body.oib', message: 'fails the ISO 7064 MOD 11,10 check' }],
    });
  }
  const document = identityDocumentProblem(d);
  if (document) {
    throw new AppError(
      'IDENTITY_DOCUMENT_REQUIRED',
      d.nationality === 'HR'
        ? 'An OIB is required for Croatian nationality'
        : 'A passport number is required for non-Croatian nationality',
      { errors: [document] },
    );
  }
  if (minAge !== null && ageOn(d.date_of_birth, today) < minAge) {
    throw new AppError(
      'AGE_REQUIREMENT_NOT_MET',
      `You must be at least ${minAge} years old to have a default ticketing profile`,
      {
        errors: [{ field: 'body.date_of_birth', message: `must be at least ${minAge} years ago` }],
        extra: { minimum_age: minAge },
      },
    );
  }
}

const isUniqueViolation = (err: unknown, constraint: string) =>
  (err as { code?: string }).code === '23505' &&
  (err as { constraint?: string }).constraint === constraint;

const masked = (d: Draft) => ({
  oib_masked: d.oib ? maskLast4(d.oib) : null,
  passport_number_masked: d.passport_number ? maskLast4(d.passport_number) : null,
});

/** The fields both kinds of profile answer, PII masked. */
const outFields = (row: repo.ProfileRow, d: Draft) => ({
  id: row.id,
  full_name: d.full_name,
  date_of_birth: d.date_of_birth,
  nationality: d.nationality,
  ...masked(d),
  email: d.email,
  phone: d.phone,
});

const timestamps = (row: repo.ProfileRow) => ({
  created_at: row.created_at.toISOString(),
  updated_at: row.updated_at.toISOString(),
});

function profileOut(row: repo.ProfileRow, d: Draft): ProfileOut {
  return { ...outFields(row, d), is_complete: isProfileComplete(d), ...timestamps(row) };
}

function savedProfileOut(row: repo.SavedProfileRow, d: Draft): SavedProfileOut {
  return { ...outFields(row, d), relationship: row.relationship, ...timestamps(row) };
}

/** Which fields changed, by name only: audit events never carry the values of PII. */
const changedFields = (before: Draft | null, after: Draft) =>
  (Object.keys(after) as (keyof Draft)[]).filter((k) => !before || before[k] !== after[k]);

async function audit(
  deps: Deps,
  trx: Executor,
  actor: Actor,
  action: string,
  subject: { type: string; id: string },
  fields: string[],
) {
  await recordAudit(deps, trx, {
    domain: 'profile',
    action,
    actor: { type: 'user', id: actor.userId },
    subject,
    changes: { fields },
    context: actor.context,
  });
}

// Default profile (E1-F3) -----------------------------------------------------------------

const defaultRules = (deps: Deps): Rules => ({
  today: zagrebDate(deps.clock.now()),
  minAge: MIN_DEFAULT_PROFILE_AGE,
  oibImmutable: true,
});

const profileNotFound = () =>
  new AppError(
    'PROFILE_NOT_FOUND',
    'You have no ticketing profile yet; create it with POST /users/me/profile',
  );

export async function getMyProfile(deps: Deps, userId: string): Promise<ProfileOut> {
  const row = await repo.findProfileByUserId(deps.db, userId);
  if (!row) throw profileNotFound();
  return profileOut(row, decode(getPiiCipher(deps.config), row));
}

export async function createMyProfile(
  deps: Deps,
  actor: Actor,
  input: ProfileCreateInput,
): Promise<ProfileOut> {
  const pii = getPiiCipher(deps.config);
  const rules = defaultRules(deps);
  return deps.db.transaction().execute(async (trx) => {
    // The user row lock serializes a user's concurrent POSTs.
    const user = await lockUser(trx, actor.userId);
    if (!user) throw notFound('User');
    if (await repo.findProfileByUserId(trx, actor.userId)) {
      throw new AppError(
        'PROFILE_EXISTS',
        'You already have a ticketing profile; change it with PUT /users/me/profile',
      );
    }
    const { draft, values } = newDraft(pii, input, user.email, rules);
    await ensureOibFree(trx, values.oib_blind_index, actor.userId);
    let row: repo.ProfileRow;
    try {
      row = await repo.insertProfile(trx, actor.userId, values);
    } catch (err) {
      throw mapProfileConflict(err);
    }
    await audit(
      deps,
      trx,
      actor,
      'profile_created',
      { type: 'profile', id: row.id },
      changedFields(null, draft),
    );
    return profileOut(row, draft);
  });
}

export async function updateMyProfile(
  deps: Deps,
  actor: Actor,
  input: ProfileUpdateInput,
): Promise<ProfileOut> {
  const pii = getPiiCipher(deps.config);
  const rules = defaultRules(deps);
  return deps.db.transaction().execute(async (trx) => {
    const row = await repo.findProfileByUserId(trx, actor.userId, { forUpdate: true });
    if (!row) throw profileNotFound();
    const { current, draft, values } = revisedDraft(pii, row, input, rules);
    if (current.oib === null) await ensureOibFree(trx, values.oib_blind_index, actor.userId);
    let updated: repo.ProfileRow;
    try {
      updated = await repo.updateProfile(
        trx,
        actor.userId,
        keepStoredCiphertext(values, row, current, draft),
      );
    } catch (err) {
      throw mapProfileConflict(err);
    }
    const fields = changedFields(current, draft);
    if (fields.length) {
      await audit(deps, trx, actor, 'profile_updated', { type: 'profile', id: row.id }, fields);
    }
    return profileOut(updated, draft);
  });
}

function merge(current: Draft, input: UpdateInput, oib: string | null): Draft {
  return {
    full_name: input.full_name ?? current.full_name,
    date_of_birth: input.date_of_birth ?? current.date_of_birth,
    nationality: input.nationality ?? current.nationality,
    oib,
    passport_number:
      input.passport_number === undefined
        ? current.passport_number
        : input.passport_number && normalizePassport(input.passport_number),
    email: input.email === undefined ? current.email : (input.email?.toLowerCase() ?? null),
    phone: input.phone === undefined ? current.phone : blankToNull(input.phone),
  };
}

const oibTaken = () =>
  new AppError('OIB_ALREADY_USED', 'This OIB is already used by another account', {
    errors: [{ field: 'body.oib', message: 'is already used by another account' }],
  });

/** Global OIB uniqueness across default profiles (one person, one fan account). */
async function ensureOibFree(trx: Executor, blindIndex: string | null, userId: string) {
  if (!blindIndex) return;
  const owner = await repo.findProfileOwnerByOibIndex(trx, blindIndex);
  if (owner && owner !== userId) throw oibTaken();
}

function mapProfileConflict(err: unknown): unknown {
  // Concurrent requests that passed the checks together: the constraints decide.
  if (isUniqueViolation(err, 'profiles_oib_blind_index_key')) return oibTaken();
  if (isUniqueViolation(err, 'profiles_user_id_key')) {
    return new AppError('PROFILE_EXISTS', 'You already have a ticketing profile');
  }
  return err;
}

// Saved profiles (E1-F4) ------------------------------------------------------------------

const savedRules = (deps: Deps): Rules => ({
  today: zagrebDate(deps.clock.now()),
  // Saved profiles are for children too: no age rule, the other rules apply.
  minAge: null,
  oibImmutable: false,
});

const savedNotFound = () => notFound('Saved profile');

const duplicateSavedOib = () =>
  new AppError('OIB_ALREADY_USED', 'Another of your saved profiles has this OIB', {
    errors: [{ field: 'body.oib', message: 'is already on another of your saved profiles' }],
  });

function mapSavedConflict(err: unknown): unknown {
  if (isUniqueViolation(err, 'saved_profiles_user_id_oib_blind_index_key')) {
    return duplicateSavedOib();
  }
  return err;
}

export async function listSavedProfiles(
  deps: Deps,
  userId: string,
  query: { page: number; limit: number },
) {
  const pii = getPiiCipher(deps.config);
  const rows = await repo.listSavedProfiles(deps.db, userId);
  const start = (query.page - 1) * query.limit;
  return {
    items: rows
      .slice(start, start + query.limit)
      .map((row) => savedProfileOut(row, decode(pii, row))),
    page: query.page,
    limit: query.limit,
    total: rows.length,
    max: MAX_SAVED_PROFILES,
  };
}

export async function getSavedProfile(
  deps: Deps,
  userId: string,
  id: string,
): Promise<SavedProfileOut> {
  const row = await repo.findSavedProfile(deps.db, userId, id);
  if (!row) throw savedNotFound();
  return savedProfileOut(row, decode(getPiiCipher(deps.config), row));
}

export async function createSavedProfile(
  deps: Deps,
  actor: Actor,
  input: SavedProfileCreateInput,
): Promise<SavedProfileOut> {
  const pii = getPiiCipher(deps.config);
  const rules = savedRules(deps);
  return deps.db.transaction().execute(async (trx) => {
    // The user row lock makes "count, then insert" safe against concurrent creations.
    if (!(await lockUser(trx, actor.userId))) throw notFound('User');
    if ((await repo.countSavedProfiles(trx, actor.userId)) >= MAX_SAVED_PROFILES) {
      throw new AppError(
        'SAVED_PROFILE_LIMIT_REACHED',
        `You can keep at most ${MAX_SAVED_PROFILES} saved profiles; delete one to add another`,
        { extra: { max: MAX_SAVED_PROFILES } },
      );
    }
    const { draft, values } = newDraft(pii, input, null, rules);
    if (
      values.oib_blind_index &&
      (await repo.findSavedProfileIdByOibIndex(trx, actor.userId, values.oib_blind_index))
    ) {
      throw duplicateSavedOib();
    }
    let row: repo.SavedProfileRow;
    try {
      row = await repo.insertSavedProfile(trx, actor.userId, {
        ...values,
        relationship: blankToNull(input.relationship),
      });
    } catch (err) {
      throw mapSavedConflict(err);
    }
    await audit(
      deps,
      trx,
      actor,
      'saved_profile_created',
      { type: 'saved_profile', id: row.id },
      changedFields(null, draft),
    );
    return savedProfileOut(row, draft);
  });
}

export async function updateSavedProfile(
  deps: Deps,
  actor: Actor,
  id: string,
  input: SavedProfileUpdateInput,
): Promise<SavedProfileOut> {
  const pii = getPiiCipher(deps.config);
  const rules = savedRules(deps);
  return deps.db.transaction().execute(async (trx) => {
    const row = await repo.findSavedProfile(trx, actor.userId, id, { forUpdate: true });
    if (!row) throw savedNotFound();
    const { current, draft, values } = revisedDraft(pii, row, input, rules);
    if (
      values.oib_blind_index &&
      draft.oib !== current.oib &&
      (await repo.findSavedProfileIdByOibIndex(trx, actor.userId, values.oib_blind_index, id))
    ) {
      throw duplicateSavedOib();
    }
    let updated: repo.SavedProfileRow;
    try {
      updated = await repo.updateSavedProfile(trx, actor.userId, id, {
        ...keepStoredCiphertext(values, row, current, draft),
        relationship:
          input.relationship === undefined ? row.relationship : blankToNull(input.relationship),
      });
    } catch (err) {
      throw mapSavedConflict(err);
    }
    const fields: string[] = changedFields(current, draft);
    if (updated.relationship !== row.relationship) fields.push('relationship');
    if (fields.length) {
      await audit(deps, trx, actor, 'saved_profile_updated', { type: 'saved_profile', id }, fields);
    }
    return savedProfileOut(updated, draft);
  });
}

export async function deleteSavedProfile(deps: Deps, actor: Actor, id: string): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    if (!(await repo.deleteSavedProfile(trx, actor.userId, id))) throw savedNotFound();
    await audit(deps, trx, actor, 'saved_profile_deleted', { type: 'saved_profile', id }, []);
  });
}
