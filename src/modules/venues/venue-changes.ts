import type { AppDeps } from '../../deps.ts';
import type { Executor, Tx } from '../../platform/db/database.ts';
import { notFound } from '../../platform/errors.ts';
import { recordAudit } from '../audit/audit.service.ts';
import * as sectorsRepo from './sectors.repo.ts';
import * as stadiumsRepo from './stadiums.repo.ts';

/**
 * Steps shared by the use cases of every venues sub-domain (stadiums, sectors, seat maps,
 * snake configuration). Each use case is one transaction and records an audit event
 * (domain `stadium`) for every change. Changes to one sector's seat map, seats and flags
 * are serialised by locking the sector row first; sector changes of a stadium lock the
 * stadium row (base_capacity is derived from all its sectors).
 */
export type VenuesDeps = Pick<AppDeps, 'db' | 'jobs' | 'clock'>;

/** Who is acting, for the audit trail. */
export interface Actor {
  userId: string | null;
  context?: Record<string, unknown>;
}

export const transaction = <T>(deps: VenuesDeps, work: (trx: Tx) => Promise<T>) =>
  deps.db.transaction().execute(work);

export async function audit(
  deps: VenuesDeps,
  trx: Executor,
  actor: Actor,
  action: string,
  subject: { type: string; id: string },
  changes?: Record<string, unknown>,
) {
  await recordAudit(deps, trx, {
    domain: 'stadium',
    action,
    actor: actor.userId ? { type: 'user', id: actor.userId } : { type: 'system' },
    subject,
    changes,
    context: actor.context,
  });
}

export const iso = (d: Date) => d.toISOString();

/** Postgres error codes the services turn into problems. */
export const PG_UNIQUE_VIOLATION = '23505';
export const PG_FOREIGN_KEY_VIOLATION = '23503';

export function isPgError(error: unknown, code: string, constraint?: string): boolean {
  const e = error as { code?: string; constraint?: string } | null;
  return !!e && e.code === code && (constraint === undefined || e.constraint === constraint);
}

export async function loadStadium(trx: Executor, id: string, lock = false) {
  const stadium = await stadiumsRepo.findStadium(trx, id, { lock });
  if (!stadium) throw notFound('Stadium');
  return stadium;
}

export async function loadSector(trx: Executor, id: string, lock = false) {
  const sector = await sectorsRepo.findSector(trx, id, { lock });
  if (!sector) throw notFound('Sector');
  return sector;
}

/** A sector of the given stadium (404 for a sector of another stadium: ids do not mix). */
export async function loadStadiumSector(trx: Executor, stadiumId: string, sectorId: string) {
  const sector = await sectorsRepo.findSector(trx, sectorId, { lock: true });
  if (!sector || sector.stadium_id !== stadiumId) throw notFound('Sector');
  return sector;
}
