import type { AppDeps } from '../../deps.ts';
import type { Executor } from '../../platform/db/database.ts';
import { AppError, notFound, type FieldError } from '../../platform/errors.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { findUserByEmail } from '../identity/users.repo.ts';
import { sendEmail, sendPush } from '../notifications/notify.ts';
import { freeSeatsOf } from './claims.repo.ts';
import { seatDetails } from '../inventory/quota-seats.repo.ts';
import { subquotaCounts } from './portal.service.ts';
import { holderEmail, ownQuota } from './quota-access.ts';
import { formatKickoff, matchName, portalUrl } from './quota-links.ts';
import { findMatchOfQuota, listQuotaSeats } from './quotas.repo.ts';
import {
  delegateQuotaSeats,
  findSubquota,
  insertSubquota,
  listSubquotasOfQuota,
  retractSubquotaSeats,
} from './subquotas.repo.ts';

/**
 * Sub-quotas (E7-F6): a holder whose quota allows it passes seats on to someone else, who
 * claims them in the portal like a quota. A seat is in at most one sub-quota: the UNIQUE
 * constraint on subquota_seats.quota_seat_id decides between concurrent creations (one
 * winner, the other 409), and the delegation only takes ALLOCATED seats of no sub-quota.
 * The seats stay ALLOCATED in the inventory throughout (they never leave the quota).
 */
type Deps = Pick<AppDeps, 'db' | 'clock' | 'jobs' | 'config'>;

const isUniqueViolation = (err: unknown, constraint: string) =>
  (err as { code?: string }).code === '23505' &&
  (err as { constraint?: string }).constraint === constraint;

type SubquotaRow = NonNullable<Awaited<ReturnType<typeof findSubquota>>>;

async function subquotaViews(db: Executor, quotaId: string, subs: SubquotaRow[]) {
  const seats = await listQuotaSeats(db, [quotaId]);
  const inSubs = seats.filter((s) => s.subquota_id !== null);
  const details = new Map(
    (
      await seatDetails(
        db,
        inSubs.map((s) => s.match_seat_inventory_id),
      )
    ).map((d) => [d.inventory_id, d]),
  );
  return subs.map((sub) => {
    const own = inSubs.filter((s) => s.subquota_id === sub.id);
    return {
      id: sub.id,
      parent_quota_id: sub.parent_quota_id,
      recipient_email: sub.recipient_email,
      recipient_name: sub.recipient_name,
      internal_note: sub.internal_note,
      quantity: sub.quantity,
      status: sub.status,
      expires_at: sub.expires_at?.toISOString() ?? null,
      created_at: sub.created_at.toISOString(),
      claimed_at: sub.claimed_at?.toISOString() ?? null,
      retracted_at: sub.retracted_at?.toISOString() ?? null,
      counts: subquotaCounts(own),
      seats: own.map((s) => {
        const d = details.get(s.match_seat_inventory_id)!;
        return {
          quota_seat_id: s.id,
          status: s.status,
          sector_code: d.sector_code,
          row: d.row_identifier,
          seat_number: d.seat_number,
          subquota_id: s.subquota_id,
        };
      }),
    };
  });
}

