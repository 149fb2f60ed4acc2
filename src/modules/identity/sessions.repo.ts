import type { Executor } from '../../platform/db/database.ts';

/** The only SQL on sessions and session_rotated_tokens (E1-F2). Hashes only, never tokens. */
export interface SessionRow {
  id: string;
  user_id: string;
  refresh_token_hash: string;
  device_id: string;
  expires_at: Date;
  created_at: Date;
  rotated_at: Date | null;
  revoked_at: Date | null;
  revoked_reason: string | null;
}

export type RevokeReason = 'logout' | 'reuse_detected' | 'user_suspended' | 'user_blacklisted';

export async function insertSession(
  db: Executor,
  values: { user_id: string; refresh_token_hash: string; device_id: string; expires_at: Date },
): Promise<SessionRow> {
  return db.insertInto('sessions').values(values).returningAll().executeTakeFirstOrThrow();
}

/** The session whose current refresh token has this hash, row-locked for rotation. */
export async function lockSessionByTokenHash(
  db: Executor,
  hash: string,
): Promise<SessionRow | undefined> {
  return db
    .selectFrom('sessions')
    .selectAll()
    .where('refresh_token_hash', '=', hash)
    .forUpdate()
    .executeTakeFirst();
}

/** The session a rotated (already used) refresh token belonged to. */
export async function findSessionIdByRotatedHash(
  db: Executor,
  hash: string,
): Promise<string | undefined> {
  const row = await db
    .selectFrom('session_rotated_tokens')
    .select('session_id')
    .where('refresh_token_hash', '=', hash)
    .executeTakeFirst();
  return row?.session_id;
}

/** Replaces the refresh token, remembering the old hash for reuse detection. */
export async function rotateSessionToken(
  db: Executor,
  session: Pick<SessionRow, 'id' | 'refresh_token_hash'>,
  newHash: string,
  at: Date,
  expiresAt: Date,
): Promise<void> {
  await db
    .insertInto('session_rotated_tokens')
    .values({
      refresh_token_hash: session.refresh_token_hash,
      session_id: session.id,
      rotated_at: at,
    })
    .execute();
  await db
    .updateTable('sessions')
    .set({ refresh_token_hash: newHash, rotated_at: at, expires_at: expiresAt })
    .where('id', '=', session.id)
    .execute();
}

/** Revokes a live session; true when it was live. */
export async function revokeSession(
  db: Executor,
  sessionId: string,
  reason: RevokeReason,
  at: Date,
  userId?: string,
): Promise<boolean> {
  let query = db
    .updateTable('sessions')
    .set({ revoked_at: at, revoked_reason: reason })
    .where('id', '=', sessionId)
    .where('revoked_at', 'is', null);
  if (userId) query = query.where('user_id', '=', userId);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Sessions revoked after `since` (the partial index on revoked_at): the revocation sync. */
export async function listSessionsRevokedSince(
  db: Executor,
  since: Date,
): Promise<Array<{ id: string; revoked_at: Date }>> {
  return db
    .selectFrom('sessions')
    .select(['id', 'revoked_at'])
    .where('revoked_at', '>', since)
    .$narrowType<{ revoked_at: Date }>()
    .execute();
}

/** Revokes every live session of a user (suspension, blacklisting); returns their ids. */
export async function revokeUserSessions(
  db: Executor,
  userId: string,
  reason: RevokeReason,
  at: Date,
): Promise<string[]> {
  const rows = await db
    .updateTable('sessions')
    .set({ revoked_at: at, revoked_reason: reason })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .returning('id')
    .execute();
  return rows.map((r) => r.id);
}

/**
 * Deletes up to `limit` sessions that expired or were revoked before `before` (their rotated
 * token hashes go with them, ON DELETE CASCADE). Returns how many were deleted.
 */
export async function purgeSessions(db: Executor, before: Date, limit: number): Promise<number> {
  const result = await db
    .deleteFrom('sessions')
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('sessions')
        .select('id')
        .where((w) => w.or([w('expires_at', '<', before), w('revoked_at', '<', before)]))
        .limit(limit),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
