import type { Role } from '../../platform/auth/roles.ts';

/**
 * A user's effective roles: FAN for everyone, the roles granted locally (user_roles) and
 * the roles Drupal grants through DRUPAL_ROLE_MAP (refreshed at each login). Sorted and
 * without duplicates, so tokens and responses are stable.
 */
export function effectiveRoles(granted: readonly Role[], sso: readonly Role[]): Role[] {
  return [...new Set<Role>(['FAN', ...granted, ...sso])].sort();
}

/** Drupal role names → our roles through the configured map; unknown names are ignored. */
export function mapDrupalRoles(drupalRoles: readonly string[], map: Record<string, Role>): Role[] {
  const mapped = new Set<Role>();
  for (const name of drupalRoles) {
    const role = Object.hasOwn(map, name) ? map[name] : undefined;
    if (role) mapped.add(role);
  }
  return [...mapped].sort();
}