/** POST /quota-portal/quotas/{id}/subquotas (E7-F6). */
export async function createSubquota(
  deps: Deps,
  userId: string,
  quotaId: string,
  body: {
    recipient_email: string;
    recipient_name?: string | null;
    internal_note?: string | null;
    quota_seat_ids?: string[];
    quantity?: number;
    expires_at?: string | null;
  },
) {
  const now = deps.clock.now();
  try {
    return await deps.db.transaction().execute(async (trx) => {
      const quota = await ownQuota(trx, userId, quotaId);
      if (!quota.can_create_subquotas) throw new AppError('SUBQUOTAS_NOT_ALLOWED');
      const match = (await findMatchOfQuota(trx, quota.match_id))!;
      const deadline = quota.expiration_date ?? match.kick_off_time;
      if (quota.status !== 'ACTIVE' || deadline <= now) {
        throw new AppError('QUOTA_CLOSED', `The quota is ${quota.status} or past its deadline`);
      }
      const expiresAt = body.expires_at ? new Date(body.expires_at) : deadline;
      if (expiresAt <= now || expiresAt > deadline) {
        throw new AppError('VALIDATION_FAILED', 'The expiry is not valid', {
          errors: [
            {
              field: 'body.expires_at',
              message: "must be in the future and by the quota's deadline",
            },
          ],
        });
      }
      const free = await freeSeatsOf(trx, { quotaId, subquotaId: null });
      let picked: string[];
      if (body.quota_seat_ids) {
        const freeIds = new Set(free.map((s) => s.id));
        const errors: FieldError[] = [];
        body.quota_seat_ids.forEach((id, i) => {
          if (!freeIds.has(id))
            errors.push({
              field: `body.quota_seat_ids.${i}`,
              message: 'not a free seat of the quota',
            });
        });
        if (errors.length)
          throw new AppError('QUOTA_SEAT_UNAVAILABLE', 'A seat is not free in the quota', {
            errors,
          });
        picked = body.quota_seat_ids;
      } else {
        if (free.length < body.quantity!) {
          throw new AppError(
            'QUOTA_SEATS_INSUFFICIENT',
            `${body.quantity} requested, ${free.length} free`,
            {
              extra: { requested: body.quantity, available: free.length },
            },
          );
        }
        picked = free.slice(0, body.quantity).map((s) => s.id);
      }
      const email = body.recipient_email.toLowerCase();
      const sub = await insertSubquota(trx, {
        parent_quota_id: quota.id,
        recipient_email: email,
        recipient_name: body.recipient_name ?? null,
        internal_note: body.internal_note ?? null,
        quantity: picked.length,
        expires_at: expiresAt,
        created_at: now,
      });
      if ((await delegateQuotaSeats(trx, sub.id, picked, now)) !== picked.length) {
        throw new AppError('QUOTA_SEAT_UNAVAILABLE', 'A seat was passed on or claimed meanwhile');
      }
      const url = portalUrl(deps.config, quota.id, sub.id);
      await sendEmail(deps, trx, {
        template_key: 'subquota_invitation',
        to: email,
        variables: {
          recipient_name: sub.recipient_name ?? email,
          parent_holder_name: quota.recipient_name ?? quota.recipient_email,
          match_name: matchName(match),
          kickoff: formatKickoff(match.kick_off_time),
          ticket_count: picked.length,
          accept_url: url,
          expires_at: formatKickoff(expiresAt),
        },
      });
      // A push too when the sub-recipient has an account (a user without a device gets a
      // FAILED push row, "no active push token", as for any push).
      const recipient = await findUserByEmail(trx, email);
      if (recipient) {
        await sendPush(deps, trx, {
          user_id: recipient.id,
          notification_type: 'subquota_received',
          title: 'Tickets have been passed on to you',
          body: `${picked.length} × ${matchName(match)}`,
          data: { deeplink: url, quota_id: quota.id, subquota_id: sub.id },
        });
      }
      await recordAudit(deps, trx, {
        domain: 'quota',
        action: 'subquota_created',
        actor: { type: 'user', id: userId },
        subject: { type: 'quota', id: quota.id },
        changes: { subquota_id: sub.id, seats: picked.length },
      });
      return (await subquotaViews(trx, quota.id, [sub]))[0]!;
    });
  } catch (err) {
    // Lost the race for a seat to a concurrent sub-quota (the UNIQUE constraint).
    if (isUniqueViolation(err, 'subquota_seats_quota_seat_id_key')) {
      throw new AppError(
        'QUOTA_SEAT_UNAVAILABLE',
        'A seat was passed on to another sub-quota meanwhile',
      );
    }
    throw err;
  }
}

/** GET /quota-portal/quotas/{id}/subquotas. */
export async function listSubquotas(deps: Pick<AppDeps, 'db'>, userId: string, quotaId: string) {
  const quota = await ownQuota(deps.db, userId, quotaId);
  return {
    items: await subquotaViews(deps.db, quota.id, await listSubquotasOfQuota(deps.db, quota.id)),
  };
}

/** DELETE /quota-portal/subquotas/{id}: retract an ALLOCATED sub-quota (E7-F6). */
export async function retractSubquota(deps: Deps, userId: string, subquotaId: string) {
  const now = deps.clock.now();
  const email = await holderEmail(deps.db, userId);
  return deps.db.transaction().execute(async (trx) => {
    const sub = await findSubquota(trx, subquotaId, { forUpdate: true });
    const quota = sub
      ? await ownQuota(trx, userId, sub.parent_quota_id, { forUpdate: true }).catch(() => undefined)
      : undefined;
    if (!sub || !quota || quota.recipient_email !== email) throw notFound('Sub-quota');
    if (sub.status !== 'ALLOCATED') {
      throw new AppError('SUBQUOTA_NOT_RETRACTABLE', `The sub-quota is ${sub.status}`, {
        extra: { status: sub.status },
      });
    }
    const returned = await retractSubquotaSeats(trx, sub.id, now);
    await recordAudit(deps, trx, {
      domain: 'quota',
      action: 'subquota_retracted',
      actor: { type: 'user', id: userId },
      subject: { type: 'quota', id: quota.id },
      changes: { subquota_id: sub.id, seats: returned },
    });
    const [view] = await subquotaViews(trx, quota.id, [(await findSubquota(trx, sub.id))!]);
    return { ...view!, returned_seats: returned };
  });
}
