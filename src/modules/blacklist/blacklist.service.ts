import type { AppDeps } from '../../deps.ts';
import { getPiiCipher, maskLast4 } from '../../platform/crypto.ts';
import type { Executor } from '../../platform/db/database.ts';
import { AppError, notFound } from '../../platform/errors.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { isValidOib } from '../identity/oib.ts';
import { announceRevokedSessions, revokeSessionsOfOibOwner } from '../identity/revocations.ts';
import { lockOibsShared } from './auto-cancel.repo.ts';
import { affectedBy, entryConfirmPath, type AffectedView } from './auto-cancel.service.ts';
import {
  findActiveByBlindIndexes,
  findEntry,
  findEntryByBlindIndex,
  insertAuditLog,
  insertEntry,
  insertViolations,
  listEntries,
  markRemoved,
  restoreEntry,
  type BlacklistRow,
} from './blacklist.repo.ts';

/**
 * The blacklist (E11-F1) and its check service (E11-F3). Lookups go through the OIB's blind
 * index, so the plaintext OIB is only ever in memory; responses and logs show the last 4
 * digits. Every change writes a blacklist_audit_logs row and an audit event in its
 * transaction.
 */

/** The standard referral to the Ministry of the Interior shown to a blocked buyer. */
export const MUP_MESSAGE = {
  hr:
    'Kupnja ulaznica za ovu osobu nije moguća. Za više informacija obratite se Ministarstvu ' +
    'unutarnjih poslova (MUP), najbližoj policijskoj upravi ili postaji: tel. 192, www.mup.gov.hr.',
  en:
    'Tickets cannot be issued for this person. For more information please contact the Croatian ' +
    'Ministry of the Interior (MUP) at the nearest police administration or station: ' +
    'phone 192, www.mup.gov.hr.',
} as const;

type Deps = Pick<AppDeps, 'db' | 'config' | 'jobs' | 'clock'>;

export interface EntryView {
  id: string;
  oib_masked: string;
  first_name: string;
  last_name: string;
  date_of_birth: string | null;
  status: 'ACTIVE' | 'REMOVED';
  source: string;
  notes: string | null;
  created_at: string;
  removed_at: string | null;
  removal_reason: string | null;
}

export const toEntryView = (row: BlacklistRow): EntryView => ({
  id: row.id,
  oib_masked: maskLast4(`*******${row.oib_last4}`),
  first_name: row.first_name,
  last_name: row.last_name,
  date_of_birth: row.date_of_birth,
  status: row.status,
  source: row.source,
  notes: row.notes,
  created_at: row.created_at.toISOString(),
  removed_at: row.removed_at?.toISOString() ?? null,
  removal_reason: row.removal_reason,
});

export interface NewEntry {
  oib: string;
  first_name: string;
  last_name: string;
  date_of_birth?: string | null;
  notes?: string | null;
  source?: string;
}

function assertOib(oib: string, field = 'body.oib'): void {
  if (!isValidOib(oib)) {
    throw new AppError('OIB_INVALID', 'The OIB fails its checksum', {
      errors: [{ field, message: 'not a valid OIB' }],
    });
  }
}

const isUniqueViolation = (err: unknown) => (err as { code?: string })?.code === '23505';

/**
 * Adds a person, or restores a REMOVED entry of the same OIB (action RESTORE). The user
 * whose default profile has this OIB is logged out everywhere within seconds.
 */
