-- What has been given back on an order (E8-F3, E9-F7, E9-F8): NONE until a refund
-- completes, PARTIAL while some of the ticket amount (and fee) is still kept, FULL when
-- all of it went back. Written only by the refunds use cases (sales/refunds), read by
-- order details. refunded_amount is in cents, like the order's amounts.
CREATE TYPE order_refund_status AS ENUM ('NONE', 'PARTIAL', 'FULL');

ALTER TABLE orders
  ADD COLUMN refund_status order_refund_status NOT NULL DEFAULT 'NONE',
  ADD COLUMN refunded_amount integer NOT NULL DEFAULT 0
    CHECK (refunded_amount >= 0 AND refunded_amount <= total_amount);
