import type { AppDeps } from '../../deps.ts';
import type { Role } from '../../platform/auth/roles.ts';
import { AppError, notFound } from '../../platform/errors.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { effectiveRoles } from './roles.rules.ts';
import {
  findUserByEmail,
  grantRoles,
  listGrantedRoles,
  lockUser,
  revokeRoles,
  type UserRow,
} from './users.repo.ts';

/**
 * Local role management (E1 roles): the first SUPER_ADMIN is granted from the CLI, later
 * grants through GET/PUT /admin/users/{id}/roles. FAN is implicit for everyone and Drupal's
 * roles (DRUPAL_ROLE_MAP) are synced at login; both are shown but not managed here.
 * Changes reach a user's access token at their next refresh or login.
 */
type Deps = Pick<AppDeps, 'db' | 'jobs' | 'clock'>;

export interface UserRoles {
  user_id: string;
  email: string;
  /** What the user's tokens carry: FAN + granted + sso. */
  roles: Role[];
  /** Granted locally (CLI, this API). */
  granted: Role[];
  /** Granted by Drupal through DRUPAL_ROLE_MAP at the last login. */
  sso: Role[];
}

const view = (user: UserRow, granted: Role[]): UserRoles => ({
  user_id: user.id,
  email: user.email,
  roles: effectiveRoles(granted, user.sso_roles),
  granted,
  sso: [...user.sso_roles].sort(),
});

export async function getUserRoles(deps: Pick<AppDeps, 'db'>, userId: string): Promise<UserRoles> {
  return deps.db.transaction().execute(async (trx) => {
    const user = await lockUser(trx, userId);
    if (!user) throw notFound('User');
    return view(user, await listGrantedRoles(trx, userId));
  });
}

/** PUT: the locally granted roles become exactly `roles` (FAN is implicit and ignored). */
export async function setUserRoles(
  deps: Deps,
  actorId: string,
  userId: string,
  roles: readonly Role[],
): Promise<UserRoles> {
  const wanted = [...new Set(roles.filter((r) => r !== 'FAN'))].sort();
  return deps.db.transaction().execute(async (trx) => {
    const user = await lockUser(trx, userId);
    if (!user) throw notFound('User');
    const before = await listGrantedRoles(trx, userId);
    if (userId === actorId && before.includes('SUPER_ADMIN') && !wanted.includes('SUPER_ADMIN')) {
      // Someone must be left able to manage roles; another SUPER_ADMIN can do it.
      throw new AppError('CONFLICT', 'You cannot remove your own SUPER_ADMIN role');
    }
    const added = wanted.filter((r) => !before.includes(r));
    const removed = before.filter((r) => r !== 'FAN' && !wanted.includes(r));
    await grantRoles(trx, userId, added, actorId);
    await revokeRoles(trx, userId, removed);
    if (added.length || removed.length) {
      await recordAudit(deps, trx, {
        domain: 'auth',
        action: 'roles_changed',
        actor: { type: 'user', id: actorId },
        subject: { type: 'user', id: userId },
        changes: { before, after: wanted, added, removed },
      });
    }
    // A FAN row granted by older tooling stays; it changes nothing since FAN is implicit.
    return view(user, await listGrantedRoles(trx, userId));
  });
}

/** CLI `admin grant|revoke <email> <ROLE>`: the user must have logged in once. */
export async function changeRoleByEmail(
  deps: Deps,
  action: 'grant' | 'revoke',
  email: string,
  role: Role,
): Promise<UserRoles> {
  return deps.db.transaction().execute(async (trx) => {
    const found = await findUserByEmail(trx, email);
    if (!found) {
      throw new AppError(
        'NOT_FOUND',
        `No user with email ${email}: the user must log in once through Drupal first`,
      );
    }
    const user = (await lockUser(trx, found.id))!;
    const changed =
      action === 'grant'
        ? (await grantRoles(trx, user.id, [role], null)) > 0
        : (await revokeRoles(trx, user.id, [role])) > 0;
    if (changed) {
      await recordAudit(deps, trx, {
        domain: 'auth',
        action: action === 'grant' ? 'role_granted' : 'role_revoked',
        actor: { type: 'system', id: 'cli' },
        subject: { type: 'user', id: user.id },
        changes: { role },
      });
    }
    return view(user, await listGrantedRoles(trx, user.id));
  });
}
