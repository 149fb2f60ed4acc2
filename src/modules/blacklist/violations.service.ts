import { stringify } from 'csv-stringify/sync';
import type { AppDeps } from '../../deps.ts';
import { hasAccess, type Role } from '../../platform/auth/roles.ts';
import { getPiiCipher } from '../../platform/crypto.ts';
import { AppError } from '../../platform/errors.ts';
import { isValidOib } from '../identity/oib.ts';
import { listViolations, type ViolationFilter, type ViolationRow } from './violations.repo.ts';

/**
 * The violation report (E11-F5): who on the list tried to buy or take over a ticket, when,
 * for which match, from which account and address. An agent sees the OIB's last 4 digits;
 * a supervisor (who adds and lifts bans) the OIB, decrypted from the entry.
 */
export const OIB_VISIBLE_TO = ['SUPPORT_SUPERVISOR'] as const;
/** A CSV holds at most this many rows (the date filters narrow a longer history). */
export const VIOLATIONS_CSV_MAX_ROWS = 100_000;

export interface ViolationsInput {
  from?: string;
  to?: string;
  match_id?: string;
  blacklist_id?: string;
  action_type?: 'PURCHASE_ATTEMPT' | 'TRANSFER_ATTEMPT';
  oib?: string;
  page: number;
  limit: number;
  format: 'json' | 'csv';
}

type Deps = Pick<AppDeps, 'db' | 'config'>;

function filterOf(deps: Deps, input: ViolationsInput): ViolationFilter {
  if (input.oib !== undefined && !isValidOib(input.oib)) {
    throw new AppError('OIB_INVALID', 'The OIB fails its checksum', {
      errors: [{ field: 'body.oib', message: 'not a valid OIB' }],
    });
  }
  const from = input.from ? new Date(input.from) : undefined;
  const to = input.to ? new Date(input.to) : undefined;
  if (from && to && from >= to) {
    throw new AppError('VALIDATION_FAILED', 'The date range is empty', {
      errors: [{ field: 'from', message: 'must be before to' }],
    });
  }
  return {
    from,
    to,
    matchId: input.match_id,
    blacklistId: input.blacklist_id,
    actionType: input.action_type,
    oibBlindIndex: input.oib ? getPiiCipher(deps.config).blindIndex(input.oib) : undefined,
  };
}

function view(deps: Deps, row: ViolationRow, showOib: boolean) {
  const plain =
    showOib && row.oib_encrypted ? getPiiCipher(deps.config).decrypt(row.oib_encrypted) : null;
  return {
    id: row.id,
    blocked_at: row.blocked_at.toISOString(),
    action_type: row.action_type,
    oib: plain ?? `*******${row.oib_last4}`,
    oib_masked: plain === null,
    blacklist_id: row.blacklist_id,
    person: row.person,
    match_id: row.match_id,
    match_name: row.match_name,
    user_id: row.user_id,
    user_email: row.user_email,
    ip_address: row.ip_address,
    user_agent: row.user_agent,
  };
}

export async function violationReport(deps: Deps, roles: readonly Role[], input: ViolationsInput) {
  const filter = filterOf(deps, input);
  const showOib = hasAccess(OIB_VISIBLE_TO, roles);
  if (input.format === 'csv') {
    const { rows } = await listViolations(deps.db, filter, {
      limit: VIOLATIONS_CSV_MAX_ROWS,
      offset: 0,
    });
    const items = rows.map((r) => view(deps, r, showOib));
    const columns = [
      'blocked_at',
      'action_type',
      'oib',
      'person',
      'match_name',
      'match_id',
      'user_email',
      'ip_address',
      'user_agent',
      'blacklist_id',
      'id',
    ] as const;
    const csv = stringify(
      items.map((i) => columns.map((c) => i[c] ?? '')),
      { header: true, columns: [...columns] },
    );
    return { kind: 'csv' as const, csv, filename: `blacklist-violations-${Date.now()}.csv` };
  }
  const { rows, total } = await listViolations(deps.db, filter, {
    limit: input.limit,
    offset: (input.page - 1) * input.limit,
  });
  return {
    kind: 'json' as const,
    body: {
      items: rows.map((r) => view(deps, r, showOib)),
      total,
      page: input.page,
      limit: input.limit,
    },
  };
}
