-- Core tables that several modules reference: users and roles, stadium templates and
-- seats, matches with their sector configuration, and the per-match seat inventory.
-- Column lists follow shared/spec (E1-F1, E2-F1, E2-F3, E2-F4, E2-F10, E3-F1); modules
-- add their own tables in later migrations.

-- Identity (E1-F1) -------------------------------------------------------------------
CREATE TYPE user_status AS ENUM ('active', 'inactive', 'suspended');
CREATE TYPE app_role AS ENUM (
  'FAN', 'MATCH_MANAGER', 'SUPER_ADMIN', 'SUPPORT_AGENT', 'SUPPORT_SUPERVISOR', 'FINANCE', 'PETROL_STAFF'
);

CREATE TABLE users (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  drupal_user_id  text NOT NULL,
  email           text NOT NULL,            -- stored lower-cased
  status          user_status NOT NULL DEFAULT 'active',
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (email);
CREATE UNIQUE INDEX users_drupal_user_id_key ON users (drupal_user_id);
CREATE TRIGGER users_updated_at BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Roles are granted locally (CLI for the first SUPER_ADMIN, then the admin API).
CREATE TABLE user_roles (
  user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role        app_role NOT NULL,
  granted_by  uuid REFERENCES users (id) ON DELETE SET NULL,
  granted_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, role)
);

-- Stadium templates (E2-F3, E2-F5, E2-F10) ---------------------------------------------
CREATE TYPE stadium_type AS ENUM ('HOME', 'AWAY');
CREATE TYPE sector_type AS ENUM ('STANDARD', 'VIP', 'ACCESSIBILITY', 'STANDING');
CREATE TYPE seat_type AS ENUM ('STANDARD', 'TECHNICAL', 'ACCESSIBILITY', 'COMPANION');

