import { randomUUID } from 'node:crypto';
import type { Job } from 'pg-boss';

/** A job of `queue` as pg-boss hands it to a worker after a fetch (first attempt). */
export const fetchedJob = <T extends object>(
  queue: string,
  data: T,
  id: string = randomUUID(),
): Job<T> =>
  ({
    id,
    name: queue,
    data,
    expireInSeconds: 900,
    heartbeatSeconds: null,
    retryCount: 0,
    signal: new AbortController().signal,
  }) as Job<T>;
