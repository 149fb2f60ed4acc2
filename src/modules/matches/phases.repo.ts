import { type Insertable, type Selectable, type Updateable } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type { SalesPhases } from '../../platform/db/types.generated.ts';

/** SQL of sales phases. Every function takes the caller's executor. */

export type SalesPhaseRow = Selectable<SalesPhases>;

export async function listSalesPhases(db: Executor, matchId: string): Promise<SalesPhaseRow[]> {
  return db
    .selectFrom('sales_phases')
    .selectAll()
    .where('match_id', '=', matchId)
    .orderBy('start_at')
    .orderBy('id')
    .execute();
}

export async function findSalesPhase(
  db: Executor,
  matchId: string,
  phaseId: string,
): Promise<SalesPhaseRow | undefined> {
  return db
    .selectFrom('sales_phases')
    .selectAll()
    .where('match_id', '=', matchId)
    .where('id', '=', phaseId)
    .executeTakeFirst();
}

export async function insertSalesPhase(
  db: Executor,
  values: Insertable<SalesPhases>,
): Promise<SalesPhaseRow> {
  return db.insertInto('sales_phases').values(values).returningAll().executeTakeFirstOrThrow();
}

export async function updateSalesPhase(
  db: Executor,
  id: string,
  patch: Updateable<SalesPhases>,
): Promise<SalesPhaseRow> {
  return db
    .updateTable('sales_phases')
    .set(patch)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** An active phase of the match has begun: sales have started (E2-F4 unlock rule). */
export async function hasStartedSalesPhase(
  db: Executor,
  matchId: string,
  now: Date,
): Promise<boolean> {
  const row = await db
    .selectFrom('sales_phases')
    .select('id')
    .where('match_id', '=', matchId)
    .where('is_active', '=', true)
    .where('start_at', '<=', now)
    .limit(1)
    .executeTakeFirst();
  return !!row;
}
