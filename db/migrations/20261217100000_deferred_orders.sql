-- Deferred payment of quota claims (E7-F5 → E8-F4): a claim of a deferred_payment quota
-- leaves its order DEFERRED (seats held by the order until kick-off, paid against a
-- payment offer), out of the sweeper's open orders; OFFER_PAID then completes it
-- (sales/order-state.ts). Order lookups of a claim (settlement, offers) by order_id.
ALTER TYPE order_status ADD VALUE IF NOT EXISTS 'DEFERRED';

CREATE INDEX IF NOT EXISTS quota_claim_carts_order_id_idx ON quota_claim_carts (order_id);