CREATE TABLE stadiums (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name           text NOT NULL,
  city           text NOT NULL,
  country        text NOT NULL DEFAULT 'Croatia',
  address        text,
  type           stadium_type NOT NULL DEFAULT 'HOME',
  base_capacity  integer NOT NULL DEFAULT 0 CHECK (base_capacity >= 0),
  is_numbered    boolean NOT NULL DEFAULT true,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX stadiums_type_idx ON stadiums (type);
CREATE TRIGGER stadiums_updated_at BEFORE UPDATE ON stadiums FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE sectors (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  stadium_id    uuid NOT NULL REFERENCES stadiums (id) ON DELETE CASCADE,
  name          text NOT NULL,
  code          text NOT NULL,
  capacity      integer NOT NULL CHECK (capacity >= 0),
  sector_type   sector_type NOT NULL DEFAULT 'STANDARD',
  has_seat_map  boolean NOT NULL DEFAULT false,
  seat_count    integer NOT NULL DEFAULT 0 CHECK (seat_count >= 0),
  created_at    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT sectors_stadium_id_code_key UNIQUE (stadium_id, code)
);

-- One row per physical seat, generated from the sector's seat map. row_index/col_index
-- are the seat's cell in the map: coordinates for drawing and the basis of adjacency
-- (same row_index, consecutive col_index = side by side, no aisle between).
CREATE TABLE seats (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  sector_id       uuid NOT NULL REFERENCES sectors (id) ON DELETE CASCADE,
  row_identifier  text NOT NULL,
  seat_number     integer NOT NULL CHECK (seat_number > 0),
  seat_type       seat_type NOT NULL DEFAULT 'STANDARD',
  row_index       integer NOT NULL CHECK (row_index >= 0),
  col_index       integer NOT NULL CHECK (col_index >= 0),
  created_at      timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT seats_sector_id_row_identifier_seat_number_key UNIQUE (sector_id, row_identifier, seat_number),
  CONSTRAINT seats_sector_id_cell_key UNIQUE (sector_id, row_index, col_index)
);

-- Matches (E2-F1) ----------------------------------------------------------------------
CREATE TYPE match_type AS ENUM ('HOME', 'AWAY');
-- DELETED is the soft-delete state of E2-F1 ("match status becomes deleted").
CREATE TYPE match_status AS ENUM ('DRAFT', 'PUBLISHED', 'ACTIVE', 'CLOSED', 'CANCELLED', 'DELETED');
CREATE TYPE config_status AS ENUM ('DRAFT', 'VALIDATED', 'LOCKED');
CREATE TYPE attendance_mode AS ENUM ('WITH_DATA', 'WITHOUT_DATA');

CREATE TABLE matches (
  id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  home_team              text NOT NULL,
  away_team              text NOT NULL,
  competition            text NOT NULL,
  kick_off_time          timestamptz NOT NULL,
  venue_id               uuid REFERENCES stadiums (id),
  match_type             match_type NOT NULL,
  is_numbered            boolean NOT NULL DEFAULT true,
  status                 match_status NOT NULL DEFAULT 'DRAFT',
  stadium_config_status  config_status NOT NULL DEFAULT 'DRAFT',
  created_by             uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at             timestamptz NOT NULL DEFAULT now(),
  updated_at             timestamptz NOT NULL DEFAULT now(),
  -- closure (E2-F9)
  closed_at              timestamptz,
  closed_by              uuid REFERENCES users (id) ON DELETE SET NULL,
  attendance_mode        attendance_mode,
  closure_reason         text,
  -- cancellation (E2-F7)
  cancelled_at           timestamptz,
  cancelled_by           uuid REFERENCES users (id) ON DELETE SET NULL,
  cancellation_reason    text,
  deleted_at             timestamptz
);
CREATE INDEX matches_status_idx ON matches (status);
CREATE INDEX matches_kick_off_time_idx ON matches (kick_off_time);
CREATE INDEX matches_venue_id_idx ON matches (venue_id);
CREATE INDEX matches_match_type_idx ON matches (match_type);
CREATE TRIGGER matches_updated_at BEFORE UPDATE ON matches FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Match stadium configuration (E2-F4) --------------------------------------------------
CREATE TABLE price_categories (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  match_id    uuid NOT NULL REFERENCES matches (id) ON DELETE CASCADE,
  name        text NOT NULL,
  price       integer NOT NULL CHECK (price >= 0),   -- euro cents
  currency    char(3) NOT NULL DEFAULT 'EUR',
  color       text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT price_categories_match_id_name_key UNIQUE (match_id, name)
);

CREATE TYPE match_sector_status AS ENUM ('ACTIVE', 'CLOSED', 'MAINTENANCE');
CREATE TYPE sector_purpose AS ENUM ('GENERAL', 'AWAY_FANS', 'VIP', 'PRESS', 'FREE');

CREATE TABLE match_sectors (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  match_id           uuid NOT NULL REFERENCES matches (id) ON DELETE CASCADE,
  sector_id          uuid NOT NULL REFERENCES sectors (id),
  name               text NOT NULL,
  code               text NOT NULL,
  total_capacity     integer NOT NULL CHECK (total_capacity >= 0),
  technical_seats    integer NOT NULL DEFAULT 0 CHECK (technical_seats >= 0),
  sellable_capacity  integer NOT NULL CHECK (sellable_capacity >= 0),
  price_category_id  uuid REFERENCES price_categories (id),
  status             match_sector_status NOT NULL DEFAULT 'ACTIVE',
  purpose            sector_purpose NOT NULL DEFAULT 'GENERAL',
  is_numbered        boolean NOT NULL DEFAULT true,
  has_seat_map       boolean NOT NULL DEFAULT false,
  created_at         timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT match_sectors_match_id_sector_id_key UNIQUE (match_id, sector_id),
  CONSTRAINT match_sectors_match_id_code_key UNIQUE (match_id, code),
  CONSTRAINT match_sectors_capacity_check CHECK (technical_seats + sellable_capacity <= total_capacity)
);
CREATE INDEX match_sectors_match_id_idx ON match_sectors (match_id);
CREATE INDEX match_sectors_price_category_id_idx ON match_sectors (price_category_id);

-- Seat inventory (E3-F1) -----------------------------------------------------------------
CREATE TYPE seat_status AS ENUM (
  'AVAILABLE', 'RESERVED', 'SOLD', 'ALLOCATED', 'BLOCKED', 'TECHNICAL', 'OFFICIAL', 'MAINTENANCE', 'QUARANTINED', 'INACTIVE'
);
-- Who holds a RESERVED seat (architecture invariant 1: at most one holder at a time).
CREATE TYPE hold_kind AS ENUM ('CART', 'QUOTA', 'PETROL', 'ORDER');

-- One row per seat per match, created when the match configuration is locked. A hold is
-- status RESERVED + hold_kind/hold_owner_id + held_until; a hold past held_until counts as
-- available to every claim query (architecture invariant 2) and is swept later.
CREATE TABLE match_seat_inventory (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  match_id          uuid NOT NULL REFERENCES matches (id) ON DELETE CASCADE,
  seat_id           uuid NOT NULL REFERENCES seats (id),
  match_sector_id   uuid NOT NULL REFERENCES match_sectors (id) ON DELETE CASCADE,
  status            seat_status NOT NULL DEFAULT 'AVAILABLE',
  -- copied from the seat so assignment and adjacency are one indexed query on this table
  row_index         integer NOT NULL,
  col_index         integer NOT NULL,
  snake_order       integer NOT NULL,         -- position in the sector's snake order (E4-F3)
  hold_kind         hold_kind,
  hold_owner_id     uuid,
  held_until        timestamptz,
  last_modified_by  uuid REFERENCES users (id) ON DELETE SET NULL,
  last_modified_at  timestamptz NOT NULL DEFAULT now(),
  version           integer NOT NULL DEFAULT 0,
  CONSTRAINT match_seat_inventory_match_id_seat_id_key UNIQUE (match_id, seat_id),
  CONSTRAINT match_seat_inventory_hold_check CHECK (
    (status = 'RESERVED') = (hold_kind IS NOT NULL AND hold_owner_id IS NOT NULL)
  )
);
CREATE INDEX match_seat_inventory_match_id_status_idx ON match_seat_inventory (match_id, status);
-- Seat assignment walks a sector in snake order over claimable seats.
CREATE INDEX match_seat_inventory_claim_idx ON match_seat_inventory (match_sector_id, snake_order)
  WHERE status IN ('AVAILABLE', 'RESERVED');
CREATE INDEX match_seat_inventory_holder_idx ON match_seat_inventory (hold_owner_id) WHERE hold_owner_id IS NOT NULL;
CREATE INDEX match_seat_inventory_held_until_idx ON match_seat_inventory (held_until) WHERE status = 'RESERVED';

-- Sales phases (E2-F2): the waiting room opens at a phase's start_at.
CREATE TYPE phase_type AS ENUM ('LOYALTY', 'GENERAL_PUBLIC', 'QUOTA_ONLY');

CREATE TABLE sales_phases (
  id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  match_id                uuid NOT NULL REFERENCES matches (id) ON DELETE CASCADE,
  phase_type              phase_type NOT NULL,
  name                    text NOT NULL,
  start_at                timestamptz NOT NULL,
  end_at                  timestamptz NOT NULL,
  eligibility_rules_json  jsonb NOT NULL DEFAULT '{}'::jsonb,
  ticket_limit            integer NOT NULL DEFAULT 4 CHECK (ticket_limit > 0),
  is_active               boolean NOT NULL DEFAULT true,
  created_at              timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT sales_phases_period_check CHECK (end_at > start_at)
);
CREATE INDEX sales_phases_match_id_idx ON sales_phases (match_id);
CREATE INDEX sales_phases_period_idx ON sales_phases (start_at, end_at);
