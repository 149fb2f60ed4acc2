import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { defineJob, type JobQueue } from '../../src/platform/jobs.ts';
import { useTestContext } from '../harness/context.ts';

const t = useTestContext();

async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('condition not met in time');
}

describe('jobs enqueued in a transaction (outbox)', () => {
  it('never runs a job whose transaction rolled back, and runs each committed job exactly once with two workers', async () => {
    const seen: string[] = [];
    const def = defineJob<{ n: string }>({
      name: 'test.outbox',
      batchSize: 5,
      pollingIntervalSeconds: 0.5,
      handler: async ({ n }) => {
        seen.push(n);
      },
    });
    const workers: JobQueue[] = [await t.startWorker([def]), await t.startWorker([def])];
    expect(workers).toHaveLength(2);

    // Rolled back: the job row disappears with the business write.
    await t.deps.db
      .transaction()
      .execute(async (trx) => {
        await t.deps.jobs.enqueue(trx, def.name, { n: 'rolled-back' });
        throw new Error('business rule failed');
      })
      .catch(() => {});

    // Committed: 40 jobs from concurrent transactions.
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        t.deps.db
          .transaction()
          .execute((trx) => t.deps.jobs.enqueue(trx, def.name, { n: `job-${i}` })),
      ),
    );

    await waitFor(() => seen.length >= 40);
    // Give both workers time to (wrongly) pick anything up twice.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(seen).not.toContain('rolled-back');
    expect(seen).toHaveLength(40);
    expect(new Set(seen).size).toBe(40);
  });

  it('retries a failing job and settles the rest of its batch independently', async () => {
    let attempts = 0;
    const done: string[] = [];
    const def = defineJob<{ n: string }>({
      name: 'test.retry',
      batchSize: 5,
      pollingIntervalSeconds: 0.5,
      queue: { retryLimit: 3, retryDelay: 1 },
      handler: async ({ n }) => {
        if (n === 'flaky' && attempts++ < 1) throw new Error('temporary failure');
        done.push(n);
      },
    });
    await t.startWorker([def]);
    await t.deps.db.transaction().execute(async (trx) => {
      await t.deps.jobs.enqueue(trx, def.name, { n: 'flaky' });
      await t.deps.jobs.enqueue(trx, def.name, { n: 'steady' });
    });
    await waitFor(() => done.length >= 2);
    expect(done.sort()).toEqual(['flaky', 'steady']);
    expect(attempts).toBe(2);
    const states = await sql<{
      state: string;
    }>`SELECT state FROM pgboss.job WHERE name = 'test.retry'`.execute(t.deps.db);
    expect(states.rows.every((r) => r.state === 'completed')).toBe(true);
  });
});
