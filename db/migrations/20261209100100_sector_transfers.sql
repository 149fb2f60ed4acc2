-- E3-F6: sector-to-sector transfer. One row per transfer that moved tickets; every seat it
-- touched has a seat_audit_logs row naming it: the destination seat taken for a ticket
-- (TRANSFER_IN, to SOLD) and the seat the ticket left (TRANSFER_OUT, to BLOCKED).
ALTER TYPE seat_audit_action ADD VALUE IF NOT EXISTS 'TRANSFER_IN';
ALTER TYPE seat_audit_action ADD VALUE IF NOT EXISTS 'TRANSFER_OUT';

CREATE TABLE sector_transfers (
  id                        uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  match_id                  uuid NOT NULL REFERENCES matches (id) ON DELETE CASCADE,
  -- NULL when the source was a list of seats spanning sectors
  from_match_sector_id      uuid REFERENCES match_sectors (id) ON DELETE SET NULL,
  to_match_sector_id        uuid NOT NULL REFERENCES match_sectors (id) ON DELETE CASCADE,
  tickets_moved             integer NOT NULL CHECK (tickets_moved > 0),
  -- orders whose tickets could not all sit together in the destination
  orders_split              integer NOT NULL DEFAULT 0,
  reason                    text NOT NULL CHECK (length(btrim(reason)) > 0),
  performed_by              uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at                timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sector_transfers_match_id_idx ON sector_transfers (match_id, created_at);

ALTER TABLE seat_audit_logs
  ADD COLUMN sector_transfer_id uuid REFERENCES sector_transfers (id) ON DELETE SET NULL;
CREATE INDEX seat_audit_logs_sector_transfer_idx ON seat_audit_logs (sector_transfer_id)
  WHERE sector_transfer_id IS NOT NULL;
