import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type { MatchStatus, QueueStatus } from '../../platform/db/types.generated.ts';

/** The only SQL of the waiting room: queue_entries, queue_settings, and what it reads of matches. */

export interface QueueEntryRow {
  id: string;
  user_id: string;
  match_id: string;
  position: number;
  status: QueueStatus;
  joined_at: Date;
  window_started_at: Date | null;
  window_expires_at: Date | null;
  last_heartbeat: Date;
  grace_period_expires_at: Date;
  is_connected: boolean;
  completed_at: Date | null;
}

export interface QueueSettingsRow {
  match_id: string;
  enabled: boolean;
  admission_rate_per_minute: number;
  max_active_buyers: number;
  paused: boolean;
  shuffled_at: Date | null;
}

export interface PhaseWindow {
  start_at: Date;
  end_at: Date;
}

export interface MatchSaleInfo {
  id: string;
  status: MatchStatus;
  phases: PhaseWindow[];
  settings: QueueSettingsRow | null;
}

const entryColumns = [
  'id',
  'user_id',
  'match_id',
  sql<number>`position`.as('position'),
  'status',
  'joined_at',
  'window_started_at',
  'window_expires_at',
  'last_heartbeat',
  'grace_period_expires_at',
  'is_connected',
  'completed_at',
] as const;

const settingsColumns = [
  'match_id',
  'enabled',
  'admission_rate_per_minute',
  'max_active_buyers',
  'paused',
  'shuffled_at',
] as const;

/** The match, its active sales phases (by start) and its waiting-room settings, or undefined. */
export async function findMatchSaleInfo(
  db: Executor,
  matchId: string,
): Promise<MatchSaleInfo | undefined> {
  const match = await db
    .selectFrom('matches')
    .select(['id', 'status'])
    .where('id', '=', matchId)
    .executeTakeFirst();
  if (!match) return undefined;
  const [phases, settings] = await Promise.all([
    db
      .selectFrom('sales_phases')
      .select(['start_at', 'end_at'])
      .where('match_id', '=', matchId)
      .where('is_active', '=', true)
      .orderBy('start_at')
      .execute(),
    findSettings(db, matchId),
  ]);
  return { ...match, phases, settings: settings ?? null };
}

export async function findSettings(
  db: Executor,
  matchId: string,
): Promise<QueueSettingsRow | undefined> {
  return db
    .selectFrom('queue_settings')
    .select(settingsColumns)
    .where('match_id', '=', matchId)
    .executeTakeFirst();
}

/** Creates or changes a match's settings; returns the row after the change. */
export async function upsertSettings(
  db: Executor,
  row: Omit<QueueSettingsRow, 'shuffled_at'> & { updated_by: string | null },
): Promise<QueueSettingsRow> {
  return db
    .insertInto('queue_settings')
    .values(row)
    .onConflict((oc) =>
      oc.column('match_id').doUpdateSet({
        enabled: row.enabled,
        admission_rate_per_minute: row.admission_rate_per_minute,
        max_active_buyers: row.max_active_buyers,
        paused: row.paused,
        updated_by: row.updated_by,
      }),
    )
    .returning(settingsColumns)
    .executeTakeFirstOrThrow();
}

/** Records the fair-start shuffle, creating the settings row with the defaults if needed. */
export async function markShuffled(
  db: Executor,
  matchId: string,
  defaults: { admission_rate_per_minute: number; max_active_buyers: number },
  at: Date,
): Promise<void> {
  await db
    .insertInto('queue_settings')
    .values({ match_id: matchId, ...defaults, shuffled_at: at })
    .onConflict((oc) => oc.column('match_id').doUpdateSet({ shuffled_at: at }))
    .execute();
}

/** Locks the settings row of a match (serialises admin changes with each other). */
export async function lockSettings(db: Executor, matchId: string): Promise<void> {
  await db
    .selectFrom('queue_settings')
    .select('match_id')
    .where('match_id', '=', matchId)
    .forUpdate()
    .execute();
}

/** Does the match have at least one active sales phase? (Default for `enabled`.) */
export async function hasSalesPhase(db: Executor, matchId: string): Promise<boolean> {
  const row = await db
    .selectFrom('sales_phases')
    .select('id')
    .where('match_id', '=', matchId)
    .where('is_active', '=', true)
    .limit(1)
    .executeTakeFirst();
  return !!row;
}

export async function findEntry(
  db: Executor,
  userId: string,
  matchId: string,
): Promise<QueueEntryRow | undefined> {
  return db
    .selectFrom('queue_entries')
    .select(entryColumns)
    .where('user_id', '=', userId)
    .where('match_id', '=', matchId)
    .executeTakeFirst();
}

