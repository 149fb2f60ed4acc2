-- The fan's latest cart addition made with an Idempotency-Key: its key, what was asked
-- and what it held. A database restart can cut the connection after the addition
-- committed; the app (or the API's own retry) sends the same key again and gets the same
-- seats back instead of a second set. Only the latest addition is kept: a retry follows
-- its lost answer at once.
ALTER TABLE carts ADD COLUMN last_addition jsonb;
