/** Staff and fan roles, stored per user in `user_roles`. SUPER_ADMIN passes every role check. */
export const ROLES = [
  'FAN',
  'MATCH_MANAGER',
  'SUPER_ADMIN',
  'SUPPORT_AGENT',
  'SUPPORT_SUPERVISOR',
  'FINANCE',
  'PETROL_STAFF',
  // a quota portal user (E7-F4): derived from quota ownership at login (modules/quotas)
  'QUOTA_HOLDER',
] as const;

export type Role = (typeof ROLES)[number];

/**
 * Who may call a route, declared on every route as `config: { access }`:
 * - 'public': anyone, no token needed;
 * - 'authenticated': any logged-in user (ownership is then checked by the service);
 * - a list of roles: a user holding at least one of them (or SUPER_ADMIN).
 */
export type Access = 'public' | 'authenticated' | readonly Role[];

export function hasAccess(access: Access, roles: readonly Role[]): boolean {
  if (access === 'public' || access === 'authenticated') return true;
  if (roles.includes('SUPER_ADMIN')) return true;
  return access.some((r) => roles.includes(r));
}
