import { sql, type Selectable } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type { PushLogs, PushTokens } from '../../platform/db/types.generated.ts';

/** SQL of push: device tokens and the push outbox (push_logs). */

export type PushTokenRow = Selectable<PushTokens>;
export type PushLogRow = Selectable<PushLogs>;
export type PushStatus = PushLogRow['status'];

// Push tokens ------------------------------------------------------------------------------

export async function userExists(db: Executor, userId: string): Promise<boolean> {
  return !!(await db.selectFrom('users').select('id').where('id', '=', userId).executeTakeFirst());
}

/** Registers a device for a user; a device registered before (by anyone) moves to this user. */
export async function upsertPushToken(
  db: Executor,
  row: {
    user_id: string;
    device_id: string;
    fcm_token: string;
    platform: 'IOS' | 'ANDROID';
    now: Date;
  },
): Promise<PushTokenRow> {
  return db
    .insertInto('push_tokens')
    .values({
      user_id: row.user_id,
      device_id: row.device_id,
      fcm_token: row.fcm_token,
      platform: row.platform,
      is_active: true,
      last_used_at: row.now,
    })
    .onConflict((oc) =>
      oc.column('device_id').doUpdateSet({
        user_id: row.user_id,
        fcm_token: row.fcm_token,
        platform: row.platform,
        is_active: true,
        last_used_at: row.now,
      }),
    )
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function deletePushToken(
  db: Executor,
  userId: string,
  deviceId: string,
): Promise<boolean> {
  const result = await db
    .deleteFrom('push_tokens')
    .where('user_id', '=', userId)
    .where('device_id', '=', deviceId)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** Marks tokens FCM no longer knows as inactive (each only if it still holds that token). */
export async function deactivatePushTokens(
  db: Executor,
  tokens: ReadonlyArray<{ id: string; fcm_token: string }>,
): Promise<void> {
  if (tokens.length === 0) return;
  await sql`
    UPDATE push_tokens AS t SET is_active = false
    FROM unnest(${sql.val(tokens.map((x) => x.id))}::uuid[],
                ${sql.val(tokens.map((x) => x.fcm_token))}::text[]) AS v(id, fcm_token)
    WHERE t.id = v.id AND t.fcm_token = v.fcm_token`.execute(db);
}

/** Records that these devices received a push. */
export async function touchPushTokens(
  db: Executor,
  ids: readonly string[],
  now: Date,
): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('push_tokens')
    .set({ last_used_at: now })
    .where('id', '=', sql<string>`ANY(${sql.val(ids)}::uuid[])`)
    .execute();
}

// Push logs --------------------------------------------------------------------------------

/** A push to write into the outbox; `job_id` names the notification (new when absent). */
export interface NewPush {
  job_id?: string;
  user_id: string;
  notification_type: string;
  title: string;
  body: string;
  data_json: Record<string, string>;
  priority: 'NORMAL' | 'HIGH';
}

export const NO_DEVICE = 'user has no active push token';

/**
 * Writes pushes into the outbox with one statement whatever their number: one row per push
 * and active device of its user, QUEUED and due at `now`, or for a user without an active
 * device one FAILED row without a device (nothing to deliver). The pushes of one call each
 * get their own notification id (job_id), shared by their rows. The pushes travel as one
 * JSON parameter, so no number of them hits the bind parameter limit.
 *
 * A push that names its id (one moved from a previous release's job) may have rows already
 * (unique job_id + push_token_id, NULLS NOT DISTINCT): they are kept, a SENT one is not
 * sent again, and one that release failed and was still retrying is made due again.
 */
export async function insertPushes(
  db: Executor,
  pushes: readonly NewPush[],
  now: Date,
): Promise<void> {
  if (pushes.length === 0) return;
  // Materialised: one id per push, not one per device row of the join.
  await sql`
    WITH p AS MATERIALIZED (
      SELECT COALESCE(v.job_id, gen_random_uuid()) AS job_id, v.user_id, v.notification_type,
             v.title, v.body, v.data_json, v.priority
        FROM jsonb_to_recordset(${JSON.stringify(pushes)}::jsonb) AS v(
               job_id uuid, user_id uuid, notification_type text, title text, body text,
               data_json jsonb, priority push_priority))
    INSERT INTO push_logs AS l (user_id, job_id, push_token_id, notification_type, title, body,
                                data_json, priority, status, error_message, next_attempt_at)
    SELECT p.user_id, p.job_id, t.id, p.notification_type, p.title, p.body, p.data_json,
           p.priority,
           CASE WHEN t.id IS NULL THEN 'FAILED' ELSE 'QUEUED' END::push_status,
           CASE WHEN t.id IS NULL THEN ${NO_DEVICE} END,
           CASE WHEN t.id IS NOT NULL THEN ${now}::timestamptz END
      FROM p LEFT JOIN push_tokens t ON t.user_id = p.user_id AND t.is_active
    ON CONFLICT (job_id, push_token_id) DO UPDATE SET next_attempt_at = EXCLUDED.next_attempt_at
     WHERE l.status <> 'SENT' AND l.next_attempt_at IS NULL
       AND EXCLUDED.next_attempt_at IS NOT NULL`.execute(db);
}

/** A leased push row with the device it names (null fields: the token row is gone). */
export interface LeasedPush extends PushLogRow {
  fcm_token: string | null;
  token_user_id: string | null;
  token_active: boolean | null;
}

/**
 * Leases up to `limit` due push rows for one delivery batch, with one statement: the oldest
 * due rows no other worker is leasing (FOR UPDATE SKIP LOCKED) are moved to `leaseUntil`,
 * so a worker that dies mid-batch leaves them to be delivered again when the lease ends.
 * Each comes with its device's current token, owner and state. A due row already SENT
 * leaves the outbox instead; the caller skips it.
 */
export async function leaseDuePushes(
  db: Executor,
  now: Date,
  leaseUntil: Date,
  limit: number,
): Promise<LeasedPush[]> {
  const { rows } = await sql<LeasedPush>`
    WITH leased AS (
      UPDATE push_logs
         SET next_attempt_at = CASE WHEN status = 'SENT' THEN NULL
                                    ELSE ${leaseUntil}::timestamptz END
       WHERE id IN (SELECT id FROM push_logs
                     WHERE next_attempt_at <= ${now}
                     ORDER BY next_attempt_at
                     LIMIT ${limit}
                       FOR UPDATE SKIP LOCKED)
      RETURNING *)
    SELECT leased.*, t.fcm_token, t.user_id AS token_user_id, t.is_active AS token_active
      FROM leased LEFT JOIN push_tokens t ON t.id = leased.push_token_id`.execute(db);
  return rows;
}

export interface PushAttempt {
  id: string;
  status: 'SENT' | 'FAILED';
  attempts: number;
  /** The next try; null when nothing is left to do (sent, given up, or no retry fixes it). */
  next_attempt_at: Date | null;
  /** Left as it is when absent (a failed attempt keeps the row's message id and sent_at). */
  fcm_message_id?: string;
  sent_at?: Date;
  error_message: string | null;
}

/** Writes the outcome of a batch's delivery attempts, one log row each, with one statement. */
export async function markPushAttempts(
  db: Executor,
  attempts: readonly PushAttempt[],
): Promise<void> {
  if (attempts.length === 0) return;
  await sql`
    UPDATE push_logs AS l
       SET status = v.status, attempts = v.attempts, error_message = v.error_message,
           next_attempt_at = v.next_attempt_at,
           fcm_message_id = COALESCE(v.fcm_message_id, l.fcm_message_id),
           sent_at = COALESCE(v.sent_at, l.sent_at)
      FROM jsonb_to_recordset(${JSON.stringify(attempts)}::jsonb) AS v(
             id uuid, status push_status, attempts integer, next_attempt_at timestamptz,
             fcm_message_id text, sent_at timestamptz, error_message text)
     WHERE l.id = v.id`.execute(db);
}

/** For tests and support tooling: the logs of one user, newest first. */
export async function pushLogsOfUser(db: Executor, userId: string): Promise<PushLogRow[]> {
  return db
    .selectFrom('push_logs')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('created_at', 'desc')
    .execute();
}
