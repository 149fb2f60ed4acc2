-- Quota portal (E7-F1 … E7-F7): the quota-holder role, import batches (E7-F2/F3), claim
-- carts (E7-F5), sub-quotas (E7-F6), and the foreign keys the quotas migration left for
-- them (quota_seats.subquota_id, quota_seats.claim_cart_id, quotas.batch_id).

-- Quota holders log in with the same SSO as the app; the role is derived from quota
-- ownership at token issuance (modules/quotas registers it with identity), and may also be
-- granted locally like any role.
ALTER TYPE app_role ADD VALUE IF NOT EXISTS 'QUOTA_HOLDER';

-- E7-F2 / E7-F3: one CSV upload, for one or several matches. `file_sha256` + `match_ids`
-- make a re-upload of the same file for the same matches return the first batch.
CREATE TABLE quota_import_batches (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  match_id           uuid NOT NULL REFERENCES matches (id),   -- the first of match_ids
  match_ids          uuid[] NOT NULL,
  file_name          text NOT NULL,
  file_sha256        text NOT NULL,
  total_rows         integer NOT NULL CHECK (total_rows >= 0),
  successful_rows    integer NOT NULL CHECK (successful_rows >= 0),
  failed_rows        integer NOT NULL CHECK (failed_rows >= 0),
  error_report_json  jsonb NOT NULL DEFAULT '[]',
  imported_by        uuid REFERENCES users (id) ON DELETE SET NULL,
  imported_at        timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX quota_import_batches_file_key ON quota_import_batches (file_sha256, match_ids);
ALTER TABLE quotas
  ADD CONSTRAINT quotas_batch_id_fkey FOREIGN KEY (batch_id) REFERENCES quota_import_batches (id);

-- E7-F6: sub-quotas, seats of a parent quota passed on to another recipient.
CREATE TYPE subquota_status AS ENUM ('ALLOCATED', 'RESERVED', 'SOLD', 'EXPIRED', 'CANCELLED', 'RETRACTED');
CREATE TABLE subquotas (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  parent_quota_id  uuid NOT NULL REFERENCES quotas (id) ON DELETE CASCADE,
  recipient_email  text NOT NULL,           -- stored lower-cased
  recipient_name   text,
  internal_note    text,
  quantity         integer NOT NULL CHECK (quantity > 0),
  status           subquota_status NOT NULL DEFAULT 'ALLOCATED',
  expires_at       timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  claimed_at       timestamptz,
  retracted_at     timestamptz
);
CREATE INDEX subquotas_parent_quota_id_idx ON subquotas (parent_quota_id);
CREATE INDEX subquotas_recipient_email_idx ON subquotas (recipient_email);
CREATE INDEX subquotas_status_idx ON subquotas (status);

-- A quota seat is in at most one sub-quota (the spec's UNIQUE on quota_seat_id): the
-- constraint is what makes concurrent sub-quota creation over the same seats have one
-- winner. A retracted sub-quota deletes its rows (the sub-quota row keeps the history).
CREATE TABLE subquota_seats (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  subquota_id    uuid NOT NULL REFERENCES subquotas (id) ON DELETE CASCADE,
  quota_seat_id  uuid NOT NULL REFERENCES quota_seats (id) ON DELETE CASCADE,
  created_at     timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT subquota_seats_quota_seat_id_key UNIQUE (quota_seat_id)
);
CREATE INDEX subquota_seats_subquota_id_idx ON subquota_seats (subquota_id);
ALTER TABLE quota_seats
  ADD CONSTRAINT quota_seats_subquota_id_fkey FOREIGN KEY (subquota_id) REFERENCES subquotas (id);

-- E7-F5: a claim in progress (select seats → holders → payment).
CREATE TYPE claim_cart_status AS ENUM ('ACTIVE', 'EXPIRED', 'COMPLETED', 'ABANDONED');
CREATE TYPE claim_payment_status AS ENUM ('PENDING', 'DEFERRED', 'PAID', 'FREE');
CREATE TABLE quota_claim_carts (
  id                        uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  quota_id                  uuid NOT NULL REFERENCES quotas (id) ON DELETE CASCADE,
  subquota_id               uuid REFERENCES subquotas (id),
  user_id                   uuid NOT NULL REFERENCES users (id),
  status                    claim_cart_status NOT NULL DEFAULT 'ACTIVE',
  ticket_holders_json       jsonb,
  subtotal                  integer NOT NULL DEFAULT 0 CHECK (subtotal >= 0),   -- cents
  service_fee               integer NOT NULL DEFAULT 0 CHECK (service_fee >= 0),
  total                     integer NOT NULL DEFAULT 0 CHECK (total >= 0),
  stripe_payment_intent_id  text,
  payment_status            claim_payment_status NOT NULL DEFAULT 'PENDING',
  order_id                  uuid REFERENCES orders (id),
  expires_at                timestamptz,
  created_at                timestamptz NOT NULL DEFAULT now(),
  completed_at              timestamptz
);
CREATE INDEX quota_claim_carts_quota_id_idx ON quota_claim_carts (quota_id);
CREATE INDEX quota_claim_carts_user_id_idx ON quota_claim_carts (user_id);
CREATE INDEX quota_claim_carts_status_idx ON quota_claim_carts (status);
-- The expiry job's walk: active claims by deadline.
CREATE INDEX quota_claim_carts_expiry_idx ON quota_claim_carts (expires_at) WHERE status = 'ACTIVE';
ALTER TABLE quota_seats
  ADD CONSTRAINT quota_seats_claim_cart_id_fkey FOREIGN KEY (claim_cart_id) REFERENCES quota_claim_carts (id);

-- The seat trail of quota allocation: a seat set aside for a quota and given back to sale.
ALTER TYPE seat_audit_action ADD VALUE IF NOT EXISTS 'QUOTA_ALLOCATED';
ALTER TYPE seat_audit_action ADD VALUE IF NOT EXISTS 'QUOTA_RETURNED';

-- The deadline reminder (before expiration_date) is sent once per quota.
ALTER TABLE quotas ADD COLUMN reminder_sent_at timestamptz;
CREATE INDEX quotas_expiration_idx ON quotas (expiration_date) WHERE status IN ('ACTIVE', 'FULLY_CLAIMED');