export async function findEntries(
  db: Executor,
  matchId: string,
  userIds: readonly string[],
): Promise<QueueEntryRow[]> {
  if (userIds.length === 0) return [];
  return db
    .selectFrom('queue_entries')
    .select(entryColumns)
    .where('match_id', '=', matchId)
    .where('user_id', '=', sql<string>`ANY(${sql.val(userIds)}::uuid[])`)
    .execute();
}

export interface WaitingEntryInput {
  user_id: string;
  match_id: string;
  position: number;
  joined_at: Date;
  grace_period_expires_at: Date;
}

/**
 * Writes fans' places in the line, many in one statement: a new row, or a fresh start for
 * a row that left, expired, or lost its place (a WAITING row whose Redis place is gone).
 * ACTIVE and COMPLETED rows are left alone and not returned (the caller reads them). The
 * entries must name distinct (user_id, match_id) pairs.
 */
export async function upsertWaitingEntries(
  db: Executor,
  entries: readonly WaitingEntryInput[],
): Promise<Array<{ user_id: string; match_id: string }>> {
  if (entries.length === 0) return [];
  return db
    .insertInto('queue_entries')
    .values(
      entries.map((e) => ({
        ...e,
        status: 'WAITING' as const,
        last_heartbeat: e.joined_at,
        is_connected: true,
      })),
    )
    .onConflict((oc) =>
      oc
        .columns(['user_id', 'match_id'])
        .doUpdateSet((eb) => ({
          position: eb.ref('excluded.position'),
          status: 'WAITING',
          joined_at: eb.ref('excluded.joined_at'),
          window_started_at: null,
          window_expires_at: null,
          last_heartbeat: eb.ref('excluded.last_heartbeat'),
          grace_period_expires_at: eb.ref('excluded.grace_period_expires_at'),
          is_connected: true,
          completed_at: null,
          slot_released_at: null,
        }))
        .where('queue_entries.status', 'not in', ['ACTIVE', 'COMPLETED']),
    )
    .returning(['user_id', 'match_id'])
    .execute();
}

/**
 * A fan whose queued purchase is complete joins again (they may still buy): the entry
 * starts over at the end of the line, as a left or expired one does. Only a COMPLETED row
 * changes; false when it is no longer COMPLETED.
 */
export async function reopenCompletedEntry(db: Executor, e: WaitingEntryInput): Promise<boolean> {
  const row = await db
    .updateTable('queue_entries')
    .set({
      position: e.position,
      status: 'WAITING',
      joined_at: e.joined_at,
      window_started_at: null,
      window_expires_at: null,
      last_heartbeat: e.joined_at,
      grace_period_expires_at: e.grace_period_expires_at,
      is_connected: true,
      completed_at: null,
      slot_released_at: null,
    })
    .where('user_id', '=', e.user_id)
    .where('match_id', '=', e.match_id)
    .where('status', '=', 'COMPLETED')
    .returning('id')
    .executeTakeFirst();
  return !!row;
}

export async function touchEntry(
  db: Executor,
  userId: string,
  matchId: string,
  at: Date,
  graceExpiresAt: Date,
  connected: boolean,
): Promise<void> {
  await db
    .updateTable('queue_entries')
    .set({ last_heartbeat: at, grace_period_expires_at: graceExpiresAt, is_connected: connected })
    .where('user_id', '=', userId)
    .where('match_id', '=', matchId)
    .where('status', 'in', ['WAITING', 'ACTIVE'])
    .execute();
}

export async function setConnectedMany(
  db: Executor,
  matchId: string,
  userIds: readonly string[],
  connected: boolean,
): Promise<void> {
  if (userIds.length === 0) return;
  await db
    .updateTable('queue_entries')
    .set({ is_connected: connected })
    .where('match_id', '=', matchId)
    .where('user_id', '=', sql<string>`ANY(${sql.val(userIds)}::uuid[])`)
    .where('status', 'in', ['WAITING', 'ACTIVE'])
    // Most flags are already so (a join saves true, a socket moving to another instance
    // saves true again): rewriting them cost a row version and its WAL each, ~5 % of
    // PostgreSQL's time in the Poljud on-sale.
    .where('is_connected', '!=', connected)
    .execute();
}

