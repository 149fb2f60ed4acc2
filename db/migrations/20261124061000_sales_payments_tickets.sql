-- Purchase flow (E4, E8-F1, E8-F2, E9-F1): fee configuration, carts, orders, payments,
-- Stripe webhook idempotency, tickets and their holders.
-- Seat holds themselves live on match_seat_inventory (hold_kind/hold_owner_id/held_until):
-- a cart's seats carry hold_kind CART + the cart id, an order in payment hold_kind ORDER +
-- the order id (architecture invariants 1–3).

-- Fees and VAT (E8-F2) -----------------------------------------------------------------
-- A row with match_id NULL is the default; a match's own row overrides it. The row in
-- force is the one whose [effective_from, effective_to) contains the moment of pricing.
-- presale_discount_percent is the pre-sale discount (E4-F2) applied to every price
-- category of the match before its match day (Europe/Zagreb).
CREATE TABLE fee_configurations (
  id                        uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  match_id                  uuid REFERENCES matches (id) ON DELETE CASCADE,
  fee_percent               numeric(5, 2) NOT NULL DEFAULT 6.00 CHECK (fee_percent >= 0 AND fee_percent <= 100),
  home_ticket_vat_percent   numeric(5, 2) NOT NULL DEFAULT 5.00 CHECK (home_ticket_vat_percent >= 0),
  away_ticket_vat_percent   numeric(5, 2) NOT NULL DEFAULT 0.00 CHECK (away_ticket_vat_percent >= 0),
  home_fee_vat_percent      numeric(5, 2) NOT NULL DEFAULT 25.00 CHECK (home_fee_vat_percent >= 0),
  away_fee_vat_percent      numeric(5, 2) NOT NULL DEFAULT 0.00 CHECK (away_fee_vat_percent >= 0),
  presale_discount_percent  numeric(5, 2) NOT NULL DEFAULT 0.00 CHECK (presale_discount_percent >= 0 AND presale_discount_percent <= 100),
  effective_from            timestamptz NOT NULL DEFAULT '-infinity',
  effective_to              timestamptz,
  created_at                timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT fee_configurations_period_check CHECK (effective_to IS NULL OR effective_to > effective_from)
);
CREATE INDEX fee_configurations_match_id_idx ON fee_configurations (match_id, effective_from);
INSERT INTO fee_configurations (match_id) VALUES (NULL);

-- Carts (E4-F4) ---------------------------------------------------------------------------
CREATE TYPE cart_status AS ENUM ('ACTIVE', 'CHECKED_OUT', 'RELEASED', 'EXPIRED');

CREATE TABLE carts (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  match_id    uuid NOT NULL REFERENCES matches (id) ON DELETE CASCADE,
  status      cart_status NOT NULL DEFAULT 'ACTIVE',
  -- the held_until of every seat of the cart: 20 min from the queue window start or creation
  expires_at  timestamptz NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX carts_active_user_match_key ON carts (user_id, match_id) WHERE status = 'ACTIVE';
CREATE INDEX carts_expires_at_idx ON carts (expires_at) WHERE status = 'ACTIVE';
CREATE TRIGGER carts_updated_at BEFORE UPDATE ON carts FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- One row per (fan, match), locked FOR UPDATE by every cart addition so that the
-- 4-per-match limit is checked and applied without a race between two additions.
CREATE TABLE purchase_limit_locks (
  user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  match_id   uuid NOT NULL REFERENCES matches (id) ON DELETE CASCADE,
  locked_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, match_id)
);

-- Orders (E4-F7) -------------------------------------------------------------------------
-- PENDING: holders entered; PAYMENT_PENDING: PaymentIntent created, seats held by the order;
-- PAYMENT_FAILED: the last attempt failed, retryable while the hold lasts.
CREATE TYPE order_status AS ENUM ('PENDING', 'PAYMENT_PENDING', 'PAYMENT_FAILED', 'COMPLETED', 'CANCELLED', 'REFUNDED');
CREATE SEQUENCE orders_number_seq;