export async function createEntry(
  deps: Deps & Pick<AppDeps, 'redis' | 'logger'>,
  actorId: string,
  input: NewEntry,
): Promise<EntryView & { affected: AffectedView }> {
  assertOib(input.oib);
  const pii = getPiiCipher(deps.config);
  const blindIndex = pii.blindIndex(input.oib);
  const details = {
    first_name: input.first_name,
    last_name: input.last_name,
    date_of_birth: input.date_of_birth ?? null,
    notes: input.notes ?? null,
    source: input.source ?? 'MANUAL',
  };
  try {
    const { view, revoked } = await deps.db.transaction().execute(async (trx) => {
      const existing = await findEntryByBlindIndex(trx, blindIndex, { forUpdate: true });
      if (existing?.status === 'ACTIVE') {
        throw new AppError('BLACKLIST_ENTRY_EXISTS', undefined, { extra: { id: existing.id } });
      }
      const row = existing
        ? await restoreEntry(trx, existing.id, { ...details, created_by: actorId })
        : await insertEntry(trx, {
            ...details,
            oib_encrypted: pii.encrypt(input.oib),
            oib_blind_index: blindIndex,
            oib_last4: input.oib.slice(-4),
            created_by: actorId,
          });
      const action = existing ? 'RESTORE' : 'CREATE';
      const changes = { ...details, oib: maskLast4(input.oib), status: 'ACTIVE' };
      await insertAuditLog(trx, { blacklist_id: row.id, action, changed_by: actorId, changes });
      await recordAudit(deps, trx, {
        domain: 'blacklist',
        action: existing ? 'blacklist_entry_restored' : 'blacklist_entry_created',
        actor: { type: 'user', id: actorId },
        subject: { type: 'blacklist', id: row.id },
        changes,
      });
      return {
        view: toEntryView(row),
        revoked: await revokeSessionsOfOibOwner(deps, trx, blindIndex),
      };
    });
    await announceRevokedSessions(deps, revoked);
    // E11-F4: the admin sees the person's existing tickets; nothing is cancelled until
    // they confirm (POST /admin/blacklist/{id}/cancel-tickets).
    const affected = await affectedBy(deps, deps.db, [view.id], {
      confirmPath: entryConfirmPath(view.id),
      cancelledAt: null,
    });
    return { ...view, affected };
  } catch (err) {
    // Two admins adding the same OIB at once: the unique blind index decides.
    if (isUniqueViolation(err)) throw new AppError('BLACKLIST_ENTRY_EXISTS');
    throw err;
  }
}

/** Lifts a ban. The row stays (status REMOVED) with who, when and why, and the audit trail. */
export async function removeEntry(
  deps: Deps,
  actorId: string,
  id: string,
  reason: string,
): Promise<EntryView> {
  return deps.db.transaction().execute(async (trx) => {
    const existing = await findEntry(trx, id, { forUpdate: true });
    if (!existing) throw notFound('Blacklist entry');
    if (existing.status === 'REMOVED') {
      throw new AppError('CONFLICT', 'The entry has already been removed');
    }
    const row = await markRemoved(trx, id, actorId, reason, deps.clock.now());
    // The retention rule of E11-F1: the audit log keeps what the entry said when removed.
    const changes = {
      snapshot: { ...toEntryView(existing), oib_masked: maskLast4(`*******${existing.oib_last4}`) },
      status: 'REMOVED',
      removal_reason: reason,
    };
    await insertAuditLog(trx, { blacklist_id: id, action: 'REMOVE', changed_by: actorId, changes });
    await recordAudit(deps, trx, {
      domain: 'blacklist',
      action: 'blacklist_entry_removed',
      actor: { type: 'user', id: actorId },
      subject: { type: 'blacklist', id },
      changes,
    });
    return toEntryView(row);
  });
}

export async function listBlacklist(
  deps: Pick<AppDeps, 'db'>,
  filter: { status?: 'ACTIVE' | 'REMOVED'; page: number; limit: number },
) {
  const { rows, total } = await listEntries(deps.db, filter);
  return { items: rows.map(toEntryView), total, page: filter.page, limit: filter.limit };
}

export interface CheckResult {
  is_blacklisted: boolean;
  message: { hr: string; en: string } | null;
}

/** E11-F3: is this OIB on the active blacklist? */
export async function checkOib(
  deps: Pick<AppDeps, 'db' | 'config'>,
  oib: string,
): Promise<CheckResult> {
  assertOib(oib, 'query.oib');
  const hits = await findActiveByBlindIndexes(deps.db, [getPiiCipher(deps.config).blindIndex(oib)]);
  return hits.length > 0
    ? { is_blacklisted: true, message: MUP_MESSAGE }
    : { is_blacklisted: false, message: null };
}

export interface BlacklistHit {
  oib: string;
  blacklistId: string;
}

