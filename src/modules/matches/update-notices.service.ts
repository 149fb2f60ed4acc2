import type { AppDeps } from '../../deps.ts';
import type { Executor, Tx } from '../../platform/db/database.ts';
import { recordAudit } from '../audit/audit.service.ts';
import {
  sendEmails,
  sendPushes,
  type EmailRequest,
  type PushRequest,
} from '../notifications/notify.ts';
import { loadMatch, type MatchesDeps } from './match-changes.ts';
import {
  formatKickoff,
  localeOfNationality,
  noticeChanges,
  noticeSummary,
  type NoticeChanges,
} from './matches.rules.ts';
import type * as matchesRepo from './matches.repo.ts';
import { findStadium } from './stadium-config.repo.ts';
import * as repo from './update-notices.repo.ts';

/**
 * Match update notices (E2-F6). A change of kick-off, venue or status made with
 * `notification_preference = notify` writes a notice and its job in the change's own
 * transaction; the request answers at once. The job (runUpdateNotice) writes the people
 * to tell once, then tells them in batches, each batch one transaction that marks its
 * people told and writes their email and push into the outbox (the delivery loops send
 * at the providers' pace). A re-run or a retry tells nobody twice.
 */

export const MATCH_UPDATE_NOTICE_QUEUE = 'matches.update-notice';
export const NOTICE_BATCH_SIZE = 500;

type NoticeDeps = Pick<AppDeps, 'db' | 'jobs' | 'clock' | 'config'>;

const venueName = async (trx: Executor, venueId: string | null) =>
  venueId ? ((await findStadium(trx, venueId))?.name ?? null) : null;

/**
 * In the change's transaction: when the change is one fans are told about, the notice and
 * its job. Returns the notice id, or null when there is nothing to announce.
 */
export async function queueUpdateNotice(
  deps: MatchesDeps,
  trx: Tx,
  input: {
    before: matchesRepo.MatchRow;
    after: matchesRepo.MatchRow;
    auditLogIds: string[];
  },
): Promise<string | null> {
  const { before, after } = input;
  const venueChanged = before.venue_id !== after.venue_id;
  const changes = noticeChanges(
    {
      kick_off_time: before.kick_off_time,
      status: before.status,
      venue_name: venueChanged ? await venueName(trx, before.venue_id) : null,
    },
    {
      kick_off_time: after.kick_off_time,
      status: after.status,
      venue_name: venueChanged ? await venueName(trx, after.venue_id) : null,
    },
    venueChanged,
  );
  if (!changes) return null;
  const noticeId = await repo.insertNotice(trx, {
    match_id: after.id,
    audit_log_ids: input.auditLogIds,
    changes,
  });
  await deps.jobs.enqueue(trx, MATCH_UPDATE_NOTICE_QUEUE, { noticeId });
  return noticeId;
}

export interface NoticeRun {
  status: 'DONE' | 'SENDING' | 'MISSING';
  recipients: number;
  /** People this run told (0 on a re-run of a finished notice). */
  notified: number;
}

/** The job: writes the people once, tells them batch by batch, then marks the notice done. */
export async function runUpdateNotice(
  deps: NoticeDeps,
  noticeId: string,
  batchSize = NOTICE_BATCH_SIZE,
): Promise<NoticeRun> {
  const notice = await deps.db.transaction().execute(async (trx) => {
    const found = await repo.findNotice(trx, noticeId, { lock: true });
    // A cancellation's notice is told by the cancellation job (cancellation.service.ts).
    if (found?.kind === 'CANCELLATION') return undefined;
    if (!found || found.status !== 'PENDING') return found;
    const recipients = await repo.insertRecipients(trx, found.id, found.match_id);
    await repo.markNoticeSending(trx, found.id, recipients);
    return { ...found, status: 'SENDING', recipients };
  });
  if (!notice) return { status: 'MISSING', recipients: 0, notified: 0 };
  if (notice.status === 'DONE') {
    return { status: 'DONE', recipients: notice.recipients, notified: 0 };
  }

  const match = await loadMatch(deps.db, notice.match_id);
  const content = {
    matchName: `${match.home_team} – ${match.away_team}`,
    venue: await venueName(deps.db, match.venue_id),
    changes: notice.changes_json as NoticeChanges,
    kickOff: match.kick_off_time,
    matchUrl: `${deps.config.PUBLIC_BASE_URL}/matches/${match.id}`,
  };
  let notified = 0;
  for (;;) {
    const told = await deps.db.transaction().execute(async (trx) => {
      const people = await repo.takeRecipients(trx, noticeId, batchSize, deps.clock.now());
      const { emails, pushes } = messages(people, match.id, content);
      await sendEmails(deps, trx, emails);
      await sendPushes(deps, trx, pushes);
      return people.length;
    });
    if (told === 0) break;
    notified += told;
  }

  const done = await deps.db.transaction().execute(async (trx) => {
    const current = await repo.findNotice(trx, noticeId, { lock: true });
    if (!current || current.status === 'DONE') return true;
    // Another run of this notice still has a batch open: it finishes the notice.
    if ((await repo.countUntold(trx, noticeId)) > 0) return false;
    await repo.finishNotice(trx, current, deps.clock.now());
    await recordAudit(deps, trx, {
      domain: 'match',
      action: 'match_update_notified',
      actor: { type: 'system' },
      subject: { type: 'match', id: current.match_id },
      changes: {
        notice_id: current.id,
        audit_log_ids: current.audit_log_ids,
        recipients: current.recipients,
        changes: current.changes_json,
      },
    });
    return true;
  });
  return { status: done ? 'DONE' : 'SENDING', recipients: notice.recipients, notified };
}

/** One email per person, in their language, and one push per person with an account. */
function messages(
  people: repo.RecipientRow[],
  matchId: string,
  c: {
    matchName: string;
    venue: string | null;
    changes: NoticeChanges;
    kickOff: Date;
    matchUrl: string;
  },
): { emails: EmailRequest[]; pushes: PushRequest[] } {
  const emails: EmailRequest[] = [];
  const pushes: PushRequest[] = [];
  for (const person of people) {
    const locale = localeOfNationality(person.nationality);
    const summary = noticeSummary(locale, c.changes);
    emails.push({
      template_key: 'match_update',
      to: person.recipient_key,
      locale,
      variables: {
        customer_name: person.full_name ?? person.recipient_key,
        match_name: c.matchName,
        change_summary: summary,
        kickoff: formatKickoff(locale, c.kickOff),
        venue: c.venue ?? '—',
        match_url: c.matchUrl,
      },
    });
    if (person.user_id) {
      pushes.push({
        user_id: person.user_id,
        notification_type: 'match_update',
        title: locale === 'hr' ? `Promjena: ${c.matchName}` : `Update: ${c.matchName}`,
        body: summary,
        data: { match_id: matchId, deeplink: `hns://matches/${matchId}` },
        priority: 'HIGH',
      });
    }
  }
  return { emails, pushes };
}
