import type { AppDeps } from '../../deps.ts';
import type { Executor } from '../../platform/db/database.ts';
import type { QuotaRow } from './quotas.repo.ts';

/**
 * What another module owns on a quota that must end with the quota's deadline, run in the
 * expiry's transaction (the quota locked) before its unclaimed seats go back to sale. A
 * module registers its hook when it is loaded (src/modules/index.ts loads it), so quotas
 * imports none of them: petrol expires a PETROL quota's PINs and releases its live
 * reservations (E12-F4), whose seats are then unclaimed like the rest.
 */
export type QuotaExpiryHook = (
  deps: Pick<AppDeps, 'clock'>,
  trx: Executor,
  quota: QuotaRow,
  now: Date,
) => Promise<void>;

const hooks: QuotaExpiryHook[] = [];

export function registerQuotaExpiryHook(hook: QuotaExpiryHook): void {
  if (!hooks.includes(hook)) hooks.push(hook);
}

export async function runQuotaExpiryHooks(
  deps: Pick<AppDeps, 'clock'>,
  trx: Executor,
  quota: QuotaRow,
  now: Date,
) {
  for (const hook of hooks) await hook(deps, trx, quota, now);
}
