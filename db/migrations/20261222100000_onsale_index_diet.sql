-- Issue 28: every seat sold rewrites its match_seat_inventory row two or three times (hold,
-- order, sale) and none of those updates is HOT (status, hold_owner_id and held_until are
-- indexed), so each one writes an entry into every index of the table; each ticket writes
-- one into every index of tickets. These indexes are redundant with others, so the on-sale
-- stops paying for them:
-- - (match_id, status) on the inventory: every reader by match and status is served by
--   match_seat_inventory_summary_idx (match_id, match_sector_id, status, held_until), as an
--   index-only scan of the match's narrow entries;
-- - held_until WHERE RESERVED: the sweeper finds expired holds through
--   match_seat_inventory_holder_idx (hold_owner_id IS NOT NULL is RESERVED, by
--   match_seat_inventory_hold_check), i.e. among the seats held right now;
-- - tickets (match_id): tickets_match_barcode_idx (match_id, barcode) starts with it;
-- - tickets (status): three statuses over all matches' tickets, no reader filters on status
--   alone.
DROP INDEX match_seat_inventory_match_id_status_idx;
DROP INDEX match_seat_inventory_held_until_idx;
DROP INDEX tickets_match_id_idx;
DROP INDEX tickets_status_idx;
