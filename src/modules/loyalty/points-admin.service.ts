import { parse } from 'csv-parse/sync';
import type { AppDeps } from '../../deps.ts';
import { getPiiCipher, maskLast4 } from '../../platform/crypto.ts';
import { AppError, notFound, type FieldError } from '../../platform/errors.ts';
import { unstorableTextPaths } from '../../platform/http/validation.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { isValidOib } from '../identity/oib.ts';
import { listOpenLoyaltyPhases } from './loyalty.repo.ts';
import { fansPerTier, loyaltyWindowStart, tiersOf } from './loyalty.rules.ts';
import {
  insertImportedPoints,
  listMatchLoyaltyPhases,
  matchExists,
  pointsDistribution,
  type ImportLine,
} from './points-admin.repo.ts';

/**
 * Points administration: the distribution of balances for planning a LOYALTY phase's tiers
 * (E6-F2), and the import of historic points by OIB so a first LOYALTY phase can run
 * before the system has closed a match (E6-F1).
 */

/**
 * GET /admin/loyalty/distribution: how many fans hold each balance now (rolling 5 years),
 * with the cumulative "at least", and for the LOYALTY phases of `matchId` (default: every
 * open or upcoming one) how many fans each tier admits and the tickets that allows.
 */
export async function loyaltyDistribution(deps: Pick<AppDeps, 'db' | 'clock'>, matchId?: string) {
  const now = deps.clock.now();
  const since = loyaltyWindowStart(now);
  if (matchId && !(await matchExists(deps.db, matchId))) throw notFound('Match');
  const [levels, phases] = await Promise.all([
    pointsDistribution(deps.db, since),
    matchId ? listMatchLoyaltyPhases(deps.db, matchId) : listOpenLoyaltyPhases(deps.db, now),
  ]);
  let atLeast = levels.reduce((n, l) => n + l.fans, 0);
  const totalFans = atLeast;
  const withCumulative = levels.map((l) => {
    const row = { points: l.points, fans: l.fans, fans_at_least: atLeast };
    atLeast -= l.fans;
    return row;
  });
  return {
    window_start: since.toISOString(),
    total_fans: totalFans,
    total_points: levels.reduce((n, l) => n + l.points * l.fans, 0),
    levels: withCumulative,
    phases: phases.map((p) => {
      const { tiers, below } = fansPerTier(tiersOf(p.eligibility_rules_json), levels);
      return {
        phase_id: p.phase_id,
        phase_name: p.phase_name,
        match_id: p.match_id,
        match_name: `${p.home_team} – ${p.away_team}`,
        start_at: p.start_at.toISOString(),
        ticket_limit: p.ticket_limit,
        tiers: tiers.map((t) => ({
          min_points: t.min_points,
          ticket_limit: t.ticket_limit,
          fans: t.fans,
          // the most tickets these fans could buy in the phase (4 per match at most)
          max_tickets: t.fans * Math.min(4, t.ticket_limit, p.ticket_limit),
        })),
        fans_below_lowest_tier: below,
      };
    }),
  };
}

const IMPORT_COLUMNS = ['oib', 'points', 'earned_at', 'reference'] as const;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const MAX_LINES = 100_000;

/** A line's earned_at: a date (noon UTC, so the Croatian day is kept) or an ISO instant. */
function earnedAt(value: string): Date | null {
  const text = value.trim();
  if (DATE_ONLY.test(text)) {
    const at = new Date(`${text}T12:00:00Z`);
    return Number.isNaN(at.getTime()) || at.toISOString().slice(0, 10) !== text ? null : at;
  }
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text))
    return null;
  const at = new Date(text);
  return Number.isNaN(at.getTime()) ? null : at;
}

/**
 * POST /admin/loyalty/imports: historic points as CSV with the header
 * `oib,points,earned_at,reference` (comma or semicolon). Every line is checked first: a
 * bad OIB, points that are not a whole number 1–1000, a date that is not one or lies in the
 * future, an empty or over-long reference → 422 LOYALTY_IMPORT_INVALID listing each line,
 * nothing written. Valid lines of fans with an account are written once per fan and
 * reference (idempotent); OIBs with no account yet are reported, to import again later.
 */
