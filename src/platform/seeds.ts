import type { AppDeps } from '../deps.ts';

/** Reference data loaded by `seed` (and at start-up). Each seed must be idempotent. */
export interface Seed {
  name: string;
  run(deps: Pick<AppDeps, 'db' | 'config' | 'logger' | 'clock'>): Promise<void>;
}

export async function runSeeds(
  seeds: Seed[],
  deps: Pick<AppDeps, 'db' | 'config' | 'logger' | 'clock'>,
) {
  for (const seed of seeds) {
    await seed.run(deps);
    deps.logger.info({ seed: seed.name }, 'seeded');
  }
}
