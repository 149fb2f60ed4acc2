import type { AppDeps } from '../../deps.ts';
import type { Executor } from '../../platform/db/database.ts';
import { sendPushes } from '../notifications/notify.ts';
import { redisRemove } from './queue.redis.ts';
import * as repo from './queue.repo.ts';
import { forgetSaleInfo, publishChange } from './queue.service.ts';

/**
 * Closing a match's waiting room for good (a cancelled match, E2-F7): in the caller's
 * transaction the room is switched off and every waiting or admitted fan leaves the line
 * (LEFT) and is told by push; after the commit, the Redis line lets them go and the
 * WebSocket hubs are told. Joining is refused afterwards by the match status
 * (`saleState`: only PUBLISHED and ACTIVE matches queue).
 */

export async function closeWaitingRoom(
  deps: Pick<AppDeps, 'clock' | 'config'>,
  trx: Executor,
  input: { matchId: string; matchName: string; by: string | null },
): Promise<string[]> {
  await repo.disableQueue(trx, input.matchId, {
    admission_rate_per_minute: deps.config.QUEUE_ADMISSION_RATE_PER_MINUTE,
    max_active_buyers: deps.config.QUEUE_MAX_ACTIVE_BUYERS,
    updated_by: input.by,
  });
  const userIds = await repo.leaveAll(trx, input.matchId);
  await sendPushes(
    deps,
    trx,
    userIds.map((userId) => ({
      user_id: userId,
      notification_type: 'queue_closed',
      title: 'Utakmica je otkazana / Match cancelled',
      body:
        `${input.matchName}: prodaja je zatvorena, red čekanja je zatvoren. / ` +
        'The sale is closed and the waiting room with it.',
      data: { match_id: input.matchId, deeplink: `hns://matches/${input.matchId}` },
      priority: 'HIGH' as const,
    })),
  );
  return userIds;
}

/** After the closing transaction committed: Redis forgets the line's fans. */
export async function afterWaitingRoomClosed(
  deps: Pick<AppDeps, 'db' | 'redis' | 'config'>,
  matchId: string,
  userIds: readonly string[],
): Promise<void> {
  forgetSaleInfo(deps, matchId);
  for (let i = 0; i < userIds.length; i += 500) {
    await redisRemove(deps.redis, matchId, 'drop', 0, userIds.slice(i, i + 500));
  }
  await publishChange(deps, matchId);
}
