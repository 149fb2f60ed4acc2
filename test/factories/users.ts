import { randomUUID } from 'node:crypto';
import type { AppDeps } from '../../src/deps.ts';
import type { Role } from '../../src/platform/auth/roles.ts';
import { effectiveRoles } from '../../src/modules/identity/roles.rules.ts';
import { grantRoles, insertUser } from '../../src/modules/identity/users.repo.ts';

export interface TestUser {
  id: string;
  email: string;
  /** A valid access token (deps.tokens) carrying the user's roles, FAN included. */
  token: string;
}

/**
 * A real user row (users + user_roles) and an access token for it, as if the user had
 * logged in through Drupal. Every user is a FAN; `roles` adds local grants.
 */
export async function createUser(
  deps: Pick<AppDeps, 'db' | 'tokens'>,
  options: { email?: string; roles?: Role[] } = {},
): Promise<TestUser> {
  const suffix = randomUUID();
  const email = (options.email ?? `fan-${suffix}@example.test`).toLowerCase();
  const roles = options.roles ?? ['FAN'];
  const user = await deps.db.transaction().execute(async (trx) => {
    const row = await insertUser(trx, { drupal_user_id: `test-${suffix}`, email });
    await grantRoles(trx, row.id, roles, null);
    return row;
  });
  const token = await deps.tokens.sign({ userId: user.id, roles: effectiveRoles(roles, []) });
  return { id: user.id, email, token };
}

/**
 * A new access token for the user, valid from the clock's now: a test that moves the fake
 * clock days ahead (past the token's TTL) signs in again, as the app would.
 */
export async function freshToken(
  deps: Pick<AppDeps, 'tokens'>,
  user: Pick<TestUser, 'id'>,
  roles: Role[] = ['FAN'],
): Promise<string> {
  return deps.tokens.sign({ userId: user.id, roles: effectiveRoles(roles, []) });
}
