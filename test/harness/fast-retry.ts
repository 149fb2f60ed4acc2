import type { JobDefinition } from '../../src/platform/jobs.ts';

/** The real job definitions with a fixed 1 s retry delay, so failure paths run fast in tests. */
export function fastRetry<T extends JobDefinition[]>(definitions: T, delaySeconds = 1): T {
  return definitions.map((def) => {
    const { retryDelayMax: _max, ...queue } = def.queue ?? {};
    return { ...def, queue: { ...queue, retryDelay: delaySeconds, retryBackoff: false } };
  }) as T;
}