/** A fan leaves (or loses their place): WAITING or ACTIVE becomes LEFT. */
export async function markLeft(
  db: Executor,
  matchId: string,
  userIds: readonly string[],
  from: readonly QueueStatus[] = ['WAITING', 'ACTIVE'],
): Promise<string[]> {
  if (userIds.length === 0) return [];
  const rows = await db
    .updateTable('queue_entries')
    .set({ status: 'LEFT', is_connected: false })
    .where('match_id', '=', matchId)
    .where('user_id', '=', sql<string>`ANY(${sql.val(userIds)}::uuid[])`)
    .where('status', 'in', from)
    .returning('user_id')
    .execute();
  return rows.map((r) => r.user_id);
}

/** The waiting room of a cancelled match is switched off (created off when it had none). */
export async function disableQueue(
  db: Executor,
  matchId: string,
  defaults: {
    admission_rate_per_minute: number;
    max_active_buyers: number;
    updated_by: string | null;
  },
): Promise<void> {
  await db
    .insertInto('queue_settings')
    .values({ match_id: matchId, enabled: false, paused: false, ...defaults })
    .onConflict((oc) =>
      oc.column('match_id').doUpdateSet({ enabled: false, updated_by: defaults.updated_by }),
    )
    .execute();
}

/** Every waiting or admitted fan of the match leaves the line (LEFT); returns whose. */
export async function leaveAll(db: Executor, matchId: string): Promise<string[]> {
  const rows = await db
    .updateTable('queue_entries')
    .set({ status: 'LEFT', is_connected: false })
    .where('match_id', '=', matchId)
    .where('status', 'in', ['WAITING', 'ACTIVE'])
    .returning('user_id')
    .execute();
  return rows.map((r) => r.user_id);
}

/** Opens the purchase window of these WAITING fans; returns who was admitted. */
export async function activateEntries(
  db: Executor,
  matchId: string,
  userIds: readonly string[],
  startedAt: Date,
  expiresAt: Date,
): Promise<string[]> {
  if (userIds.length === 0) return [];
  const rows = await db
    .updateTable('queue_entries')
    .set({ status: 'ACTIVE', window_started_at: startedAt, window_expires_at: expiresAt })
    .where('match_id', '=', matchId)
    .where('user_id', '=', sql<string>`ANY(${sql.val(userIds)}::uuid[])`)
    .where('status', '=', 'WAITING')
    .returning('user_id')
    .execute();
  return rows.map((r) => r.user_id);
}

/** Ends every purchase window of the match that is over; returns whose. */
export async function expireWindows(db: Executor, matchId: string, now: Date): Promise<string[]> {
  const rows = await db
    .updateTable('queue_entries')
    .set({ status: 'EXPIRED', is_connected: false })
    .where('match_id', '=', matchId)
    .where('status', '=', 'ACTIVE')
    .where('window_expires_at', '<=', now)
    .returning('user_id')
    .execute();
  return rows.map((r) => r.user_id);
}

/**
 * Completes a paid order and the fan's purchase in the waiting room in one statement (the
 * payment webhook's hot path): the queue entry, if ACTIVE or EXPIRED (the payment finished
 * after the window), becomes COMPLETED, and the order becomes COMPLETED, linked to that
 * entry when there is one.
 */
export async function completePurchase(
  db: Executor,
  input: { orderId: string; userId: string; matchId: string; at: Date },
): Promise<void> {
  await sql`
    WITH entry AS (
      UPDATE queue_entries
         SET status = 'COMPLETED', completed_at = ${input.at}
       WHERE user_id = ${input.userId} AND match_id = ${input.matchId}
         AND status IN ('ACTIVE', 'EXPIRED')
      RETURNING id
    )
    UPDATE orders
       SET status = 'COMPLETED', completed_at = ${input.at},
           queue_entry_id = coalesce((SELECT id FROM entry), queue_entry_id)
     WHERE id = ${input.orderId}`.execute(db);
}

/**
 * Fans counting against the cap of active buyers: admitted, window open, and buying:
 * holding a live cart or an open order of the match, or admitted less than `idleMs` ago
 * and not having given the slot back by emptying their cart (`releaseSlots`). A fan who
 * was admitted and has not taken a seat by then (closed the app, phone locked), or who
 * emptied their cart, stops counting, so a round admits the next fan in their place; they
 * keep their window, and when they come back and take seats they count again, as any
 * buyer holding seats. The carts and orders are read here, as completeOrderPurchase writes
 * the order: the purchase contract (queue.admission.ts).
 */
