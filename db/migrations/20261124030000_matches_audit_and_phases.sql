-- Matches module (E2-F1, E2-F2, E2-F4, E2-F6): the match change log and race-free sales
-- phase overlap. matches, sales_phases, price_categories and match_sectors come from the
-- core schema.

-- Match change log (E2-F6) ---------------------------------------------------------------
-- The spec's five change types, plus the changes E2-F1/E2-F4 also record here so the log
-- is complete: CREATE, ACTIVATE (sales open), DELETE (soft) and CONFIGURE (stadium
-- configuration, sectors, prices, sales phases, validate/lock/unlock). Only UPDATE,
-- RESCHEDULE, CANCEL and CLOSE concern ticket holders (notification_preference).
CREATE TYPE match_change_type AS ENUM (
  'UPDATE', 'CANCEL', 'RESCHEDULE', 'PUBLISH', 'CLOSE', 'CREATE', 'ACTIVATE', 'DELETE', 'CONFIGURE'
);

CREATE TABLE match_audit_logs (
  id                       uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  match_id                 uuid NOT NULL REFERENCES matches (id) ON DELETE CASCADE,
  -- NULL for system changes (jobs, CLI); the log row survives the user's deletion.
  changed_by               uuid REFERENCES users (id) ON DELETE SET NULL,
  change_type              match_change_type NOT NULL,
  -- { entity, entity_id, action, before, after }
  changes_json             jsonb NOT NULL,
  -- E2-F6: what the manager chose on PUT; sending is done by the notifications module.
  notification_preference  text CHECK (notification_preference IN ('notify', 'silent')),
  notification_sent        boolean NOT NULL DEFAULT false,
  created_at               timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX match_audit_logs_match_id_created_at_idx ON match_audit_logs (match_id, created_at);
-- The notification sender picks up changes still to announce.
CREATE INDEX match_audit_logs_pending_notification_idx ON match_audit_logs (created_at)
  WHERE notification_preference = 'notify' AND NOT notification_sent;

-- Sales phases (E2-F2): "phases cannot have overlapping dates", enforced by the database so
-- two concurrent requests cannot both pass an application-side check. Ranges are
-- half-open [start_at, end_at): a phase may start exactly when the previous one ends.
-- Deactivated phases are ignored, so a replacement can be configured in their window.
-- btree_gist is a trusted extension (PostgreSQL 13+): the database owner can create it.
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE sales_phases
  ADD CONSTRAINT sales_phases_no_overlap
  EXCLUDE USING gist (match_id WITH =, tstzrange(start_at, end_at) WITH &&) WHERE (is_active);

-- Lists hide soft-deleted matches (E2-F1) and sort by kick-off.
CREATE INDEX matches_listed_kick_off_idx ON matches (kick_off_time) WHERE status <> 'DELETED';

-- When the configuration was last locked (E2-F4), for staff and for the inventory.
ALTER TABLE matches ADD COLUMN config_locked_at timestamptz;
