-- Revocation within seconds (issue 18): every API instance reads the sessions revoked
-- since its last look every 2 s; revoked rows are few (purged after 30 days), so a partial
-- index keeps that read off the table. Blacklisting an OIB ends its users' sessions too.
CREATE INDEX sessions_revoked_at_idx ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;

ALTER TABLE sessions DROP CONSTRAINT sessions_revoked_reason_check;
ALTER TABLE sessions ADD CONSTRAINT sessions_revoked_reason_check
  CHECK (revoked_reason IN ('logout', 'reuse_detected', 'user_suspended', 'user_blacklisted'));
