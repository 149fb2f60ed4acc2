import type { AppDeps } from '../../deps.ts';
import type { Executor } from '../../platform/db/database.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { sendPushes, type Locale } from '../notifications/notify.ts';
import { awardMatchPoints, findMatchNames } from './award.repo.ts';

/**
 * The points award after a match (E6-F3): closing a match queues it in the closing
 * transaction (enqueueMatchAward); the job awards 1 point per ATTENDED ticket whose holder
 * OIB is a fan account's, and tells each fan awarded, in their language, in the same
 * transaction as the points. Idempotent: a re-run (a retried job, a second enqueue) finds
 * the points written and sends nothing.
 */

export const LOYALTY_AWARD_QUEUE = 'loyalty.award-match-points';

export interface AwardJob {
  match_id: string;
}

export async function enqueueMatchAward(
  deps: Pick<AppDeps, 'jobs'>,
  trx: Executor,
  matchId: string,
): Promise<void> {
  await deps.jobs.enqueue<AwardJob>(trx, LOYALTY_AWARD_QUEUE, { match_id: matchId });
}

const PUSH_TEXT: Record<Locale, (match: string) => { title: string; body: string }> = {
  hr: (match) => ({
    title: 'Osvojili ste 1 bod',
    body: `${match}: 1 bod vjernosti za vaš dolazak na utakmicu.`,
  }),
  en: (match) => ({
    title: 'You earned 1 point',
    body: `${match}: 1 loyalty point for attending the match.`,
  }),
};

/** The push a fan gets for a point (exported for the tests of both languages). */
export const pointPush = (locale: Locale, matchName: string) => PUSH_TEXT[locale](matchName);

export async function runMatchAward(
  deps: Pick<AppDeps, 'db' | 'clock'>,
  matchId: string,
): Promise<{ awarded: number }> {
  return deps.db.transaction().execute(async (trx) => {
    const awarded = await awardMatchPoints(trx, matchId);
    if (awarded.length === 0) return { awarded: 0 };
    const names = await findMatchNames(trx, matchId);
    const matchName = names ? `${names.home_team} – ${names.away_team}` : '';
    await sendPushes(
      deps,
      trx,
      awarded.map((fan) => ({
        user_id: fan.user_id,
        notification_type: 'loyalty_point_earned',
        ...pointPush(fan.locale, matchName),
        data: { deeplink: 'hns://loyalty', match_id: matchId },
      })),
    );
    await recordAudit(deps, trx, {
      domain: 'loyalty',
      action: 'match_points_awarded',
      actor: { type: 'system' },
      subject: { type: 'match', id: matchId },
      changes: { fans_awarded: awarded.length },
    });
    return { awarded: awarded.length };
  });
}
