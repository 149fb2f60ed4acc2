import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { expect } from 'vitest';
import type { AppDeps } from '../../src/deps.ts';
import type { TestContext } from '../harness/context.ts';

/** Test data for the waiting room: users and matches written straight to the database. */

export async function createUsers(deps: Pick<AppDeps, 'db'>, count: number): Promise<string[]> {
  const tag = randomUUID().slice(0, 8);
  const rows = await sql<{ id: string }>`
    INSERT INTO users (drupal_user_id, email)
    SELECT 'q-' || ${tag} || '-' || g, 'q-' || ${tag} || '-' || g || '@example.test'
    FROM generate_series(1, ${count}::int) AS g
    ORDER BY g
    RETURNING id`.execute(deps.db);
  return rows.rows.map((r) => r.id);
}

/** The fans join the match's line through the API, one after another (in this order). */
export async function joinInOrder(t: TestContext, matchId: string, users: readonly string[]) {
  for (const u of users) {
    const r = await t.request({
      method: 'POST',
      url: `/queue/${matchId}/join`,
      token: await t.token(u),
    });
    expect(r.statusCode).toBe(201);
  }
}

export interface MatchOptions {
  status?: 'DRAFT' | 'PUBLISHED' | 'ACTIVE' | 'CLOSED';
  /** Phase start relative to now (ms); default: started a minute ago. */
  startsInMs?: number;
  /** Phase length (ms); default 2 hours. */
  durationMs?: number;
  /** No sales phase at all. */
  noPhase?: boolean;
}

export async function createMatch(
  deps: Pick<AppDeps, 'db' | 'clock'>,
  options: MatchOptions = {},
): Promise<string> {
  const now = deps.clock.now().getTime();
  const match = await deps.db
    .insertInto('matches')
    .values({
      home_team: 'Hrvatska',
      away_team: 'Francuska',
      competition: 'UEFA Nations League',
      kick_off_time: new Date(now + 30 * 86_400_000),
      match_type: 'HOME',
      status: options.status ?? 'PUBLISHED',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  if (!options.noPhase) {
    const start = now + (options.startsInMs ?? -60_000);
    await deps.db
      .insertInto('sales_phases')
      .values({
        match_id: match.id,
        phase_type: 'GENERAL_PUBLIC',
        name: 'General sale',
        start_at: new Date(start),
        end_at: new Date(start + (options.durationMs ?? 2 * 3_600_000)),
      })
      .execute();
  }
  return match.id;
}

/**
 * The pushes of this type queued so far (optionally for one match), one per push: read from
 * the notifications outbox, where a push has one push_logs row per device (or one without).
 */
export async function pushJobs(
  deps: Pick<AppDeps, 'db'>,
  notificationType: string,
  matchId?: string,
): Promise<Array<{ user_id: string; title: string; body: string; data: Record<string, string> }>> {
  const rows = await sql<{
    user_id: string;
    title: string;
    body: string;
    data: Record<string, string>;
  }>`
    SELECT DISTINCT ON (job_id) user_id, title, body, data_json AS data FROM push_logs
    WHERE notification_type = ${notificationType}
      AND (${matchId ?? null}::text IS NULL OR data_json->>'match_id' = ${matchId ?? null})
    ORDER BY job_id`.execute(deps.db);
  return rows.rows;
}

export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('condition not met in time');
}
