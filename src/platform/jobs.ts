import { CompiledQuery } from 'kysely';
import { PgBoss, type Job, type JobOptions, type JobResult, type QueueOptions } from 'pg-boss';
import type { Logger } from 'pino';
import type { Executor } from './db/database.ts';

/**
 * Background jobs on pg-boss, in the same PostgreSQL as the business data. That makes
 * `enqueue(trx, …)` a transactional outbox: the job row is written by the caller's
 * transaction, so a rolled-back change never runs its job and a committed one always does.
 */

export interface JobDefinition<T extends object = object> {
  /** Queue name: `<module>.<action>`, e.g. `notifications.send-email`. */
  name: string;
  // Method syntax keeps definitions of different payloads assignable to JobDefinition[].
  /** Handles one job; throwing fails it (pg-boss retries it per the queue policy). */
  handler(data: T, job: Job<T>): Promise<void>;
  /**
   * Handles a whole fetched batch at once, for set-based work (one statement for the rows of
   * all its jobs). When present the worker calls it instead of `handler`. It resolves with
   * each job's outcome by job id: `undefined` completes the job, an Error fails it, so a
   * failed job is retried alone. A job missing from the map fails; a throw fails the batch.
   */
  batchHandler?(jobs: Job<T>[]): Promise<Map<string, Error | undefined>>;
  /** Retry and expiry policy for the queue (created at start-up). */
  queue?: QueueOptions;
  /** Jobs fetched per poll, handled concurrently (or by `batchHandler` at once) by one worker. */
  batchSize?: number;
  /** How often an idle worker polls, in seconds (pg-boss minimum is 0.5). */
  pollingIntervalSeconds?: number;
  /** Cron schedule (UTC) for periodic jobs such as sweepers; pg-boss runs it once cluster-wide. */
  cron?: string;
}

export const defineJob = <T extends object>(def: JobDefinition<T>): JobDefinition<T> => def;

/**
 * The per-job `handler` of a definition whose work is its `batchHandler`: the job handled
 * as a batch of one, failing when its outcome is an error.
 */
export const batchOfOne =
  <T extends object>(batchHandler: NonNullable<JobDefinition<T>['batchHandler']>) =>
  async (_data: T, job: Job<T>): Promise<void> => {
    const err = (await batchHandler([job])).get(job.id);
    if (err) throw err;
  };

export interface JobQueue {
  /** Enqueue inside the caller's transaction (the outbox). */
  enqueue<T extends object>(
    trx: Executor,
    name: string,
    data: T,
    options?: JobOptions,
  ): Promise<string | null>;
  /**
   * Enqueue many jobs of one queue in the caller's transaction with one statement (the
   * outbox, set-based): for fan-outs such as an admission round's pushes.
   */
  enqueueMany<T extends object>(trx: Executor, name: string, data: readonly T[]): Promise<void>;
  /** Create queues and schedules for these definitions (idempotent). */
  install(definitions: JobDefinition[]): Promise<void>;
  /** Start handling jobs for these definitions in this process. */
  work(definitions: JobDefinition[]): Promise<void>;
  readonly boss: PgBoss;
  start(): Promise<void>;
  stop(options?: { graceful?: boolean; timeoutMs?: number }): Promise<void>;
}

export interface JobQueueOptions {
  connectionString: string;
  schema: string;
  logger: Logger;
  /** Only a worker supervises (maintenance, schedules); API processes just send. */
  supervise: boolean;
  max?: number;
}

