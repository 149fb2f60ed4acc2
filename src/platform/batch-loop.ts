import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';

/**
 * A loop that drains an outbox table batch by batch for as long as the process runs: the
 * audit shipper and the email and push deliveries run one each in every worker.
 */
export interface BatchLoopOptions {
  /** Pause after a batch smaller than full (the outbox is (nearly) drained). */
  pollMs?: number;
  /** First pause after a failed batch; doubles per failure up to retryDelayMaxMs. */
  retryDelayMs?: number;
  retryDelayMaxMs?: number;
}

export interface BatchLoop {
  /** Lets the batch in flight finish, then ends the loop. */
  stop(): Promise<void>;
}

/**
 * Runs `runBatch` (which returns how many rows it took) until stopped: a full batch means a
 * backlog, so the next follows at once; a smaller one pauses pollMs. A batch that throws
 * (database or provider down) is logged and the loop backs off exponentially, so an outage
 * costs a few attempts a minute, not a busy loop; the rows wait in their table.
 */
export function startBatchLoop(
  name: string,
  logger: Logger,
  batchSize: number,
  runBatch: () => Promise<number>,
  options: BatchLoopOptions = {},
): BatchLoop {
  const { pollMs = 500, retryDelayMs = 1_000, retryDelayMaxMs = 60_000 } = options;
  const stopping = new AbortController();
  const pause = (ms: number) =>
    sleep(ms, undefined, { signal: stopping.signal }).catch(() => undefined);

  const loop = (async () => {
    let failures = 0;
    while (!stopping.signal.aborted) {
      try {
        const taken = await runBatch();
        failures = 0;
        if (taken < batchSize) await pause(pollMs);
      } catch (err) {
        failures += 1;
        const delay = Math.min(retryDelayMs * 2 ** (failures - 1), retryDelayMaxMs);
        logger.warn({ err, failures, retryInMs: delay }, `${name} failed; retrying`);
        await pause(delay);
      }
    }
  })();

  return {
    async stop() {
      stopping.abort();
      await loop;
    },
  };
}
