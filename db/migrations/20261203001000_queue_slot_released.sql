-- An admitted fan who empties their cart (DELETE /cart, which also cancels their open
-- orders) is no longer buying: their entry stays ACTIVE with its 20-minute window (E5-F4:
-- they may come back and buy until it ends), but it stops counting against the match's cap
-- of active buyers (queue_settings.max_active_buyers), so the next fan in line is admitted.
-- Before this, every abandoning fan held a slot for the rest of their window: in the Poljud
-- benchmark the 10 % who abandon filled the 400 slots after ~3,800 admissions and the sale
-- stopped admitting anybody.
ALTER TABLE queue_entries ADD COLUMN slot_released_at timestamptz;
