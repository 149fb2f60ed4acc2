import type { Role } from '../../platform/auth/roles.ts';
import type { Executor } from '../../platform/db/database.ts';

/**
 * Roles derived from what a user owns elsewhere, added to the token at login and refresh
 * (the same SSO as the app; no separate login). A module that derives a role registers a
 * source when it is loaded (src/modules/index.ts loads it), so identity imports none of
 * them: quotas derives QUOTA_HOLDER from the quotas and sub-quotas addressed to the user's
 * email (E7-F4).
 */
export type RoleSource = (db: Executor, user: { id: string; email: string }) => Promise<Role[]>;

const sources: RoleSource[] = [];

export function registerRoleSource(source: RoleSource): void {
  if (!sources.includes(source)) sources.push(source);
}

export async function derivedRoles(
  db: Executor,
  user: { id: string; email: string },
): Promise<Role[]> {
  const roles: Role[] = [];
  for (const source of sources) roles.push(...(await source(db, user)));
  return roles;
}
