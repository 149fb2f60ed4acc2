import type { AppDeps } from '../../deps.ts';
import { AppError, notFound } from '../../platform/errors.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { isValidOib } from '../identity/oib.ts';
import * as repo from './debtors.repo.ts';
import type { CreateDebtor, UpdateDebtor } from './debtors.schemas.ts';

/**
 * Debtors (E8-F4): the clubs, sponsors and petrol partners who pay later, kept by finance.
 * The OIB is checksum-validated and UNIQUE; a debtor with payment offers cannot be deleted
 * (the offers keep pointing at it).
 */
type Deps = Pick<AppDeps, 'db' | 'clock'>;

export const debtorView = (d: repo.DebtorRow) => ({
  id: d.id,
  name: d.name,
  oib: d.oib,
  address: d.address,
  email: d.email,
  payment_terms_days: d.payment_terms_days,
  created_at: d.created_at.toISOString(),
  updated_at: d.updated_at.toISOString(),
});

function checkOib(oib: string | undefined) {
  if (oib !== undefined && !isValidOib(oib)) {
    throw new AppError('OIB_INVALID', 'The OIB check digit does not match');
  }
}

const taken = () => new AppError('DEBTOR_OIB_TAKEN', 'A debtor with this OIB exists already');

export async function createDebtor(deps: Deps, actorId: string, body: CreateDebtor) {
  checkOib(body.oib);
  try {
    return await deps.db.transaction().execute(async (trx) => {
      const row = await repo.insertDebtor(trx, {
        name: body.name,
        oib: body.oib,
        address: body.address ?? null,
        email: body.email ?? null,
        payment_terms_days: body.payment_terms_days,
      });
      await recordAudit(deps, trx, {
        domain: 'payment',
        action: 'debtor_created',
        actor: { type: 'user', id: actorId },
        subject: { type: 'debtor', id: row.id },
        changes: { name: row.name, payment_terms_days: row.payment_terms_days },
      });
      return debtorView(row);
    });
  } catch (err) {
    if (repo.isOibTaken(err)) throw taken();
    throw err;
  }
}

export async function getDebtor(deps: Deps, id: string) {
  const row = await repo.findDebtor(deps.db, id);
  if (!row) throw notFound('Debtor');
  return debtorView(row);
}

export async function listDebtors(deps: Deps, query: { q?: string; page: number; limit: number }) {
  const { items, total } = await repo.listDebtors(deps.db, query);
  return { items: items.map(debtorView), total, page: query.page, limit: query.limit };
}

export async function updateDebtor(deps: Deps, actorId: string, id: string, body: UpdateDebtor) {
  checkOib(body.oib);
  try {
    return await deps.db.transaction().execute(async (trx) => {
      const row = await repo.updateDebtor(trx, id, body);
      if (!row) throw notFound('Debtor');
      await recordAudit(deps, trx, {
        domain: 'payment',
        action: 'debtor_updated',
        actor: { type: 'user', id: actorId },
        subject: { type: 'debtor', id },
        changes: { fields: Object.keys(body) },
      });
      return debtorView(row);
    });
  } catch (err) {
    if (repo.isOibTaken(err)) throw taken();
    throw err;
  }
}

export async function deleteDebtor(deps: Deps, actorId: string, id: string): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    const row = await repo.findDebtor(trx, id, { forUpdate: true });
    if (!row) throw notFound('Debtor');
    if (await repo.debtorHasOffers(trx, id)) {
      throw new AppError('DEBTOR_IN_USE', 'The debtor has payment offers and cannot be deleted');
    }
    await repo.deleteDebtor(trx, id);
    await recordAudit(deps, trx, {
      domain: 'payment',
      action: 'debtor_deleted',
      actor: { type: 'user', id: actorId },
      subject: { type: 'debtor', id },
    });
  });
}
