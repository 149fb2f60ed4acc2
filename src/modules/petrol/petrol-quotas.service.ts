import QRCode from 'qrcode';
import type { AppDeps } from '../../deps.ts';
import type { Executor } from '../../platform/db/database.ts';
import { AppError, notFound } from '../../platform/errors.ts';
import { recordAudit } from '../audit/audit.service.ts';
import {
  findQuota,
  listQuotaSeats,
  lockMatchForQuota,
  type QuotaRow,
} from '../quotas/quotas.repo.ts';
import {
  cancelQuota,
  checkQuotaMatch,
  checkSectors,
  placeQuota,
  quotaView,
  seatViews,
} from '../quotas/quotas.service.ts';
import { activePetrolQuotaOf, listPetrolQuotas as listRows } from './petrol-quotas.repo.ts';
import type { CreatePetrolQuotaBody } from './petrol-quotas.schemas.ts';
import { petrolDeepLink } from './petrol.rules.ts';
import { cancelActivePinsOfQuota } from './pins.repo.ts';
import { closeReservationsOfQuota } from './reservations.service.ts';

/**
 * Admin petrol quotas (E12-F4): a petrol allocation is a quota of type PETROL, created,
 * listed and cancelled here with the flags the spec forces; allocation and cancellation are
 * the quotas module's own (placeQuota, cancelQuota), so seats behave as for any quota. The
 * deep link and its QR code are derived from the quota id (the deprecated deep-link table is not used).
 */
type Deps = Pick<AppDeps, 'db' | 'clock' | 'jobs' | 'config'>;

const isActivePetrolTaken = (err: unknown) =>
  (err as { code?: string }).code === '23505' &&
  (err as { constraint?: string }).constraint === 'quotas_active_petrol_match_key';

function links(quota: QuotaRow) {
  return {
    deeplink_url: petrolDeepLink(quota.id),
    qr_svg_url: `/admin/petrol/quotas/${quota.id}/qr.svg`,
    qr_png_url: `/admin/petrol/quotas/${quota.id}/qr.png`,
  };
}

async function figuresOf(db: Executor, quotaId: string) {
  const [row] = await listRows(db, { quotaId, page: 1, limit: 1 });
  return {
    sold: row?.sold ?? 0,
    cash_amount: row?.cash_amount ?? 0,
    card_amount: row?.card_amount ?? 0,
    deferred_payment_status: row?.deferred_payment_status ?? ('NO_SALES' as const),
  };
}

async function detail(db: Executor, quota: QuotaRow) {
  const rows = await listQuotaSeats(db, [quota.id]);
  return {
    ...quotaView(quota),
    ...links(quota),
    figures: await figuresOf(db, quota.id),
    seats: await seatViews(db, rows),
  };
}

/** The petrol quota, or 404 (a standard quota is not found here). */
async function petrolQuota(db: Executor, id: string) {
  const quota = await findQuota(db, id);
  if (!quota || quota.quota_type !== 'PETROL') throw notFound('Petrol quota');
  return quota;
}

/** POST /admin/petrol/quotas (E12-F4). */
export async function createPetrolQuota(deps: Deps, actorId: string, body: CreatePetrolQuotaBody) {
  const now = deps.clock.now();
  try {
    return await deps.db.transaction().execute(async (trx) => {
      const found = await lockMatchForQuota(trx, body.match_id);
      if (!found || found.status === 'DELETED' || found.stadium_config_status !== 'LOCKED') {
        throw new AppError(
          'PETROL_MATCH_INVALID',
          found ? 'The match has no locked stadium configuration' : 'No such match',
          {
            errors: [
              {
                field: 'body.match_id',
                message: found ? 'configuration not locked' : 'no such match',
              },
            ],
          },
        );
      }
      const match = checkQuotaMatch(found, now);
      // The fast refusal; concurrent creations are decided by the partial unique index.
      if (await activePetrolQuotaOf(trx, match.id)) {
        throw new AppError('PETROL_QUOTA_EXISTS');
      }
      const quotaBody = {
        ...body,
        recipient_name: body.recipient_name ?? null,
        internal_note: body.internal_note ?? null,
        expiration_date: body.expiration_date ?? null,
        // forced (E12-F4)
        deferred_payment: true,
        can_create_subquotas: false,
        transfer_allowed: false,
        auto_send_email: false,
      };
      await checkSectors(trx, quotaBody);
      const placed = await placeQuota(deps, trx, {
        body: quotaBody,
        match,
        actorId,
        batchId: null,
        now,
        quotaType: 'PETROL',
      });
      if ('available' in placed) {
        throw new AppError(
          'QUOTA_SEATS_INSUFFICIENT',
          `${body.total_quantity} seats requested, ${placed.available} free in the sectors`,
          { extra: { requested: body.total_quantity, available: placed.available } },
        );
      }
      await recordAudit(deps, trx, {
        domain: 'petrol',
        action: 'petrol_quota_created',
        actor: { type: 'user', id: actorId },
        subject: { type: 'quota', id: placed.quota.id },
        changes: {
          admin_id: actorId,
          quota_id: placed.quota.id,
          match_id: match.id,
          total_quantity: placed.quota.total_quantity,
        },
      });
      return detail(trx, placed.quota);
    });
  } catch (err) {
    if (isActivePetrolTaken(err)) throw new AppError('PETROL_QUOTA_EXISTS');
    throw err;
  }
}

