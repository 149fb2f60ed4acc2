-- Match day and after (issue 21): the turnstile export with its extra codes (E2-F8,
-- E13-F1), the closure with attendance (E2-F9, E13-F2) and the loyalty points it awards,
-- plus historic points imported by OIB (E6-F1–F3).

-- E2-F8: codes reserved for a match beyond its tickets, exported to the gates so that a
-- ticket issued after the export (late sale, transfer, sector move, reprint) can take one
-- the gates already know. UNIQUE across all matches like tickets.barcode, so a code is
-- never valid for two matches; a ticket taking one gets it as its barcode and the row
-- records which ticket (the code stays the ticket's for the gates).
CREATE TABLE extra_barcodes (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  match_id            uuid NOT NULL REFERENCES matches (id) ON DELETE CASCADE,
  barcode             text NOT NULL CHECK (barcode ~ '^[0-9]{18}$'),
  is_used             boolean NOT NULL DEFAULT false,
  used_at             timestamptz,
  -- deferred: a code is taken in the statement before its ticket is inserted
  assigned_ticket_id  uuid REFERENCES tickets (id) ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED,
  created_at          timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT extra_barcodes_barcode_key UNIQUE (barcode),
  CONSTRAINT extra_barcodes_used_check CHECK (is_used = (used_at IS NOT NULL)),
  CONSTRAINT extra_barcodes_assigned_check CHECK (assigned_ticket_id IS NULL OR is_used)
);
-- The next free code of a match: the oldest unused one (FOR UPDATE SKIP LOCKED).
CREATE INDEX extra_barcodes_unused_idx ON extra_barcodes (match_id, created_at, id) WHERE NOT is_used;
-- The export lists a match's unused codes in barcode order (keyset pages).
CREATE INDEX extra_barcodes_match_unused_barcode_idx ON extra_barcodes (match_id, barcode) WHERE NOT is_used;
CREATE INDEX extra_barcodes_match_id_idx ON extra_barcodes (match_id);
CREATE INDEX extra_barcodes_assigned_ticket_id_idx ON extra_barcodes (assigned_ticket_id)
  WHERE assigned_ticket_id IS NOT NULL;

-- E13-F1: one row per export handed to the access-control system.
CREATE TABLE barcode_export_logs (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  match_id        uuid NOT NULL REFERENCES matches (id) ON DELETE CASCADE,
  file_name       text NOT NULL,
  total_barcodes  integer NOT NULL CHECK (total_barcodes >= 0),
  extra_barcodes  integer NOT NULL CHECK (extra_barcodes >= 0),
  exported_by     uuid REFERENCES users (id) ON DELETE SET NULL,
  exported_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX barcode_export_logs_match_idx ON barcode_export_logs (match_id, exported_at DESC);

-- A ticket issued after an export when no extra code was left: it got a normal barcode
-- the gates do not know, so the admin is warned that a new export is needed.
CREATE TABLE access_control_fallbacks (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  match_id    uuid NOT NULL REFERENCES matches (id) ON DELETE CASCADE,
  ticket_id   uuid REFERENCES tickets (id) ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED,
  barcode     text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  -- the next export, which hands the barcode to the gates and ends the warning
  resolved_by_export_id  uuid REFERENCES barcode_export_logs (id) ON DELETE SET NULL
);
CREATE INDEX access_control_fallbacks_open_idx ON access_control_fallbacks (match_id, created_at)
  WHERE resolved_by_export_id IS NULL;

-- The export pages a match's tickets in barcode order, and the closure matches scanned
-- barcodes within the match: both are range/point lookups of (match_id, barcode).
CREATE INDEX tickets_match_barcode_idx ON tickets (match_id, barcode) INCLUDE (status);

-- E2-F9, E13-F2: the scanned list of a closed match. One per match (a match closes once).
CREATE TABLE attendance_imports (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  match_id          uuid NOT NULL REFERENCES matches (id) ON DELETE CASCADE,
  file_name         text NOT NULL,
  -- data rows of the file; matched + unmatched = total
  total_scanned     integer NOT NULL CHECK (total_scanned >= 0),
  matched_count     integer NOT NULL CHECK (matched_count >= 0),
  unmatched_count   integer NOT NULL CHECK (unmatched_count >= 0),
  -- distinct tickets marked ATTENDED (a ticket scanned twice counts once here)
  attended_tickets  integer NOT NULL CHECK (attended_tickets >= 0),
  imported_by       uuid REFERENCES users (id) ON DELETE SET NULL,
  imported_at       timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT attendance_imports_match_id_key UNIQUE (match_id),
  CONSTRAINT attendance_imports_counts_check CHECK (matched_count + unmatched_count = total_scanned)
);

CREATE TYPE unmatched_reason AS ENUM ('NOT_FOUND', 'ALREADY_CANCELLED', 'INVALID_FORMAT');

CREATE TABLE attendance_unmatched (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  import_id       uuid NOT NULL REFERENCES attendance_imports (id) ON DELETE CASCADE,
  -- as scanned (an INVALID_FORMAT value is kept as read, cut to 64 characters)
  barcode         text NOT NULL,
  scan_timestamp  timestamptz,
  reason          unmatched_reason NOT NULL,
  -- the file's row (1 = the header), to find it again
  row_number      integer NOT NULL
);
CREATE INDEX attendance_unmatched_import_idx ON attendance_unmatched (import_id, row_number);

-- E6-F3: a closed match queues the award; a run awards 1 point per ATTENDED ticket whose
-- holder OIB belongs to a fan account, once (loyalty_points_user_match_key).
-- Historic points (E6-F1 import, before the system closed any match) have no match of
-- ours: they carry the import's reference instead, unique per fan, so re-importing a file
-- awards nothing twice.
CREATE TYPE loyalty_source AS ENUM ('MATCH', 'IMPORT');
ALTER TABLE loyalty_points
  ALTER COLUMN match_id DROP NOT NULL,
  ADD COLUMN source     loyalty_source NOT NULL DEFAULT 'MATCH',
  ADD COLUMN reference  text,
  ADD CONSTRAINT loyalty_points_source_check CHECK (
    (source = 'MATCH' AND match_id IS NOT NULL AND reference IS NULL)
    OR (source = 'IMPORT' AND match_id IS NULL AND reference IS NOT NULL)),
  ADD CONSTRAINT loyalty_points_user_reference_key UNIQUE (user_id, reference);

-- The fan's language for pushes and emails (hr, en); set from the app (PUT /users/me/locale).
ALTER TABLE users
  ADD COLUMN locale text NOT NULL DEFAULT 'hr' CHECK (locale IN ('hr', 'en'));