export async function importHistoricPoints(
  deps: Pick<AppDeps, 'db' | 'clock' | 'config'>,
  actor: { userId: string; context?: Record<string, unknown> },
  bytes: Buffer,
) {
  const fail = (detail: string, errors: FieldError[] = []) =>
    new AppError('LOYALTY_IMPORT_INVALID', detail, { errors });
  const text = bytes.toString('utf8');
  if (bytes.length === 0) throw fail('The file is empty');
  if (text.includes('\u0000') || text.includes('\uFFFD')) throw fail('The file is not UTF-8 CSV');
  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    records = (
      parse(text, {
        bom: true,
        delimiter: [',', ';'],
        relax_column_count: true,
        skip_empty_lines: true,
        trim: true,
        info: true,
      }) as unknown as Array<{ record: string[]; info: { lines: number } }>
    ).filter((r) => r.record.some((c) => c !== ''));
  } catch (err) {
    const line = (err as { lines?: number }).lines;
    throw fail(`The CSV cannot be read${line ? ` at line ${line}` : ''}`, [
      ...(line ? [{ field: `file.line.${line}`, message: (err as Error).message }] : []),
    ]);
  }
  const header = records[0]?.record.map((h) => h.toLowerCase());
  const at = IMPORT_COLUMNS.map((c) => header?.indexOf(c) ?? -1);
  if (!header || at.some((i) => i < 0)) {
    throw fail(`The header must name the columns ${IMPORT_COLUMNS.join(', ')}`, [
      { field: 'file.line.1', message: `expected ${IMPORT_COLUMNS.join(',')}` },
    ]);
  }
  const data = records.slice(1);
  if (data.length === 0) throw fail('The file has no lines after the header');
  if (data.length > MAX_LINES) throw fail(`At most ${MAX_LINES} lines per file`);

  const now = deps.clock.now();
  const pii = getPiiCipher(deps.config);
  const errors: FieldError[] = [];
  const lines: Array<ImportLine & { oib: string }> = [];
  for (const { record, info } of data) {
    const [oib, points, earned, reference] = at.map((i) => record[i] ?? '') as [
      string,
      string,
      string,
      string,
    ];
    const field = `file.line.${info.lines}`;
    const problems: string[] = [];
    if (unstorableTextPaths(record).length > 0)
      problems.push('contains NUL or unpaired surrogates');
    if (!isValidOib(oib)) problems.push('oib is not a valid OIB');
    const n = /^\d{1,4}$/.test(points) ? Number(points) : NaN;
    if (!(n >= 1 && n <= 1000)) problems.push('points must be a whole number from 1 to 1000');
    const when = earnedAt(earned);
    if (!when) problems.push('earned_at must be a date (YYYY-MM-DD) or an ISO 8601 instant');
    else if (when > now) problems.push('earned_at is in the future');
    if (reference === '' || reference.length > 200)
      problems.push('reference must be 1–200 characters');
    if (problems.length > 0) {
      if (errors.length < 100) errors.push({ field, message: problems.join('; ') });
      continue;
    }
    lines.push({
      line: info.lines,
      oib,
      oib_blind_index: pii.blindIndex(oib),
      points: n,
      earned_at: when!,
      reference,
    });
  }
  if (errors.length > 0) {
    throw fail(`${errors.length} line(s) are not valid; nothing was imported`, errors);
  }

  return deps.db.transaction().execute(async (trx) => {
    const result = await insertImportedPoints(trx, lines);
    const unknown = lines.filter((l) => !result.known.get(l.line));
    const summary = {
      lines: lines.length,
      imported: result.inserted,
      points_imported: result.points,
      already_imported: lines.length - unknown.length - result.inserted,
      unknown_oib: unknown
        .slice(0, 1000)
        .map((l) => ({ line: l.line, oib_masked: maskLast4(l.oib) })),
      unknown_oib_count: unknown.length,
    };
    await recordAudit(deps, trx, {
      domain: 'loyalty',
      action: 'historic_points_imported',
      actor: { type: 'user', id: actor.userId },
      subject: { type: 'loyalty_import', id: actor.userId },
      changes: {
        lines: summary.lines,
        imported: summary.imported,
        points_imported: summary.points_imported,
        already_imported: summary.already_imported,
        unknown_oib_count: summary.unknown_oib_count,
      },
      context: actor.context,
    });
    return summary;
  });
}
