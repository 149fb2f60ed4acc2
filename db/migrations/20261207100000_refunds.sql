-- Refunds (E8-F3) and self-service cancellation (E9-F8). Written by the sales module's
-- refunds sub-domain (src/modules/sales/refunds.*); Stripe is called by its job.
CREATE TYPE refund_source AS ENUM ('SELF_SERVICE', 'SUPPORT', 'SYSTEM');
CREATE TYPE refund_status AS ENUM (
  'PENDING', 'PENDING_APPROVAL', 'APPROVED', 'PROCESSING', 'COMPLETED', 'FAILED', 'REJECTED'
);

-- One row per refund request: one Stripe refund of the order's payment. ticket_id is the
-- ticket when the refund is of exactly one; refund_tickets lists every ticket it covers.
CREATE TABLE refunds (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  order_id          uuid NOT NULL REFERENCES orders (id),
  ticket_id         uuid REFERENCES tickets (id),
  payment_id        uuid NOT NULL REFERENCES payments (id),
  stripe_refund_id  text,
  refund_amount     integer NOT NULL CHECK (refund_amount > 0),
  fee_retained      integer NOT NULL DEFAULT 0 CHECK (fee_retained >= 0),
  source            refund_source NOT NULL,
  reason            text NOT NULL CHECK (length(btrim(reason)) > 0),
  status            refund_status NOT NULL DEFAULT 'PENDING',
  requested_by      uuid REFERENCES users (id) ON DELETE SET NULL,
  approved_by       uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at        timestamptz NOT NULL DEFAULT now(),
  completed_at      timestamptz,
  -- beyond the spec row: the Stripe attempt (idempotency key hns-refund-<id>-<attempt>; an
  -- admin's retry of a FAILED refund is the next attempt), who rejected it and when the
  -- approver decided, and Stripe's failure reason.
  attempt           integer NOT NULL DEFAULT 1 CHECK (attempt >= 1),
  rejected_by       uuid REFERENCES users (id) ON DELETE SET NULL,
  decided_at        timestamptz,
  failure_reason    text,
  updated_at        timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT refunds_stripe_refund_id_key UNIQUE (stripe_refund_id),
  CONSTRAINT refunds_completed_has_stripe_id CHECK (status <> 'COMPLETED' OR stripe_refund_id IS NOT NULL)
);
CREATE INDEX refunds_order_id_idx ON refunds (order_id);
CREATE INDEX refunds_status_created_idx ON refunds (status, created_at DESC);
CREATE TRIGGER refunds_updated_at BEFORE UPDATE ON refunds FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- The tickets a refund covers and their shares. A ticket is in at most one live refund
-- (released_at NULL; a rejection releases it): the database's own guard against giving
-- the money for a ticket back twice.
CREATE TABLE refund_tickets (
  refund_id      uuid NOT NULL REFERENCES refunds (id),
  ticket_id      uuid NOT NULL REFERENCES tickets (id),
  ticket_amount  integer NOT NULL CHECK (ticket_amount >= 0),
  fee_amount     integer NOT NULL CHECK (fee_amount >= 0),
  refunded_fee   boolean NOT NULL,
  released_at    timestamptz,
  PRIMARY KEY (refund_id, ticket_id)
);
CREATE UNIQUE INDEX refund_tickets_live_ticket_key ON refund_tickets (ticket_id) WHERE released_at IS NULL;

-- Self-service cancellation (E9-F8).
CREATE TYPE cancellation_req_status AS ENUM ('PENDING', 'PROCESSING', 'COMPLETED', 'FAILED');

CREATE TABLE cancellation_requests (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  order_id       uuid NOT NULL REFERENCES orders (id),
  ticket_ids     uuid[] NOT NULL CHECK (cardinality(ticket_ids) > 0),
  reason         text,
  refund_amount  integer NOT NULL CHECK (refund_amount > 0),
  initiated_by   uuid REFERENCES users (id) ON DELETE SET NULL,
  status         cancellation_req_status NOT NULL DEFAULT 'PENDING',
  created_at     timestamptz NOT NULL DEFAULT now(),
  completed_at   timestamptz,
  -- beyond the spec row: the refund that gives the money back
  refund_id      uuid NOT NULL REFERENCES refunds (id),
  CONSTRAINT cancellation_requests_refund_id_key UNIQUE (refund_id)
);
CREATE INDEX cancellation_requests_order_id_idx ON cancellation_requests (order_id);

-- Outbox of credit-note requests for the invoicing module (e-računi, a later issue): one
-- row per refund, written in the transaction that commits the refund to go to Stripe.
-- Contract in src/modules/sales/README.md ("Credit notes").
CREATE TABLE credit_note_requests (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  refund_id      uuid NOT NULL REFERENCES refunds (id),
  order_id       uuid NOT NULL REFERENCES orders (id),
  order_number   text NOT NULL,
  ticket_ids     uuid[] NOT NULL,
  ticket_amount  integer NOT NULL CHECK (ticket_amount >= 0),
  fee_amount     integer NOT NULL CHECK (fee_amount >= 0),
  total_amount   integer NOT NULL CHECK (total_amount = ticket_amount + fee_amount),
  currency       char(3) NOT NULL,
  reason         text NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  -- set by the invoicing module once e-računi has the credit note
  processed_at   timestamptz,
  CONSTRAINT credit_note_requests_refund_id_key UNIQUE (refund_id)
);
CREATE INDEX credit_note_requests_pending_idx ON credit_note_requests (created_at) WHERE processed_at IS NULL;

-- A refunded or cancelled ticket's seat back in the inventory (AVAILABLE, or BLOCKED
-- close to kick-off), in the seat trail.
ALTER TYPE seat_audit_action ADD VALUE 'TICKET_RETURNED';
