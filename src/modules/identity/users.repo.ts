import { sql } from 'kysely';
import type { Role } from '../../platform/auth/roles.ts';
import type { Executor } from '../../platform/db/database.ts';
import type { UserStatus } from '../../platform/db/types.generated.ts';

/** Local user records (E1-F1) and their roles. The only SQL on users and user_roles. */
export interface UserRow {
  id: string;
  drupal_user_id: string;
  email: string;
  status: UserStatus;
  sso_roles: Role[];
  created_at: Date;
  updated_at: Date;
}

// pg has no parser for arrays of our enum type: read app_role[] as text[].
const userColumns = [
  'id',
  'drupal_user_id',
  'email',
  'status',
  sql<Role[]>`sso_roles::text[]`.as('sso_roles'),
  'created_at',
  'updated_at',
] as const;

export async function findUserById(db: Executor, id: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').select(userColumns).where('id', '=', id).executeTakeFirst();
}

export async function findUserByEmail(db: Executor, email: string): Promise<UserRow | undefined> {
  return db
    .selectFrom('users')
    .select(userColumns)
    .where('email', '=', email.toLowerCase())
    .executeTakeFirst();
}

/** Row-locks the user: serializes a user's concurrent writes that must see each other. */
export async function lockUser(db: Executor, id: string): Promise<UserRow | undefined> {
  return db
    .selectFrom('users')
    .select(userColumns)
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();
}

export interface SsoUserFields {
  drupal_user_id: string;
  email: string;
  status: UserStatus;
  sso_roles: Role[];
}

/**
 * Creates the user on first login or refreshes the synced fields, in one statement so two
 * concurrent first logins of the same Drupal user cannot both insert.
 */
export async function upsertSsoUser(db: Executor, fields: SsoUserFields): Promise<UserRow> {
  const roles = sql<Role[]>`${sql.val(fields.sso_roles)}::app_role[]`;
  return db
    .insertInto('users')
    .values({
      drupal_user_id: fields.drupal_user_id,
      email: fields.email.toLowerCase(),
      status: fields.status,
      sso_roles: roles,
    })
    .onConflict((oc) =>
      oc.column('drupal_user_id').doUpdateSet({
        email: fields.email.toLowerCase(),
        status: fields.status,
        sso_roles: roles,
      }),
    )
    .returning(userColumns)
    .executeTakeFirstOrThrow();
}

/** Inserts a user directly (test factories, CLI tools); logins go through upsertSsoUser. */
export async function insertUser(
  db: Executor,
  fields: { drupal_user_id: string; email: string; status?: UserStatus },
): Promise<UserRow> {
  return db
    .insertInto('users')
    .values({ ...fields, email: fields.email.toLowerCase() })
    .returning(userColumns)
    .executeTakeFirstOrThrow();
}

/** Roles granted locally (CLI, admin API). */
export async function listGrantedRoles(db: Executor, userId: string): Promise<Role[]> {
  const rows = await db
    .selectFrom('user_roles')
    .select('role')
    .where('user_id', '=', userId)
    .orderBy('role')
    .execute();
  return rows.map((r) => r.role).sort();
}

/** Grants the roles not yet held; returns how many were new. */
export async function grantRoles(
  db: Executor,
  userId: string,
  roles: readonly Role[],
  grantedBy: string | null,
): Promise<number> {
  if (roles.length === 0) return 0;
  const result = await db
    .insertInto('user_roles')
    .values(roles.map((role) => ({ user_id: userId, role, granted_by: grantedBy })))
    .onConflict((oc) => oc.columns(['user_id', 'role']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0);
}

/** Removes the given roles; returns how many were actually held. */
export async function revokeRoles(
  db: Executor,
  userId: string,
  roles: readonly Role[],
): Promise<number> {
  if (roles.length === 0) return 0;
  const result = await db
    .deleteFrom('user_roles')
    .where('user_id', '=', userId)
    .where('role', 'in', roles)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** The user's language for pushes and emails (users.locale). */
export async function setUserLocale(db: Executor, userId: string, locale: 'hr' | 'en') {
  await db.updateTable('users').set({ locale }).where('id', '=', userId).execute();
}
