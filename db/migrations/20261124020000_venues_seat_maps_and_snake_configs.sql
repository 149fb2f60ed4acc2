-- Venues (E2-F10): one seat map per template sector, as drawn by the canvas editor, and the
-- snake-ordering configuration of each sector (E4-F3). stadiums, sectors and seats are in
-- the core schema.

-- Whether the sector's seats were generated from the map as it is now: DRAFT after every
-- save of the map (never generated, or edited since), GENERATED after seat generation.
CREATE TYPE seat_map_status AS ENUM ('DRAFT', 'GENERATED');

CREATE TABLE sector_seat_maps (
  id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  sector_id             uuid NOT NULL REFERENCES sectors (id) ON DELETE CASCADE,
  -- validated by the service (src/modules/venues/seat-map.ts) before every write
  seat_map_json         jsonb NOT NULL,
  -- number of entries in seat_map_json.seats, computed on save
  total_seats           integer NOT NULL CHECK (total_seats >= 0),
  configuration_status  seat_map_status NOT NULL DEFAULT 'DRAFT',
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT sector_seat_maps_sector_id_key UNIQUE (sector_id)
);
CREATE TRIGGER sector_seat_maps_updated_at BEFORE UPDATE ON sector_seat_maps
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TYPE traversal_dir AS ENUM ('TOP_TO_BOTTOM', 'BOTTOM_TO_TOP');
CREATE TYPE row_strategy AS ENUM ('CENTER_OUTWARD', 'LEFT_TO_RIGHT', 'RIGHT_TO_LEFT');

-- A sector without a row here is ordered with the default (row 0 first, left to right);
-- see src/modules/venues/snake.ts for the exact ordering rules.
CREATE TABLE sector_snake_configs (
  id                       uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  sector_id                uuid NOT NULL REFERENCES sectors (id) ON DELETE CASCADE,
  best_row_index           integer NOT NULL DEFAULT 0 CHECK (best_row_index >= 0),
  traversal_direction      traversal_dir NOT NULL DEFAULT 'TOP_TO_BOTTOM',
  within_row_strategy      row_strategy NOT NULL DEFAULT 'LEFT_TO_RIGHT',
  -- {"groups": [{"key", "min_row"?, "max_row"?, "min_col"?, "max_col"?}, …]} or NULL
  subsector_grouping_json  jsonb,
  created_at               timestamptz NOT NULL DEFAULT now(),
  updated_at               timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT sector_snake_configs_sector_id_key UNIQUE (sector_id)
);
CREATE TRIGGER sector_snake_configs_updated_at BEFORE UPDATE ON sector_snake_configs
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();
