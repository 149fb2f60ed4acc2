/**
 * Delivery from the log tables (the notifications outbox). `sendEmail` / `sendPush` write
 * email_logs / push_logs rows due at once (`next_attempt_at`) in the caller's transaction;
 * every worker process runs an email and a push delivery loop (email.delivery.ts,
 * push.delivery.ts) that leases due rows in batches with FOR UPDATE SKIP LOCKED, so the
 * workers share the backlog and each row goes to one of them.
 *
 * At-least-once: a batch's lease is one committed statement (no transaction stays open
 * during the SMTP/FCM sends) and its outcomes are written with one statement after all
 * its sends; a worker dying in between leaves the rows leased until DELIVERY_LEASE_MS has
 * passed, and then they are sent again. Idempotent where it matters: a SENT email or push
 * is never sent again (the lease skips it, and a retry covers only the rows not SENT).
 *
 * Retry policy: a failed attempt worth retrying (the SMTP server refused, FCM unavailable)
 * counts in the row's `attempts` and makes the row due again after retryDelayMs (30 s
 * doubling per attempt, at most an hour, as the pg-boss policy before); after
 * EMAIL_MAX_ATTEMPTS / PUSH_MAX_ATTEMPTS the row stays FAILED and leaves the outbox.
 * A problem no retry can fix (unknown template, missing variable, SMTP/FCM not configured,
 * unregistered device) fails the row and takes it out of the outbox at once.
 */
export const RETRY_POLICY = {
  retryLimit: 100,
  retryDelay: 30,
  retryBackoff: true,
  retryDelayMax: 3_600,
};

/** How long after its `attempts`-th failed attempt a row is tried again. */
export const retryDelayMs = (attempts: number): number =>
  Math.min(RETRY_POLICY.retryDelay * 2 ** Math.max(attempts - 1, 0), RETRY_POLICY.retryDelayMax) *
  1_000;

/**
 * How long a leased batch is a worker's: longer than a batch's sends can take (SMTP and FCM
 * calls time out well within it), short enough that a dead worker's rows are not late by
 * much more than the pg-boss job expiry they replace (15 minutes).
 */
export const DELIVERY_LEASE_MS = 10 * 60_000;

/** The end of a lease taken at `now`. */
export const leaseUntil = (now: Date): Date => new Date(now.getTime() + DELIVERY_LEASE_MS);

/**
 * The outcome of a problem no retry fixes: the row is FAILED at once and leaves the outbox;
 * no attempt was made, so its `attempts` stay as they are.
 */
export const givenUp = (log: { id: string; attempts: number }, message: string) => ({
  id: log.id,
  status: 'FAILED' as const,
  attempts: log.attempts,
  next_attempt_at: null,
  error_message: message,
});

export const errorText = (err: unknown) =>
  (err instanceof Error ? err.message : String(err)).slice(0, 2_000);
