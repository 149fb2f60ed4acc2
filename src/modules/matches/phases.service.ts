import { AppError, notFound } from '../../platform/errors.ts';
import { normaliseEligibility, phaseProblems } from './matches.rules.ts';
import type { CreatePhaseBody, PhaseOut, UpdatePhaseBody } from './phases.schemas.ts';
import {
  configureChange,
  configured,
  iso,
  loadMatch,
  pgCode,
  pgConstraint,
  validation,
  type Actor,
  type MatchesDeps,
} from './match-changes.ts';
import * as phasesRepo from './phases.repo.ts';

/** Sales phase use cases (E2-F2), one transaction each, logged like every match change. */

export function toPhaseOut(p: phasesRepo.SalesPhaseRow): PhaseOut {
  return {
    id: p.id,
    match_id: p.match_id,
    phase_type: p.phase_type,
    name: p.name,
    start_at: iso(p.start_at),
    end_at: iso(p.end_at),
    eligibility_rules_json: p.eligibility_rules_json as PhaseOut['eligibility_rules_json'],
    ticket_limit: p.ticket_limit,
    is_active: p.is_active,
    created_at: iso(p.created_at),
  };
}

/** Overlap is enforced by the sales_phases_no_overlap exclusion constraint. */
function phaseWriteError(err: unknown): unknown {
  if (pgCode(err) === '23P01' && pgConstraint(err) === 'sales_phases_no_overlap') {
    return new AppError(
      'PHASES_OVERLAP',
      'The phase overlaps another active sales phase of this match',
    );
  }
  return err;
}

function checkPhase(phase: Parameters<typeof phaseProblems>[0]) {
  const problems = phaseProblems(phase);
  if (problems.length) throw validation(problems);
}

export async function listSalesPhases(deps: MatchesDeps, matchId: string): Promise<PhaseOut[]> {
  await loadMatch(deps.db, matchId);
  return (await phasesRepo.listSalesPhases(deps.db, matchId)).map(toPhaseOut);
}

export async function createSalesPhase(
  deps: MatchesDeps,
  actor: Actor,
  matchId: string,
  body: CreatePhaseBody,
): Promise<PhaseOut> {
  const values = {
    match_id: matchId,
    phase_type: body.phase_type,
    name: body.name,
    start_at: new Date(body.start_at),
    end_at: new Date(body.end_at),
    eligibility_rules_json: normaliseEligibility(body.eligibility_rules_json),
    ticket_limit: body.ticket_limit,
    is_active: body.is_active,
  };
  checkPhase(values);
  return configureChange(
    deps,
    actor,
    matchId,
    async (trx) => {
      const phase = await phasesRepo.insertSalesPhase(trx, {
        ...values,
        eligibility_rules_json: JSON.stringify(values.eligibility_rules_json),
      });
      const out = toPhaseOut(phase);
      return configured(out, {
        entity: 'sales_phase',
        entity_id: phase.id,
        action: 'sales_phase_created',
        before: null,
        after: out,
      });
    },
    phaseWriteError,
  );
}

export async function updateSalesPhase(
  deps: MatchesDeps,
  actor: Actor,
  matchId: string,
  phaseId: string,
  body: UpdatePhaseBody,
): Promise<PhaseOut> {
  return configureChange(
    deps,
    actor,
    matchId,
    async (trx) => {
      const phase = await phasesRepo.findSalesPhase(trx, matchId, phaseId);
      if (!phase) throw notFound('Sales phase');
      const merged = {
        phase_type: body.phase_type ?? phase.phase_type,
        name: body.name ?? phase.name,
        start_at: body.start_at ? new Date(body.start_at) : phase.start_at,
        end_at: body.end_at ? new Date(body.end_at) : phase.end_at,
        eligibility_rules_json: normaliseEligibility(
          body.eligibility_rules_json ??
            (phase.eligibility_rules_json as PhaseOut['eligibility_rules_json']),
        ),
        ticket_limit: body.ticket_limit ?? phase.ticket_limit,
        is_active: body.is_active ?? phase.is_active,
      };
      checkPhase(merged);
      const updated = await phasesRepo.updateSalesPhase(trx, phaseId, {
        ...merged,
        eligibility_rules_json: JSON.stringify(merged.eligibility_rules_json),
      });
      const out = toPhaseOut(updated);
      return configured(out, {
        entity: 'sales_phase',
        entity_id: phaseId,
        action: 'sales_phase_updated',
        before: toPhaseOut(phase),
        after: out,
      });
    },
    phaseWriteError,
  );
}
