import type { AppDeps } from '../../deps.ts';
import type { DrupalIdentity } from '../../platform/adapters/drupal/drupal-sso.ts';
import { AppError } from '../../platform/errors.ts';
import type { Executor } from '../../platform/db/database.ts';
import { mapDrupalRoles } from './roles.rules.ts';
import { upsertSsoUser, type UserRow } from './users.repo.ts';

/**
 * DrupalUserSyncService (E1-F1): the local user record follows Drupal. The first login
 * creates it (keyed by drupal_user_id); every login re-syncs email, status (blocked in
 * Drupal → suspended here, unblocked → active) and the roles Drupal grants through
 * DRUPAL_ROLE_MAP. Runs inside the caller's transaction.
 */
export async function syncDrupalUser(
  deps: Pick<AppDeps, 'config'>,
  trx: Executor,
  identity: DrupalIdentity,
): Promise<UserRow> {
  try {
    return await upsertSsoUser(trx, {
      drupal_user_id: identity.drupal_user_id,
      email: identity.email,
      status: identity.blocked ? 'suspended' : 'active',
      sso_roles: mapDrupalRoles(identity.roles, deps.config.DRUPAL_ROLE_MAP),
    });
  } catch (err) {
    // Drupal keeps emails unique, so this only happens when another local user still holds
    // an email its Drupal account gave up and has not logged in since to sync the change.
    if ((err as { constraint?: string }).constraint === 'users_email_key') {
      throw new AppError(
        'CONFLICT',
        'Another ticketing account still uses this email address; contact support',
        { cause: err },
      );
    }
    throw err;
  }
}
