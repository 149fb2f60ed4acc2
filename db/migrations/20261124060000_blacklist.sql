-- Blacklist (E11-F1, E11-F3): people banned from football grounds by the police (MUP).
-- The OIB is personal data: stored encrypted (AES-256-GCM, src/platform/crypto.ts) with a
-- keyed HMAC blind index for the uniqueness constraint and the checkout lookup, plus the
-- last 4 digits for masked display. The plaintext OIB is never stored.

CREATE TYPE blacklist_status AS ENUM ('ACTIVE', 'REMOVED');

CREATE TABLE blacklist (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  oib_encrypted    text NOT NULL,
  oib_blind_index  text NOT NULL,
  oib_last4        char(4) NOT NULL,
  first_name       text NOT NULL,
  last_name        text NOT NULL,
  date_of_birth    date,
  status           blacklist_status NOT NULL DEFAULT 'ACTIVE',
  -- where the entry came from: MANUAL (admin API) or IMPORT (E11-F2 CSV batches)
  source           text NOT NULL DEFAULT 'MANUAL',
  notes            text,
  created_by       uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  removed_by       uuid REFERENCES users (id) ON DELETE SET NULL,
  removed_at       timestamptz,
  removal_reason   text,
  -- the spec's UNIQUE(oib), enforced on the blind index (ciphertexts are randomized)
  CONSTRAINT blacklist_oib_blind_index_key UNIQUE (oib_blind_index),
  CONSTRAINT blacklist_removed_check CHECK ((status = 'REMOVED') = (removed_at IS NOT NULL))
);
CREATE INDEX blacklist_status_idx ON blacklist (status);
CREATE TRIGGER blacklist_updated_at BEFORE UPDATE ON blacklist FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TYPE blacklist_action AS ENUM ('CREATE', 'UPDATE', 'REMOVE', 'RESTORE');

-- No foreign key to blacklist: the audit trail must outlive a hard-deleted entry (data
-- retention rule of E11-F1). changes_json never holds the plaintext OIB.
CREATE TABLE blacklist_audit_logs (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  blacklist_id  uuid NOT NULL,
  action        blacklist_action NOT NULL,
  changed_by    uuid REFERENCES users (id) ON DELETE SET NULL,
  changes_json  jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX blacklist_audit_logs_blacklist_id_idx ON blacklist_audit_logs (blacklist_id, created_at);

CREATE TYPE violation_action AS ENUM ('PURCHASE_ATTEMPT', 'TRANSFER_ATTEMPT');

-- A blocked attempt by a blacklisted person (E4-F6, E11-F3). `oib` of the spec is kept as
-- the blind index (lookups, E11-F5 reports) plus the last 4 digits (display).
CREATE TABLE violation_logs (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  oib_blind_index  text NOT NULL,
  oib_last4        char(4) NOT NULL,
  blacklist_id     uuid REFERENCES blacklist (id) ON DELETE SET NULL,
  action_type      violation_action NOT NULL,
  match_id         uuid REFERENCES matches (id) ON DELETE SET NULL,
  user_id          uuid REFERENCES users (id) ON DELETE SET NULL,
  session_id       text,
  ip_address       inet,
  user_agent       text,
  blocked_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX violation_logs_oib_blind_index_idx ON violation_logs (oib_blind_index);
CREATE INDEX violation_logs_blacklist_id_idx ON violation_logs (blacklist_id);
CREATE INDEX violation_logs_match_id_idx ON violation_logs (match_id);
CREATE INDEX violation_logs_blocked_at_idx ON violation_logs (blocked_at);
