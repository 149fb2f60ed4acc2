/**
 * Delivery workers. Both are at-least-once (a worker dying between the provider's answer
 * and the log update sends again on retry; both update the logs of a whole batch after
 * its sends) and idempotent where it matters: a SENT email or push is never sent again by
 * a retried job.
 *
 * Retry policy: pg-boss retries a failed job with exponential backoff (queue options
 * below); the handlers count attempts in the log row and give up after
 * EMAIL_MAX_ATTEMPTS / PUSH_MAX_ATTEMPTS by completing the job with the log FAILED.
 * A problem no retry can fix (unknown template, missing variable, FCM not configured,
 * unregistered device) fails the log at once without retrying.
 */
export const RETRY_POLICY = {
  retryLimit: 100,
  retryDelay: 30,
  retryBackoff: true,
  retryDelayMax: 3_600,
};

export const errorText = (err: unknown) =>
  (err instanceof Error ? err.message : String(err)).slice(0, 2_000);
