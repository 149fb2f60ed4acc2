import { sql } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';

/** The SQL of the violation report (E11-F5) on violation_logs, written at checkout (E4-F6). */
export interface ViolationFilter {
  from?: Date;
  to?: Date;
  matchId?: string;
  blacklistId?: string;
  actionType?: 'PURCHASE_ATTEMPT' | 'TRANSFER_ATTEMPT';
  oibBlindIndex?: string;
}

export interface ViolationRow {
  id: string;
  blocked_at: Date;
  action_type: 'PURCHASE_ATTEMPT' | 'TRANSFER_ATTEMPT';
  oib_last4: string;
  oib_encrypted: string | null;
  blacklist_id: string | null;
  person: string | null;
  match_id: string | null;
  match_name: string | null;
  user_id: string | null;
  user_email: string | null;
  ip_address: string | null;
  user_agent: string | null;
}

function where(f: ViolationFilter) {
  const parts = [sql`true`];
  if (f.from) parts.push(sql`v.blocked_at >= ${f.from}`);
  if (f.to) parts.push(sql`v.blocked_at < ${f.to}`);
  if (f.matchId) parts.push(sql`v.match_id = ${f.matchId}::uuid`);
  if (f.blacklistId) parts.push(sql`v.blacklist_id = ${f.blacklistId}::uuid`);
  if (f.actionType) parts.push(sql`v.action_type = ${f.actionType}::violation_action`);
  if (f.oibBlindIndex) parts.push(sql`v.oib_blind_index = ${f.oibBlindIndex}`);
  return sql.join(parts, sql` AND `);
}

export async function listViolations(
  db: Executor,
  filter: ViolationFilter,
  page: { limit: number; offset: number } | null,
): Promise<{ rows: ViolationRow[]; total: number }> {
  const [{ rows }, { rows: count }] = await Promise.all([
    sql<ViolationRow>`
      SELECT v.id, v.blocked_at, v.action_type, v.oib_last4, b.oib_encrypted, v.blacklist_id,
             b.first_name || ' ' || b.last_name AS person, v.match_id,
             m.home_team || ' – ' || m.away_team AS match_name, v.user_id, u.email AS user_email,
             host(v.ip_address) AS ip_address, v.user_agent
        FROM violation_logs v
        LEFT JOIN blacklist b ON b.id = v.blacklist_id
        LEFT JOIN matches m ON m.id = v.match_id
        LEFT JOIN users u ON u.id = v.user_id
       WHERE ${where(filter)}
       ORDER BY v.blocked_at DESC, v.id
       ${page ? sql`LIMIT ${page.limit} OFFSET ${page.offset}` : sql``}`.execute(db),
    sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM violation_logs v WHERE ${where(filter)}`.execute(db),
  ]);
  return { rows, total: count[0]!.n };
}
