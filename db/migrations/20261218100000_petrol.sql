-- Petrol-station sales (E12-F1 … E12-F4). A petrol allocation is a quota of type PETROL
-- (E12-F4): its seats are allocated like any quota's (inventory ALLOCATED); fans ask the app
-- for a PIN (petrol_pins), a cashier looks it up and reserves seats of the petrol quota for
-- 20 minutes (petrol_reservations), then confirms the cash or card payment (petrol_sales),
-- which creates the order and its tickets.

-- E12-F2 "special quota type identifier", E12-F4 "one active Petrol quota per match".
CREATE TYPE quota_type AS ENUM ('STANDARD', 'PETROL');
ALTER TABLE quotas ADD COLUMN quota_type quota_type NOT NULL DEFAULT 'STANDARD';
CREATE UNIQUE INDEX quotas_active_petrol_match_key ON quotas (match_id)
  WHERE quota_type = 'PETROL' AND status = 'ACTIVE';

-- Stations and their cashiers: a PETROL_STAFF user works at one station (the spec names no
-- station table; the PIN rate limits and the cash/card totals are per station).
CREATE TABLE petrol_stations (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  code        text NOT NULL UNIQUE,
  name        text NOT NULL,
  address     text,
  is_active   boolean NOT NULL DEFAULT true,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE petrol_staff (
  user_id      uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  station_id   uuid NOT NULL REFERENCES petrol_stations (id),
  assigned_by  uuid REFERENCES users (id) ON DELETE SET NULL,
  assigned_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX petrol_staff_station_id_idx ON petrol_staff (station_id);

-- E12-F1. "UNIQUE on pin", our reading: unique among ACTIVE PINs (5 digits are 100,000
-- values; a PIN used or expired may be drawn again). quota_id: the petrol quota the PIN
-- was issued against. ticket_holders_json: the holders as shown to the cashier (OIB
-- masked) plus the resolved holders sealed with the PII cipher (`sealed`).
CREATE TYPE pin_status AS ENUM ('ACTIVE', 'USED', 'EXPIRED', 'CANCELLED');
CREATE TABLE petrol_pins (
  id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  pin                  char(5) NOT NULL CHECK (pin ~ '^[0-9]{5}$'),
  user_id              uuid NOT NULL REFERENCES users (id),
  match_id             uuid NOT NULL REFERENCES matches (id),
  quota_id             uuid NOT NULL REFERENCES quotas (id),
  quantity             integer NOT NULL CHECK (quantity BETWEEN 1 AND 4),
  ticket_holders_json  jsonb NOT NULL,
  status               pin_status NOT NULL DEFAULT 'ACTIVE',
  expires_at           timestamptz NOT NULL,
  created_at           timestamptz NOT NULL DEFAULT now(),
  used_at              timestamptz
);
CREATE UNIQUE INDEX petrol_pins_active_pin_key ON petrol_pins (pin) WHERE status = 'ACTIVE';
CREATE INDEX petrol_pins_user_id_match_id_idx ON petrol_pins (user_id, match_id);
CREATE INDEX petrol_pins_status_idx ON petrol_pins (status);

-- E12-F1 lists petrol_deeplinks; E12-F4 deprecates it (the deep link is derived from the
-- petrol quota's id, hns://petrol-sales/{quota-id}). Created as listed, with E12-F4's
-- partial unique index, and never written or read by the code.
CREATE TABLE petrol_deeplinks (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  match_id      uuid NOT NULL REFERENCES matches (id),
  deeplink_url  text NOT NULL,
  qr_code_data  text NOT NULL,
  is_active     boolean NOT NULL DEFAULT true,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX petrol_deeplinks_active_match_key ON petrol_deeplinks (match_id)
  WHERE is_active = TRUE;

-- E12-F2, E12-F3. seats: the match_seat_inventory ids held (hold_kind QUOTA, the
-- reservation as hold owner). One live reservation per PIN (the partial UNIQUE is the
-- backstop of the PIN row lock: two cashiers looking the PIN up at once → one reservation).
CREATE TYPE reservation_status AS ENUM ('RESERVED', 'IDENTITY_VERIFIED', 'COMPLETED', 'CANCELLED', 'EXPIRED');
CREATE TABLE petrol_reservations (
  id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  pin_id                uuid NOT NULL REFERENCES petrol_pins (id),
  staff_id              uuid NOT NULL REFERENCES users (id),
  station_id            uuid NOT NULL REFERENCES petrol_stations (id),
  quota_id              uuid NOT NULL REFERENCES quotas (id),
  seats                 uuid[] NOT NULL,
  status                reservation_status NOT NULL DEFAULT 'RESERVED',
  reserved_at           timestamptz NOT NULL,
  expires_at            timestamptz NOT NULL,
  identity_verified_at  timestamptz,
  completed_at          timestamptz,
  cancelled_at          timestamptz,
  cancelled_by          uuid REFERENCES users (id) ON DELETE SET NULL,
  cancellation_reason   text
);
CREATE INDEX petrol_reservations_pin_id_idx ON petrol_reservations (pin_id);
CREATE INDEX petrol_reservations_status_idx ON petrol_reservations (status);
CREATE UNIQUE INDEX petrol_reservations_live_pin_key ON petrol_reservations (pin_id)
  WHERE status IN ('RESERVED', 'IDENTITY_VERIFIED');

-- E12-F2: the sale. One per reservation and per order.
CREATE TYPE petrol_payment AS ENUM ('CASH', 'CARD');
CREATE TABLE petrol_sales (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  reservation_id     uuid NOT NULL UNIQUE REFERENCES petrol_reservations (id),
  order_id           uuid NOT NULL UNIQUE REFERENCES orders (id),
  payment_method     petrol_payment NOT NULL,
  payment_reference  text NOT NULL,
  total_amount       integer NOT NULL CHECK (total_amount >= 0),
  processed_by       uuid NOT NULL REFERENCES users (id),
  station_id         uuid NOT NULL REFERENCES petrol_stations (id),
  processed_at       timestamptz NOT NULL
);
CREATE INDEX petrol_sales_station_id_processed_at_idx ON petrol_sales (station_id, processed_at);
CREATE INDEX petrol_sales_processed_by_idx ON petrol_sales (processed_by);
