-- E2-F7: match cancellation. One row per cancelled match: who, why, from which status, and
-- the progress of its job (matches.cancellation: refund every paid order in full, cancel
-- its tickets, tell every holder and buyer once through the cancellation's notice).
CREATE TABLE match_cancellations (
  match_id         uuid PRIMARY KEY REFERENCES matches (id) ON DELETE CASCADE,
  previous_status  match_status NOT NULL,
  reason           text NOT NULL,
  cancelled_by     uuid REFERENCES users (id) ON DELETE SET NULL,
  cancelled_at     timestamptz NOT NULL,
  -- the people told: the recipients of this notice (written by the job's first step)
  notice_id        uuid NOT NULL REFERENCES match_update_notices (id),
  -- RUNNING until every paid order has its refund and every person was told
  status           text NOT NULL DEFAULT 'RUNNING' CHECK (status IN ('RUNNING', 'DONE')),
  -- the paid orders the job found to refund (set by its first step)
  orders_total     integer,
  started_at       timestamptz,
  completed_at     timestamptz,
  -- the run working on it holds this lease and renews it per batch; a run that died (a
  -- worker killed) lets it lapse, and the resume job (every minute) starts another
  lease_until      timestamptz,
  -- the step of the workflow (its transaction): holds released, open orders cancelled,
  -- fans taken out of the waiting room
  released_seats   integer NOT NULL DEFAULT 0,
  cancelled_orders integer NOT NULL DEFAULT 0,
  queue_removed    integer NOT NULL DEFAULT 0
);

-- A notice is an update (E2-F6) or the cancellation's (E2-F7): the update job skips the
-- latter, whose people the cancellation job tells.
ALTER TABLE match_update_notices
  ADD COLUMN kind text NOT NULL DEFAULT 'UPDATE' CHECK (kind IN ('UPDATE', 'CANCELLATION'));

-- What each person was sent, so the cancellation report counts sent and failed messages.
ALTER TABLE match_update_notice_recipients
  ADD COLUMN email_log_id uuid,
  ADD COLUMN push_job_id uuid;

-- source = SYSTEM is the match cancellation's refund: one per order at most, so a job that
-- runs again (or twice at once) can never refund an order a second time.
CREATE UNIQUE INDEX refunds_system_order_key ON refunds (order_id) WHERE source = 'SYSTEM';
