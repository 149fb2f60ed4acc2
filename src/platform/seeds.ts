import type { AppDeps } from '../deps.ts';

// jobs: seeds may write through services, whose transactions enqueue (audit events).
export type SeedDeps = Pick<AppDeps, 'db' | 'config' | 'logger' | 'clock' | 'jobs'>;

/** Reference data loaded by `seed` (and at start-up). Each seed must be idempotent. */
export interface Seed {
  name: string;
  run(deps: SeedDeps): Promise<void>;
}

export async function runSeeds(seeds: Seed[], deps: SeedDeps) {
  for (const seed of seeds) {
    await seed.run(deps);
    deps.logger.info({ seed: seed.name }, 'seeded');
  }
}
