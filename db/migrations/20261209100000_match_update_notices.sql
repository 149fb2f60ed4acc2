-- E2-F6: match update notices. A change of kick-off, venue or status made with
-- notification_preference = 'notify' becomes one notice; a job fans it out to every
-- person with a valid ticket of the match (the account the ticket is in, and the named
-- holder's email), once per person: the recipient row is the "already told" record, so a
-- re-run or a retried batch sends nobody anything twice.
CREATE TABLE match_update_notices (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  match_id       uuid NOT NULL REFERENCES matches (id) ON DELETE CASCADE,
  -- the match_audit_logs rows this notice announces (one PUT may log two: details, status)
  audit_log_ids  uuid[] NOT NULL,
  -- { kick_off_time?: {before, after}, venue?: {before, after}, status?: {before, after} }
  changes_json   jsonb NOT NULL,
  status         text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'SENDING', 'DONE')),
  recipients     integer NOT NULL DEFAULT 0,
  created_at     timestamptz NOT NULL DEFAULT now(),
  completed_at   timestamptz
);
CREATE INDEX match_update_notices_match_id_idx ON match_update_notices (match_id, created_at);

CREATE TABLE match_update_notice_recipients (
  notice_id      uuid NOT NULL REFERENCES match_update_notices (id) ON DELETE CASCADE,
  -- the person: their email, lower-cased (an account and a holder with one email are one)
  recipient_key  text NOT NULL,
  -- the account to push to (NULL: a holder without an account gets the email only)
  user_id        uuid REFERENCES users (id) ON DELETE SET NULL,
  full_name      text,
  -- the language is chosen from it when writing (matches.rules.ts localeOfNationality)
  nationality    char(2),
  -- set in the transaction that writes this person's email and push into the outbox
  notified_at    timestamptz,
  PRIMARY KEY (notice_id, recipient_key)
);
CREATE INDEX match_update_notice_recipients_pending_idx
  ON match_update_notice_recipients (notice_id, recipient_key) WHERE notified_at IS NULL;