/** GET /admin/petrol/quotas (E12-F4): filtered, paginated. */
export async function listPetrolQuotas(
  deps: Pick<AppDeps, 'db'>,
  query: {
    match_id?: string;
    status?: QuotaRow['status'];
    deferred_payment_status?: 'NO_SALES' | 'OPEN' | 'SETTLED';
    from?: string;
    to?: string;
    page: number;
    limit: number;
  },
) {
  const rows = await listRows(deps.db, {
    matchId: query.match_id,
    status: query.status,
    deferredPaymentStatus: query.deferred_payment_status,
    from: query.from ? new Date(query.from) : undefined,
    to: query.to ? new Date(query.to) : undefined,
    page: query.page,
    limit: query.limit,
  });
  const items = [];
  for (const row of rows) {
    const quota = (await findQuota(deps.db, row.id))!;
    items.push({
      ...quotaView(quota),
      ...links(quota),
      figures: {
        sold: row.sold,
        cash_amount: row.cash_amount,
        card_amount: row.card_amount,
        deferred_payment_status: row.deferred_payment_status,
      },
    });
  }
  return { items, total: rows[0]?.full_count ?? 0, page: query.page, limit: query.limit };
}

/** GET /admin/petrol/quotas/{id} (E12-F4): with its deep link and seats. */
export async function getPetrolQuota(deps: Pick<AppDeps, 'db'>, id: string) {
  return detail(deps.db, await petrolQuota(deps.db, id));
}

/**
 * GET /admin/petrol/quotas/{id}/qr.svg|png (E12-F4): the QR code of the deep link, for the
 * stations' posters. The PNG is 600×600 or more (600 px wide, margin included).
 */
export async function petrolQuotaQr(deps: Pick<AppDeps, 'db'>, id: string, format: 'svg' | 'png') {
  const quota = await petrolQuota(deps.db, id);
  const link = petrolDeepLink(quota.id);
  const options = { errorCorrectionLevel: 'M' as const, margin: 4, width: 600 };
  return format === 'svg'
    ? {
        contentType: 'image/svg+xml',
        body: await QRCode.toString(link, { ...options, type: 'svg' }),
      }
    : { contentType: 'image/png', body: await QRCode.toBuffer(link, { ...options, type: 'png' }) };
}

/**
 * POST /admin/petrol/quotas/{id}/cancel (E12-F4): the quota cancellation (E7-F7) with its
 * options; in its transaction, first, what is petrol's: with all_unused the live cashier
 * reservations are closed (their seats then go back to sale with the rest), and the PINs
 * not yet used are cancelled either way (the allocation is gone).
 */
export async function cancelPetrolQuota(
  deps: Deps,
  actorId: string,
  id: string,
  option: 'all_unused' | 'unfulfilled_only',
) {
  await petrolQuota(deps.db, id);
  const cancelled = await cancelQuota(deps, actorId, id, option, {
    before: async (trx, quota, now) => {
      if (option === 'all_unused') {
        await closeReservationsOfQuota(deps, trx, quota.id, { by: actorId, now });
      }
      const pins = await cancelActivePinsOfQuota(trx, quota.id, {
        keepReserved: option !== 'all_unused',
      });
      await recordAudit(deps, trx, {
        domain: 'petrol',
        action: 'petrol_quota_cancelled',
        actor: { type: 'user', id: actorId },
        subject: { type: 'quota', id: quota.id },
        changes: {
          admin_id: actorId,
          quota_id: quota.id,
          match_id: quota.match_id,
          option,
          pins_cancelled: pins,
        },
      });
    },
  });
  const quota = (await findQuota(deps.db, id))!;
  return {
    ...cancelled,
    ...links(quota),
    figures: await figuresOf(deps.db, id),
  };
}
