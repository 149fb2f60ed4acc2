-- Seats are looked up from the inventory side when a template sector's seats are
-- regenerated or deleted (are any of them in a match inventory?), and every seat DELETE
-- checks the match_seat_inventory.seat_id foreign key. Without this index both scan the
-- whole inventory (tens of thousands of rows per match) once per seat.
CREATE INDEX match_seat_inventory_seat_id_idx ON match_seat_inventory (seat_id);
