-- Loyalty points (E6-F1) and the hold trail of seat_audit_logs (E3-F1 with the sales flows).

-- E6-F1: one row per match a fan earned points for (E6-F3 awards 1 point per eligible
-- attended ticket, HOME and AWAY matches alike). The balance is the sum of points earned in
-- the rolling 5-year window (earned_at > now - 5 years); the index answers it with one
-- index-only range scan per fan, which the LOYALTY phase check of POST /cart/add runs.
CREATE TABLE loyalty_points (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  match_id    uuid NOT NULL REFERENCES matches (id),
  points      integer NOT NULL DEFAULT 1 CHECK (points > 0),
  earned_at   timestamptz NOT NULL DEFAULT now(),
  created_at  timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT loyalty_points_user_match_key UNIQUE (user_id, match_id)
);
CREATE INDEX loyalty_points_user_earned_idx ON loyalty_points (user_id, earned_at) INCLUDE (points);
CREATE INDEX loyalty_points_match_id_idx ON loyalty_points (match_id);

-- Holds in the seat trail: rows written by the sales flows say what happened to the hold.
-- NULL action = a staff status change (single or bulk, the inventory module).
CREATE TYPE seat_audit_action AS ENUM (
  'HOLD_CREATED',      -- a cart claimed the seat (POST /cart/add)
  'HOLD_TRANSFERRED',  -- the cart's hold became the order's for the payment window
  'HOLD_RELEASED',     -- given back by its owner (DELETE /cart, order cancelled or refunded)
  'HOLD_EXPIRED',      -- released after held_until passed (sweeper, expired cart replaced)
  'SOLD'               -- payment confirmed, ticket issued (ticket_id, order_id set)
);
ALTER TABLE seat_audit_logs
  ADD COLUMN action         seat_audit_action,
  ADD COLUMN hold_kind      hold_kind,
  ADD COLUMN hold_owner_id  uuid;
