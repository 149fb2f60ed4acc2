import type { Executor } from '../../platform/db/database.ts';

/**
 * The SQL of the notifications module lives in one repo per channel: `email.repo.ts`
 * (templates, email_logs) and `push.repo.ts` (tokens, push_logs). This file has what
 * spans both outboxes and re-exports the two for callers that use both.
 */
export * from './email.repo.ts';
export * from './push.repo.ts';

/**
 * Rows still to deliver in an outbox (email_logs or push_logs): the backlog, for the
 * metrics gauge and for tests that wait for a drain.
 */
export async function countPendingDeliveries(
  db: Executor,
  outbox: 'email_logs' | 'push_logs',
): Promise<number> {
  const row = await db
    .selectFrom(outbox)
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('next_attempt_at', 'is not', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