/** The holders' OIBs that are actively blacklisted (one query for all of them). */
export async function findBlacklisted(
  deps: Pick<AppDeps, 'config'>,
  db: Executor,
  oibs: string[],
): Promise<BlacklistHit[]> {
  const pii = getPiiCipher(deps.config);
  const byIndex = new Map(oibs.map((oib) => [pii.blindIndex(oib), oib]));
  const rows = await findActiveByBlindIndexes(db, [...byIndex.keys()]);
  return rows.map((r) => ({ oib: byIndex.get(r.oib_blind_index)!, blacklistId: r.id }));
}

/**
 * The check again inside the caller's writing transaction, under the shared lock of each
 * OIB (E11-F4): a purchase or transfer that passed the first check while the person was
 * being listed either commits before a confirmed cancellation reads (which then cancels
 * what it wrote) or sees the entry here. Take it before any row lock of the transaction.
 */
export async function findBlacklistedLocked(
  deps: Pick<AppDeps, 'config'>,
  trx: Executor,
  oibs: string[],
): Promise<BlacklistHit[]> {
  const pii = getPiiCipher(deps.config);
  await lockOibsShared(
    trx,
    oibs.map((o) => pii.blindIndex(o)),
  );
  return findBlacklisted(deps, trx, oibs);
}

/** Thrown inside a writing transaction by a late hit; refuse it after the rollback. */
export class BlacklistedLate extends Error {
  readonly hits: BlacklistHit[];
  constructor(hits: BlacklistHit[]) {
    super('blacklisted while the request ran');
    this.hits = hits;
  }
}

export interface AttemptContext {
  userId: string | null;
  matchId: string | null;
  sessionId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
}

/** Writes a violation_logs row per blocked OIB (E4-F6, E11-F3) in the caller's transaction. */
export async function logViolations(
  deps: Pick<AppDeps, 'config' | 'clock' | 'jobs'>,
  trx: Executor,
  hits: BlacklistHit[],
  action: 'PURCHASE_ATTEMPT' | 'TRANSFER_ATTEMPT',
  ctx: AttemptContext,
): Promise<void> {
  const pii = getPiiCipher(deps.config);
  const at = deps.clock.now();
  await insertViolations(
    trx,
    hits.map((hit) => ({
      oib_blind_index: pii.blindIndex(hit.oib),
      oib_last4: hit.oib.slice(-4),
      blacklist_id: hit.blacklistId,
      action_type: action,
      match_id: ctx.matchId,
      user_id: ctx.userId,
      session_id: ctx.sessionId ?? null,
      ip_address: ctx.ip ?? null,
      user_agent: ctx.userAgent ?? null,
      blocked_at: at,
    })),
  );
  for (const hit of hits) {
    await recordAudit(deps, trx, {
      domain: 'blacklist',
      action: 'blacklist_violation_blocked',
      actor: { type: 'user', id: ctx.userId },
      subject: { type: 'blacklist', id: hit.blacklistId },
      changes: { action_type: action, match_id: ctx.matchId, oib: maskLast4(hit.oib) },
      context: { ip: ctx.ip ?? null, user_agent: ctx.userAgent ?? null },
    });
  }
}

/**
 * Refuses a purchase or transfer naming blacklisted OIBs (E4-F6, E9-F5): logs the attempt
 * in its own transaction, so the log survives the refusal, and throws 403 BLACKLISTED with
 * the MUP message (and `extra`, e.g. the holders' positions).
 */
export async function refuseBlacklisted(
  deps: Pick<AppDeps, 'db' | 'config' | 'clock' | 'jobs'>,
  hits: BlacklistHit[],
  action: 'PURCHASE_ATTEMPT' | 'TRANSFER_ATTEMPT',
  ctx: AttemptContext,
  extra: Record<string, unknown> = {},
): Promise<never> {
  await deps.db.transaction().execute((trx) => logViolations(deps, trx, hits, action, ctx));
  throw new AppError('BLACKLISTED', MUP_MESSAGE.en, {
    extra: { message_hr: MUP_MESSAGE.hr, message_en: MUP_MESSAGE.en, ...extra },
  });
}