export function createJobQueue(opts: JobQueueOptions): JobQueue {
  const boss = new PgBoss({
    connectionString: opts.connectionString,
    schema: opts.schema,
    max: opts.max ?? 4,
    supervise: opts.supervise,
    schedule: opts.supervise,
    application_name: 'hns-jobs',
  });
  let started = false;
  // Aborted when this process starts to stop: a long-running handler (the waiting room's
  // tick loop) ends its loop at once instead of holding the graceful stop until pg-boss
  // gives up on it after SHUTDOWN_TIMEOUT_MS.
  const stopping = new AbortController();
  // The error alone, not pg's client object it carries (hundreds of lines per error). Once
  // we stop, a connection cut by the database going away is expected, not an error.
  boss.on('error', (error: Error & { code?: string }) => {
    const err = { type: error.name, message: error.message, code: error.code, stack: error.stack };
    if (stopping.signal.aborted) opts.logger.debug({ err }, 'job queue error while stopping');
    else opts.logger.error({ err }, 'job queue error');
  });

  return {
    boss,
    async start() {
      if (started) return;
      await boss.start();
      started = true;
    },
    async stop({ graceful = true, timeoutMs = 10_000 } = {}) {
      if (!started) return;
      started = false;
      stopping.abort();
      await boss.stop({ graceful, timeout: timeoutMs, close: true });
    },
    async enqueue(trx, name, data, options = {}) {
      return boss.send(name, data, { ...options, db: executorOf(trx) });
    },
    async enqueueMany(trx, name, data) {
      if (data.length === 0) return;
      await boss.insert(
        name,
        data.map((d) => ({ data: d })),
        { db: executorOf(trx) },
      );
    },
    async install(definitions) {
      for (const def of definitions) {
        const existing = await boss.getQueue(def.name);
        if (!existing) await boss.createQueue(def.name, def.queue ?? {});
        else if (def.queue) await boss.updateQueue(def.name, def.queue);
        if (def.cron) await boss.schedule(def.name, def.cron, {}, { tz: 'UTC' });
      }
    },
    async work(definitions) {
      for (const def of definitions) {
        await boss.work<object>(
          def.name,
          {
            batchSize: def.batchSize ?? 1,
            pollingIntervalSeconds: def.pollingIntervalSeconds ?? 1,
            // Settle each job of a batch on its own: one failure is retried alone.
            perJobResults: true,
            // A full batch means a backlog: fetch again at once instead of waiting a poll.
            burstWhenBatchFull: true,
          },
          async (jobs) =>
            def.batchHandler
              ? settleBatch(def, jobs as Job<never>[], opts.logger)
              : Promise.all(
                  jobs.map(async (job) => {
                    try {
                      const signal = AbortSignal.any([job.signal, stopping.signal]);
                      await def.handler(job.data, { ...job, signal } as Job<never>);
                      return { id: job.id, status: 'completed' as const };
                    } catch (err) {
                      opts.logger.warn({ err, queue: def.name, jobId: job.id }, 'job failed');
                      return failed(job.id, err);
                    }
                  }),
                ),
        );
      }
    },
  };
}

const failed = (id: string, err: unknown): JobResult => ({
  id,
  status: 'failed',
  output: { message: String(err) },
});

/** Runs a definition's batch handler and turns its per-job outcomes into pg-boss results. */
async function settleBatch(
  def: JobDefinition,
  jobs: Job<never>[],
  logger: Logger,
): Promise<JobResult[]> {
  let outcomes: Map<string, Error | undefined>;
  try {
    outcomes = await def.batchHandler!(jobs);
  } catch (err) {
    logger.warn({ err, queue: def.name, jobs: jobs.length }, 'job batch failed');
    return jobs.map((job) => failed(job.id, err));
  }
  return jobs.map((job) => {
    if (!outcomes.has(job.id)) {
      const err = new Error(`batch handler of ${def.name} returned no outcome for the job`);
      logger.warn({ err, queue: def.name, jobId: job.id }, 'job failed');
      return failed(job.id, err);
    }
    const err = outcomes.get(job.id);
    if (!err) return { id: job.id, status: 'completed' };
    logger.warn({ err, queue: def.name, jobId: job.id }, 'job failed');
    return failed(job.id, err);
  });
}

/** pg-boss runs its SQL through the caller's transaction: that is what makes it an outbox. */
function executorOf(trx: Executor) {
  return {
    executeSql: async (text: string, values?: unknown[]) => {
      const result = await trx.executeQuery(CompiledQuery.raw(text, values ?? []));
      return { rows: result.rows as unknown[] };
    },
  };
}
