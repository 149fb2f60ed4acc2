import type { Executor } from '../../platform/db/database.ts';

/**
 * The only SQL on profiles (E1-F3) and saved_profiles (E1-F4). Rows carry ciphertexts and
 * blind indexes; encryption happens in the service, never here.
 */
export interface ProfileRow {
  id: string;
  user_id: string;
  full_name: string;
  date_of_birth: string;
  nationality: string;
  oib_encrypted: string | null;
  oib_blind_index: string | null;
  passport_encrypted: string | null;
  email: string | null;
  phone: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface SavedProfileRow extends ProfileRow {
  relationship: string | null;
}

export type ProfileValues = Omit<ProfileRow, 'id' | 'user_id' | 'created_at' | 'updated_at'>;
export type SavedProfileValues = Omit<
  SavedProfileRow,
  'id' | 'user_id' | 'created_at' | 'updated_at'
>;

// Default profile -------------------------------------------------------------------------

export async function findProfileByUserId(
  db: Executor,
  userId: string,
  options: { forUpdate?: boolean } = {},
): Promise<ProfileRow | undefined> {
  let query = db.selectFrom('profiles').selectAll().where('user_id', '=', userId);
  if (options.forUpdate) query = query.forUpdate();
  return query.executeTakeFirst();
}

/** The user whose default profile carries this OIB (by blind index), if any. */
export async function findProfileOwnerByOibIndex(
  db: Executor,
  oibBlindIndex: string,
): Promise<string | undefined> {
  const row = await db
    .selectFrom('profiles')
    .select('user_id')
    .where('oib_blind_index', '=', oibBlindIndex)
    .executeTakeFirst();
  return row?.user_id;
}

export async function insertProfile(
  db: Executor,
  userId: string,
  values: ProfileValues,
): Promise<ProfileRow> {
  return db
    .insertInto('profiles')
    .values({ ...values, user_id: userId })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function updateProfile(
  db: Executor,
  userId: string,
  values: ProfileValues,
): Promise<ProfileRow> {
  return db
    .updateTable('profiles')
    .set(values)
    .where('user_id', '=', userId)
    .returningAll()
    .executeTakeFirstOrThrow();
}

// Saved profiles --------------------------------------------------------------------------

export async function listSavedProfiles(db: Executor, userId: string): Promise<SavedProfileRow[]> {
  return db
    .selectFrom('saved_profiles')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

export async function countSavedProfiles(db: Executor, userId: string): Promise<number> {
  const row = await db
    .selectFrom('saved_profiles')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** A saved profile of this user; another user's id finds nothing (callers answer 404). */
export async function findSavedProfile(
  db: Executor,
  userId: string,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<SavedProfileRow | undefined> {
  let query = db
    .selectFrom('saved_profiles')
    .selectAll()
    .where('user_id', '=', userId)
    .where('id', '=', id);
  if (options.forUpdate) query = query.forUpdate();
  return query.executeTakeFirst();
}

/** Another saved profile of this user with the same OIB (by blind index). */
export async function findSavedProfileIdByOibIndex(
  db: Executor,
  userId: string,
  oibBlindIndex: string,
  exceptId?: string,
): Promise<string | undefined> {
  let query = db
    .selectFrom('saved_profiles')
    .select('id')
    .where('user_id', '=', userId)
    .where('oib_blind_index', '=', oibBlindIndex);
  if (exceptId) query = query.where('id', '<>', exceptId);
  return (await query.executeTakeFirst())?.id;
}

export async function insertSavedProfile(
  db: Executor,
  userId: string,
  values: SavedProfileValues,
): Promise<SavedProfileRow> {
  return db
    .insertInto('saved_profiles')
    .values({ ...values, user_id: userId })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function updateSavedProfile(
  db: Executor,
  userId: string,
  id: string,
  values: SavedProfileValues,
): Promise<SavedProfileRow> {
  return db
    .updateTable('saved_profiles')
    .set(values)
    .where('user_id', '=', userId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function deleteSavedProfile(
  db: Executor,
  userId: string,
  id: string,
): Promise<boolean> {
  const result = await db
    .deleteFrom('saved_profiles')
    .where('user_id', '=', userId)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