CREATE TABLE orders (
  id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id              uuid NOT NULL REFERENCES users (id),
  match_id             uuid NOT NULL REFERENCES matches (id),
  cart_id              uuid REFERENCES carts (id) ON DELETE SET NULL,
  order_number         text NOT NULL DEFAULT ('HNS-' || lpad(nextval('orders_number_seq')::text, 8, '0')),
  status               order_status NOT NULL DEFAULT 'PENDING',
  ticket_amount        integer NOT NULL CHECK (ticket_amount >= 0),
  ticket_vat_amount    integer NOT NULL CHECK (ticket_vat_amount >= 0),
  fee_amount           integer NOT NULL CHECK (fee_amount >= 0),
  fee_vat_amount       integer NOT NULL CHECK (fee_vat_amount >= 0),
  total_amount         integer NOT NULL CHECK (total_amount = ticket_amount + fee_amount),
  currency             char(3) NOT NULL DEFAULT 'EUR',
  fee_percent_bp       integer NOT NULL,
  ticket_vat_bp        integer NOT NULL,
  fee_vat_bp           integer NOT NULL,
  is_presale           boolean NOT NULL DEFAULT false,
  sales_phase_id       uuid REFERENCES sales_phases (id) ON DELETE SET NULL,
  queue_entry_id       uuid,
  -- the client's Idempotency-Key of POST /checkout/pay
  idempotency_key      text,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  completed_at         timestamptz,
  cancelled_at         timestamptz,
  cancelled_by         uuid REFERENCES users (id) ON DELETE SET NULL,
  cancellation_reason  text,
  CONSTRAINT orders_order_number_key UNIQUE (order_number)
);
CREATE INDEX orders_user_id_idx ON orders (user_id);
CREATE INDEX orders_match_id_idx ON orders (match_id);
CREATE INDEX orders_status_idx ON orders (status);
CREATE INDEX orders_created_at_idx ON orders (created_at);
-- a cart becomes at most one open order
CREATE UNIQUE INDEX orders_cart_open_key ON orders (cart_id) WHERE status IN ('PENDING', 'PAYMENT_PENDING', 'PAYMENT_FAILED');
CREATE UNIQUE INDEX orders_user_idempotency_key ON orders (user_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE TRIGGER orders_updated_at BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TYPE holder_source AS ENUM ('DEFAULT_PROFILE', 'SAVED_PROFILE', 'MANUAL_ENTRY');

-- One line per seat; amounts follow the rounding rule of src/modules/payments/fees.ts so
-- the lines add up exactly to the order. The holder is named before payment and copied to
-- ticket_holders when the ticket is issued.
CREATE TABLE order_items (
  id                         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  order_id                   uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
  position                   integer NOT NULL CHECK (position >= 1),
  match_seat_inventory_id    uuid NOT NULL REFERENCES match_seat_inventory (id),
  match_sector_id            uuid NOT NULL REFERENCES match_sectors (id),
  price_category_id          uuid REFERENCES price_categories (id) ON DELETE SET NULL,
  unit_price                 integer NOT NULL CHECK (unit_price >= 0),
  ticket_vat_amount          integer NOT NULL CHECK (ticket_vat_amount >= 0),
  fee_amount                 integer NOT NULL CHECK (fee_amount >= 0),
  fee_vat_amount             integer NOT NULL CHECK (fee_vat_amount >= 0),
  holder_full_name           text NOT NULL,
  holder_date_of_birth       date NOT NULL,
  holder_nationality         char(2) NOT NULL,
  holder_oib_encrypted       text,
  holder_oib_blind_index     text,
  holder_passport_encrypted  text,
  holder_email               text,
  holder_phone               text,
  holder_is_minor            boolean NOT NULL,
  holder_source              holder_source NOT NULL,
  created_at                 timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT order_items_order_position_key UNIQUE (order_id, position),
  CONSTRAINT order_items_order_seat_key UNIQUE (order_id, match_seat_inventory_id),
  CONSTRAINT order_items_holder_id_check CHECK (holder_oib_encrypted IS NOT NULL OR holder_passport_encrypted IS NOT NULL)
);
CREATE INDEX order_items_inventory_idx ON order_items (match_seat_inventory_id);

-- Payments (E4-F7, E8-F1) ----------------------------------------------------------------
CREATE TYPE payment_status AS ENUM ('PENDING', 'PROCESSING', 'SUCCEEDED', 'FAILED', 'CANCELLED');

CREATE TABLE payments (
  id                        uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  order_id                  uuid NOT NULL REFERENCES orders (id),
  stripe_payment_intent_id  text,
  stripe_charge_id          text,
  amount                    integer NOT NULL CHECK (amount >= 0),
  currency                  char(3) NOT NULL DEFAULT 'EUR',
  status                    payment_status NOT NULL DEFAULT 'PENDING',
  created_at                timestamptz NOT NULL DEFAULT now(),
  completed_at              timestamptz,
  failed_at                 timestamptz,
  failure_reason            text,
  -- automatic refund of a payment whose seats were lost (E4-F7); full refunds only here
  refund_requested_at       timestamptz,
  refund_reason             text,
  stripe_refund_id          text,
  refunded_at               timestamptz,
  CONSTRAINT payments_stripe_payment_intent_id_key UNIQUE (stripe_payment_intent_id)
);
-- one payment (one PaymentIntent, retried by the client) per order
CREATE UNIQUE INDEX payments_order_id_key ON payments (order_id);

-- Every Stripe event handled, by Stripe's event id: the webhook's idempotency (invariant 5).
-- Written in the transaction of the event's effect, so a failed handling is retried.
CREATE TABLE stripe_webhook_events (
  id            text PRIMARY KEY,
  type          text NOT NULL,
  object_id     text,
  outcome       text NOT NULL,
  processed_at  timestamptz NOT NULL DEFAULT now()
);

-- Tickets (E4-F8, E9-F1) -----------------------------------------------------------------
CREATE TYPE ticket_status AS ENUM (
  'SOLD', 'ATTENDED', 'CANCELLED', 'TRANSFERRED', 'CANCELLED_MATCH_CANCELLED', 'CANCELLED_BLACKLIST', 'REFUNDED'
);
CREATE TYPE ticket_cancel_reason AS ENUM (
  'SELF_SERVICE', 'SUPPORT_REQUEST', 'MATCH_CANCELLED', 'BLACKLIST_BUYER', 'BLACKLIST_HOLDER', 'SYSTEM'
);

CREATE TABLE tickets (
  id                        uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  order_id                  uuid NOT NULL REFERENCES orders (id),
  match_id                  uuid NOT NULL REFERENCES matches (id),
  match_seat_inventory_id   uuid NOT NULL REFERENCES match_seat_inventory (id),
  -- whose account shows the ticket (the buyer; changes on transfer, E9-F5)
  owner_user_id             uuid NOT NULL REFERENCES users (id),
  -- 18 random digits: what turnstile scanners read (Code 128 / in the QR payload)
  barcode                   text NOT NULL CHECK (barcode ~ '^[0-9]{18}$'),
  -- the signed QR payload a scanner verifies offline
  qr_code_data              text NOT NULL,
  status                    ticket_status NOT NULL DEFAULT 'SOLD',
  price_amount              integer NOT NULL CHECK (price_amount >= 0),
  fee_amount                integer NOT NULL CHECK (fee_amount >= 0),
  transfer_allowed          boolean NOT NULL DEFAULT true,
  external_pdf_url          text,
  external_ticket_required  boolean NOT NULL DEFAULT false,
  pdf_delivered_at          timestamptz,
  attended_at               timestamptz,
  cancelled_at              timestamptz,
  cancelled_by              uuid REFERENCES users (id) ON DELETE SET NULL,
  cancellation_reason       ticket_cancel_reason,
  created_at                timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT tickets_barcode_key UNIQUE (barcode)
);
CREATE INDEX tickets_order_id_idx ON tickets (order_id);
CREATE INDEX tickets_match_id_idx ON tickets (match_id);
CREATE INDEX tickets_status_idx ON tickets (status);
CREATE INDEX tickets_owner_user_id_idx ON tickets (owner_user_id, match_id);
-- Invariant 1: a seat of a match carries at most one valid ticket.
CREATE UNIQUE INDEX tickets_valid_seat_key ON tickets (match_seat_inventory_id) WHERE status IN ('SOLD', 'ATTENDED');

CREATE TABLE ticket_holders (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  ticket_id           uuid NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
  full_name           text NOT NULL,
  date_of_birth       date NOT NULL,
  nationality         char(2) NOT NULL,
  oib_encrypted       text,
  oib_blind_index     text,
  passport_encrypted  text,
  email               text,
  phone               text,
  is_minor            boolean NOT NULL,
  source              holder_source NOT NULL,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT ticket_holders_ticket_id_key UNIQUE (ticket_id)
);
CREATE INDEX ticket_holders_oib_blind_index_idx ON ticket_holders (oib_blind_index) WHERE oib_blind_index IS NOT NULL;
CREATE TRIGGER ticket_holders_updated_at BEFORE UPDATE ON ticket_holders FOR EACH ROW EXECUTE FUNCTION set_updated_at();
