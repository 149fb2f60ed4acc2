-- Seat inventory operations (E3-F1, E3-F2, E3-F3): the per-seat audit trail and the
-- progress of bulk status changes, which run as jobs in batches.

-- E3-F1: one row per status change of a match seat. ticket_id/order_id are filled by the
-- sales, refund and transfer flows (their tables come later, so no foreign keys yet);
-- bulk_operation_id links rows written by a bulk status change to its operation.
CREATE TABLE seat_audit_logs (
  id                       uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  match_seat_inventory_id  uuid NOT NULL REFERENCES match_seat_inventory (id) ON DELETE CASCADE,
  from_status              seat_status NOT NULL,
  to_status                seat_status NOT NULL,
  reason                   text NOT NULL CHECK (length(btrim(reason)) > 0),
  changed_by               uuid REFERENCES users (id) ON DELETE SET NULL,
  ticket_id                uuid,
  order_id                 uuid,
  bulk_operation_id        uuid,
  created_at               timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX seat_audit_logs_inventory_idx ON seat_audit_logs (match_seat_inventory_id, created_at);
CREATE INDEX seat_audit_logs_bulk_operation_idx ON seat_audit_logs (bulk_operation_id)
  WHERE bulk_operation_id IS NOT NULL;

-- E3-F3: a bulk status change. The selection is stored so the job can resume after a
-- crash: it walks the selected inventory rows in id order and `cursor_id` is the last id
-- it settled (advanced in the same transaction as each batch).
CREATE TYPE bulk_operation_status AS ENUM ('PENDING', 'RUNNING', 'COMPLETED', 'FAILED');

CREATE TABLE seat_bulk_operations (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  match_id            uuid NOT NULL REFERENCES matches (id) ON DELETE CASCADE,
  -- selection: exactly one of seat_ids / match_sector_id; a row range needs the sector
  seat_ids            uuid[],
  match_sector_id     uuid REFERENCES match_sectors (id) ON DELETE CASCADE,
  from_row_index      integer,
  to_row_index        integer,
  status_filter       seat_status[],
  to_status           seat_status NOT NULL,
  reason              text NOT NULL CHECK (length(btrim(reason)) > 0),
  requested_by        uuid REFERENCES users (id) ON DELETE SET NULL,
  status              bulk_operation_status NOT NULL DEFAULT 'PENDING',
  batch_size          integer NOT NULL DEFAULT 500 CHECK (batch_size > 0),
  total_count         integer NOT NULL DEFAULT 0,
  processed_count     integer NOT NULL DEFAULT 0,
  updated_count       integer NOT NULL DEFAULT 0,
  unchanged_count     integer NOT NULL DEFAULT 0,   -- already in the target status
  filtered_count      integer NOT NULL DEFAULT 0,   -- current status not in status_filter
  skipped_count       integer NOT NULL DEFAULT 0,   -- held, or transition not allowed
  batches_done        integer NOT NULL DEFAULT 0,
  cursor_id           uuid,
  error               text,
  created_at          timestamptz NOT NULL DEFAULT now(),
  started_at          timestamptz,
  finished_at         timestamptz,
  CONSTRAINT seat_bulk_operations_selection_check CHECK (
    (seat_ids IS NOT NULL) <> (match_sector_id IS NOT NULL)
  ),
  CONSTRAINT seat_bulk_operations_row_range_check CHECK (
    (from_row_index IS NULL) = (to_row_index IS NULL)
    AND (from_row_index IS NULL OR (match_sector_id IS NOT NULL AND from_row_index <= to_row_index))
  )
);
CREATE INDEX seat_bulk_operations_match_id_idx ON seat_bulk_operations (match_id, created_at);

-- Seats a bulk operation left alone, and why (HELD: in a live cart/quota/order hold;
-- INVALID_TRANSITION: e.g. SOLD, which only refund/cancel flows may change).
CREATE TYPE bulk_skip_reason AS ENUM ('HELD', 'INVALID_TRANSITION');

CREATE TABLE seat_bulk_operation_skips (
  operation_id             uuid NOT NULL REFERENCES seat_bulk_operations (id) ON DELETE CASCADE,
  match_seat_inventory_id  uuid NOT NULL REFERENCES match_seat_inventory (id) ON DELETE CASCADE,
  reason                   bulk_skip_reason NOT NULL,
  status                   seat_status NOT NULL,      -- the seat's status when it was skipped
  held_until               timestamptz,
  PRIMARY KEY (operation_id, match_seat_inventory_id)
);