export async function countActive(
  db: Executor,
  matchId: string,
  now: Date,
  idleMs: number,
): Promise<number> {
  const idleSince = new Date(now.getTime() - idleMs);
  const { rows } = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM queue_entries q
     WHERE q.match_id = ${matchId} AND q.status = 'ACTIVE'
       AND q.window_expires_at > ${now}
       AND ((q.slot_released_at IS NULL AND q.window_started_at > ${idleSince})
            OR EXISTS (SELECT 1 FROM carts c
                        WHERE c.user_id = q.user_id AND c.match_id = q.match_id
                          AND c.status = 'ACTIVE' AND c.expires_at > ${now})
            OR EXISTS (SELECT 1 FROM orders o
                        WHERE o.user_id = q.user_id AND o.match_id = q.match_id
                          AND o.status IN ('PENDING', 'PAYMENT_PENDING', 'PAYMENT_FAILED')))`.execute(
    db,
  );
  return rows[0]!.n;
}

/** The fan's ACTIVE entries of these matches stop counting against the cap (see migration). */
export async function releaseSlots(
  db: Executor,
  userId: string,
  matchIds: readonly string[],
  now: Date,
): Promise<void> {
  if (matchIds.length === 0) return;
  await db
    .updateTable('queue_entries')
    .set({ slot_released_at: now })
    .where('user_id', '=', userId)
    .where('match_id', 'in', matchIds)
    .where('status', '=', 'ACTIVE')
    .where('slot_released_at', 'is', null)
    .execute();
}

export async function countByStatus(
  db: Executor,
  matchId: string,
): Promise<Record<QueueStatus, number>> {
  const rows = await db
    .selectFrom('queue_entries')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('match_id', '=', matchId)
    .groupBy('status')
    .execute();
  const counts: Record<QueueStatus, number> = {
    WAITING: 0,
    ACTIVE: 0,
    EXPIRED: 0,
    COMPLETED: 0,
    LEFT: 0,
  };
  for (const r of rows) counts[r.status] = Number(r.n);
  return counts;
}

/** Writes new line numbers after the fair-start shuffle (only for entries still WAITING). */
export async function reassignPositions(
  db: Executor,
  matchId: string,
  userIds: readonly string[],
  positions: readonly number[],
): Promise<void> {
  if (userIds.length === 0) return;
  await sql`
    UPDATE queue_entries AS q SET position = v.position
    FROM unnest(${sql.val(userIds)}::uuid[], ${sql.val(positions)}::bigint[]) AS v(user_id, position)
    WHERE q.match_id = ${matchId} AND q.user_id = v.user_id AND q.status = 'WAITING'`.execute(db);
}

/**
 * Matches the admission worker looks after: on sale now or within the pre-queue window
 * (PUBLISHED/ACTIVE with a phase around now), plus any with a purchase window still open.
 */
export async function matchesToTend(
  db: Executor,
  now: Date,
  preQueueMs: number,
): Promise<string[]> {
  const horizon = new Date(now.getTime() + preQueueMs);
  const rows = await sql<{ match_id: string }>`
    SELECT DISTINCT p.match_id FROM sales_phases p JOIN matches m ON m.id = p.match_id
    WHERE p.is_active AND p.start_at <= ${horizon} AND p.end_at > ${now}
      AND m.status IN ('PUBLISHED', 'ACTIVE')
    UNION
    SELECT DISTINCT match_id FROM queue_entries WHERE status = 'ACTIVE'`.execute(db);
  return rows.rows.map((r) => r.match_id);
}

export interface LineSnapshot {
  /** The WAITING fans in line order (their line numbers). */
  waiting: { user_id: string; position: number; joined_at: Date }[];
  /** The highest line number handed out (any status): new joins go after it. */
  max_position: number;
  /** The highest line number of a fan who joined before the opening (the shuffle's limit). */
  preopen_position: number;
  /** Entries that were admitted at some point. */
  admitted: number;
}

/** What the Redis line of a match is rebuilt from when Redis lost it (queue.recovery.ts). */
export async function lineSnapshot(
  db: Executor,
  matchId: string,
  opensAt: Date | null,
): Promise<LineSnapshot> {
  const [waiting, totals] = await Promise.all([
    db
      .selectFrom('queue_entries')
      .select(['user_id', sql<number>`position`.as('position'), 'joined_at'])
      .where('match_id', '=', matchId)
      .where('status', '=', 'WAITING')
      .orderBy('position')
      .orderBy('user_id')
      .execute(),
    db
      .selectFrom('queue_entries')
      .select([
        sql<number>`coalesce(max(position), 0)`.as('max_position'),
        sql<number>`coalesce(max(position) FILTER (WHERE joined_at < ${opensAt ?? new Date(0)}), 0)`.as(
          'preopen_position',
        ),
        sql<number>`count(*) FILTER (WHERE window_started_at IS NOT NULL)`.as('admitted'),
      ])
      .where('match_id', '=', matchId)
      .executeTakeFirstOrThrow(),
  ]);
  return { waiting, ...totals };
}
