-- Emails and pushes are delivered from their log tables (notifications/email.delivery.ts,
-- push.delivery.ts) instead of one pg-boss job each: an on-sale order's email and push jobs
-- cost ~5–7 ms of PostgreSQL time (a pgboss.job insert updating ~10 indexes, a fetch and a
-- completion), where a log row written in the order's transaction is already there.
--
-- next_attempt_at is the row's place in the outbox: when a worker should (re)try it. The
-- caller's transaction writes it (the send time); a worker leases due rows by moving it a
-- lease ahead (FOR UPDATE SKIP LOCKED, so every worker takes its own), then sets it NULL
-- (SENT, given up, or a failure no retry fixes) or to the next retry after the backoff.
-- NULL = nothing left to deliver. Rows of the previous release stay NULL: their pg-boss
-- jobs move them into the outbox (notifications.jobs.ts).
ALTER TABLE email_logs ADD COLUMN next_attempt_at timestamptz;
ALTER TABLE push_logs ADD COLUMN next_attempt_at timestamptz;

-- Only rows still to deliver are indexed: the index stays as small as the backlog.
CREATE INDEX email_logs_next_attempt_at_idx ON email_logs (next_attempt_at)
  WHERE next_attempt_at IS NOT NULL;
CREATE INDEX push_logs_next_attempt_at_idx ON push_logs (next_attempt_at)
  WHERE next_attempt_at IS NOT NULL;

COMMENT ON COLUMN push_logs.job_id IS
  'The notification: one id per push asked for (sendPush/sendPushes), shared by its rows '
  '(one per device). Named after the pg-boss job that carried a push before the outbox; a '
  'push of the previous release keeps its job id. Unique with push_token_id, so a push '
  'moved into the outbox twice keeps one row per device.';
COMMENT ON COLUMN email_logs.next_attempt_at IS
  'When a worker should (re)try this email; NULL when nothing is left to deliver.';
COMMENT ON COLUMN push_logs.next_attempt_at IS
  'When a worker should (re)try this push; NULL when nothing is left to deliver.';
