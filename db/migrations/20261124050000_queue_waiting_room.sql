-- Waiting room for on-sales (E5). Redis holds the live line (sorted set per match); this
-- table is the durable record of every fan's place and purchase window, and what the cart
-- reads to decide whether a fan has been admitted (src/modules/queue/README.md).

CREATE TYPE queue_status AS ENUM ('WAITING', 'ACTIVE', 'EXPIRED', 'COMPLETED', 'LEFT');

CREATE TABLE queue_entries (
  id                       uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id                  uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  match_id                 uuid NOT NULL REFERENCES matches (id) ON DELETE CASCADE,
  -- The fan's ticket number in the line (the sorted-set score): strictly increasing with
  -- arrival, re-drawn by the fair-start shuffle for fans who came before the opening. The
  -- live position (1, 2, 3, …) is the rank among WAITING entries ordered by this column.
  position                 bigint NOT NULL,
  status                   queue_status NOT NULL DEFAULT 'WAITING',
  joined_at                timestamptz NOT NULL,
  window_started_at        timestamptz,
  window_expires_at        timestamptz,
  last_heartbeat           timestamptz NOT NULL,
  grace_period_expires_at  timestamptz NOT NULL,
  is_connected             boolean NOT NULL DEFAULT true,
  completed_at             timestamptz,
  created_at               timestamptz NOT NULL DEFAULT now(),
  updated_at               timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT queue_entries_user_id_match_id_key UNIQUE (user_id, match_id),
  CONSTRAINT queue_entries_window_check CHECK (
    (status = 'ACTIVE') <= (window_started_at IS NOT NULL AND window_expires_at IS NOT NULL)
  )
);
CREATE INDEX queue_entries_match_id_status_idx ON queue_entries (match_id, status);
CREATE INDEX queue_entries_match_id_position_idx ON queue_entries (match_id, position);
-- The expiry sweep reads only open windows.
CREATE INDEX queue_entries_window_expires_at_idx ON queue_entries (window_expires_at)
  WHERE status = 'ACTIVE';
CREATE TRIGGER queue_entries_updated_at BEFORE UPDATE ON queue_entries
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Per-match waiting-room settings, changed by match managers (PUT /admin/matches/{id}/queue).
-- A match without a row uses the configured defaults and has its waiting room enabled when
-- it has a sales phase. shuffled_at records the one-time fair-start shuffle.
CREATE TABLE queue_settings (
  match_id                   uuid PRIMARY KEY REFERENCES matches (id) ON DELETE CASCADE,
  enabled                    boolean NOT NULL DEFAULT true,
  admission_rate_per_minute  integer NOT NULL CHECK (admission_rate_per_minute > 0),
  max_active_buyers          integer NOT NULL CHECK (max_active_buyers > 0),
  paused                     boolean NOT NULL DEFAULT false,
  shuffled_at                timestamptz,
  updated_by                 uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at                 timestamptz NOT NULL DEFAULT now(),
  updated_at                 timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER queue_settings_updated_at BEFORE UPDATE ON queue_settings
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();
