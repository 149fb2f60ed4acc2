import type { Executor } from '../../platform/db/database.ts';
import { AppError, notFound } from '../../platform/errors.ts';
import { registerRoleSource } from '../identity/role-sources.ts';
import { findUserById } from '../identity/users.repo.ts';
import { findQuota, holdsLiveQuota, type QuotaRow } from './quotas.repo.ts';

/**
 * Who is a quota holder (E7-F4). Holders log in with the same SSO as the app; their token
 * carries QUOTA_HOLDER when a live quota or sub-quota is addressed to their email (derived
 * at login and refresh, registered here with identity), so a quota created later reaches the
 * token at the next refresh (≤ 15 minutes) or login. The role only opens the portal: every
 * portal use case checks that the quota is the caller's own and answers 404 otherwise, so
 * quota ids do not leak.
 */
registerRoleSource(async (db, user) =>
  (await holdsLiveQuota(db, user.email)) ? ['QUOTA_HOLDER'] : [],
);

/** The caller's email (the portal identifies holders by it). */
export async function holderEmail(db: Executor, userId: string): Promise<string> {
  const user = await findUserById(db, userId);
  if (!user) throw new AppError('UNAUTHENTICATED');
  return user.email;
}

/** The caller's own quota (addressed to their email), else 404. */
export async function ownQuota(
  db: Executor,
  userId: string,
  quotaId: string,
  options: { forUpdate?: boolean } = {},
): Promise<QuotaRow> {
  const email = await holderEmail(db, userId);
  const quota = await findQuota(db, quotaId, options);
  if (!quota || quota.recipient_email !== email) throw notFound('Quota');
  return quota;
}
