import { describe, expect, it } from 'vitest';
import { runSessionPurge } from '../../src/modules/identity/identity.jobs.ts';
import { insertSession, rotateSessionToken } from '../../src/modules/identity/sessions.repo.ts';
import { createUser } from '../factories/users.ts';
import { useTestContext } from '../harness/context.ts';

const t = useTestContext();
const DAY = 86_400_000;

describe('session purge job', () => {
  it('deletes sessions dead for more than 30 days, with their rotated tokens, and keeps the rest', async () => {
    const user = await createUser(t.deps);
    const now = t.clock.now().getTime();
    const make = (hash: string, expiresAt: number) =>
      insertSession(t.deps.db, {
        user_id: user.id,
        refresh_token_hash: hash,
        device_id: 'd',
        expires_at: new Date(expiresAt),
      });
    const oldExpired = await make('h-old-expired', now - 31 * DAY);
    await rotateSessionToken(
      t.deps.db,
      oldExpired,
      'h-old-expired-2',
      new Date(now - 40 * DAY),
      new Date(now - 31 * DAY),
    );
    const recentExpired = await make('h-recent-expired', now - 5 * DAY);
    const live = await make('h-live', now + 5 * DAY);
    const oldRevoked = await make('h-old-revoked', now + 5 * DAY);
    await t.deps.db
      .updateTable('sessions')
      .set({ revoked_at: new Date(now - 31 * DAY), revoked_reason: 'logout' })
      .where('id', '=', oldRevoked.id)
      .execute();

    expect(await runSessionPurge(t.deps)).toBe(2);
    const left = await t.deps.db
      .selectFrom('sessions')
      .select('id')
      .where('user_id', '=', user.id)
      .execute();
    expect(left.map((r) => r.id).sort()).toEqual([recentExpired.id, live.id].sort());
    const rotated = await t.deps.db
      .selectFrom('session_rotated_tokens')
      .selectAll()
      .where('session_id', '=', oldExpired.id)
      .execute();
    expect(rotated).toEqual([]);
    expect(await runSessionPurge(t.deps)).toBe(0);
  });
});
