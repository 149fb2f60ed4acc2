-- Blacklist at scale (E11-F2, E11-F4): the MUP's CSV imports and the confirmed
-- cancellation of a new entry's tickets. OIBs stay as the blacklist keeps them: encrypted
-- with a blind index; nothing here holds a plaintext OIB (the error report masks them).

CREATE TABLE blacklist_import_batches (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  file_name          text,
  -- SHA-256 of the file's bytes: the same file imported again is answered with its batch
  -- and changes nothing (E11-F2)
  file_sha256        text NOT NULL,
  total_rows         integer NOT NULL CHECK (total_rows >= 0),
  successful_rows    integer NOT NULL CHECK (successful_rows >= 0),
  failed_rows        integer NOT NULL CHECK (failed_rows >= 0),
  duplicate_rows     integer NOT NULL CHECK (duplicate_rows >= 0),
  -- [{line, field, code, message}] per failed or skipped line, OIBs masked
  error_report_json  jsonb NOT NULL DEFAULT '[]'::jsonb,
  imported_by        uuid REFERENCES users (id) ON DELETE SET NULL,
  imported_at        timestamptz NOT NULL DEFAULT now(),
  -- E11-F4: the batch's one combined confirmation of its people's ticket cancellations
  tickets_cancelled_at timestamptz,
  tickets_cancelled_by uuid REFERENCES users (id) ON DELETE SET NULL,
  CONSTRAINT blacklist_import_batches_file_sha256_key UNIQUE (file_sha256),
  CONSTRAINT blacklist_import_batches_rows_check
    CHECK (successful_rows + failed_rows + duplicate_rows = total_rows)
);

ALTER TABLE blacklist
  ADD COLUMN import_batch_id uuid REFERENCES blacklist_import_batches (id) ON DELETE SET NULL,
  -- E11-F4: when an admin confirmed the cancellation of the entry's tickets (by hand or
  -- through its import batch); from then on no valid ticket may be held or bought by them
  ADD COLUMN tickets_cancelled_at timestamptz,
  ADD COLUMN tickets_cancelled_by uuid REFERENCES users (id) ON DELETE SET NULL;
CREATE INDEX blacklist_import_batch_id_idx ON blacklist (import_batch_id) WHERE import_batch_id IS NOT NULL;
