import type { AppDeps } from '../../deps.ts';
import { notFound } from '../../platform/errors.ts';
import { INVARIANTS, findViolations, matchExists } from './integrity.repo.ts';

export interface InvariantResult {
  name: string;
  description: string;
  violations: number;
  /** Up to 20 offending ids, to start an investigation from. */
  sample: string[];
}

export interface IntegrityReport {
  match_id: string;
  checked_at: string;
  ok: boolean;
  invariants: InvariantResult[];
}

/**
 * Checks every sale invariant of one match in a single REPEATABLE READ snapshot, so the
 * checks agree with each other even while the sale goes on.
 */
export async function auditMatchInvariants(
  deps: Pick<AppDeps, 'db' | 'clock'>,
  matchId: string,
  options: { graceSeconds?: number } = {},
): Promise<IntegrityReport> {
  const now = deps.clock.now();
  const graceSeconds = options.graceSeconds ?? 120;
  return deps.db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute(async (trx) => {
      if (!(await matchExists(trx, matchId))) throw notFound('Match');
      const invariants: InvariantResult[] = [];
      for (const invariant of INVARIANTS) {
        const ids = await findViolations(trx, invariant, matchId, now, graceSeconds);
        invariants.push({
          name: invariant.name,
          description: invariant.description,
          violations: ids.length,
          sample: ids.slice(0, 20),
        });
      }
      return {
        match_id: matchId,
        checked_at: now.toISOString(),
        ok: invariants.every((i) => i.violations === 0),
        invariants,
      };
    });
}
