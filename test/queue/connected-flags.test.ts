import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { setConnectedMany } from '../../src/modules/queue/queue.repo.ts';
import { useTestContext } from '../harness/context.ts';
import { createMatch, createUsers, joinInOrder } from './helpers.ts';

const t = useTestContext();

/** The row version (xmin) and flag of each fan's entry. */
async function entries(matchId: string) {
  const { rows } = await sql<{ user_id: string; version: string; is_connected: boolean }>`
    SELECT user_id, xmin::text AS version, is_connected FROM queue_entries
     WHERE match_id = ${matchId} ORDER BY user_id`.execute(t.deps.db);
  return rows;
}

describe('queue connection flags', () => {
  it('rewrites only the entries whose flag changes', async () => {
    const matchId = await createMatch(t.deps);
    const users = await createUsers(t.deps, 3);
    await joinInOrder(t, matchId, users);
    const joined = await entries(matchId);
    expect(joined.every((e) => e.is_connected)).toBe(true);

    // Sockets opening after the join: the flags are already true, no row is rewritten.
    await setConnectedMany(t.deps.db, matchId, users, true);
    expect(await entries(matchId)).toEqual(joined);

    // One fan's socket closes: only that entry changes.
    await setConnectedMany(t.deps.db, matchId, [users[0]!], false);
    const after = await entries(matchId);
    const [gone] = after.filter((e) => e.user_id === users[0]);
    expect(gone).toMatchObject({ is_connected: false });
    expect(gone!.version).not.toBe(joined.find((e) => e.user_id === users[0])!.version);
    expect(after.filter((e) => e.user_id !== users[0])).toEqual(
      joined.filter((e) => e.user_id !== users[0]),
    );
  });
});
