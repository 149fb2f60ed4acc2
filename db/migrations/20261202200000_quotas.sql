-- Quotas (E7-F1): seats set aside for clubs, sponsors and partners, and the quota's seats.
-- Columns, enums and indexes exactly as the spec's E7-F1 rows list them. The quota API
-- (allocation with NM/REDOM, the quota portal, cancellation) is a later issue; today the
-- inventory search reads these tables (E3-F4 `quota_id`).
--
-- Sub-quotas (E7-F6) are their own table in the spec (`subquotas`, with parent_quota_id)
-- and `subquota_seats`; they come with E7-F6, which adds the foreign key
-- quota_seats.subquota_id → subquotas(id). Likewise quota_seats.claim_cart_id gets its
-- foreign key with quota_claim_carts (E7-F5) and quotas.batch_id with
-- quota_import_batches (E7-F2).

CREATE TYPE allocation_algo AS ENUM ('NM', 'REDOM');
CREATE TYPE quota_status AS ENUM ('PENDING', 'ACTIVE', 'PAST_DEADLINE', 'CANCELLED', 'FULLY_CLAIMED');
CREATE TYPE cancellation_type AS ENUM ('ALL_UNUSED', 'UNFULFILLED_ONLY');

CREATE TABLE quotas (
  id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  match_id              uuid NOT NULL REFERENCES matches (id),
  recipient_email       text NOT NULL,            -- stored lower-cased
  recipient_name        text,
  internal_note         text,
  total_quantity        integer NOT NULL CHECK (total_quantity > 0),
  -- match_sectors ids the seats are allocated from (an array: no foreign key; the quota
  -- service checks them against the match)
  sector_ids            uuid[] NOT NULL DEFAULT '{}',
  discount_percent      numeric(5, 2) NOT NULL DEFAULT 0.00
                          CHECK (discount_percent >= 0 AND discount_percent <= 100),
  allocation_algorithm  allocation_algo NOT NULL DEFAULT 'NM',
  -- the claiming deadline (a moment; PAST_DEADLINE after it); NULL = none
  expiration_date       timestamptz,
  can_create_subquotas  boolean NOT NULL DEFAULT false,
  transfer_allowed      boolean NOT NULL DEFAULT true,
  deferred_payment      boolean NOT NULL DEFAULT false,
  auto_send_email       boolean NOT NULL DEFAULT true,
  status                quota_status NOT NULL DEFAULT 'PENDING',
  -- the E7-F2/E7-F3 import that created the quota
  batch_id              uuid,
  created_by            uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at            timestamptz NOT NULL DEFAULT now(),
  cancelled_at          timestamptz,
  cancelled_by          uuid REFERENCES users (id) ON DELETE SET NULL,
  cancellation_type     cancellation_type,
  CONSTRAINT quotas_cancellation_check CHECK (
    status <> 'CANCELLED' OR (cancelled_at IS NOT NULL AND cancellation_type IS NOT NULL)
  )
);
CREATE INDEX quotas_match_id_idx ON quotas (match_id);
CREATE INDEX quotas_recipient_email_idx ON quotas (recipient_email);
CREATE INDEX quotas_status_idx ON quotas (status);
CREATE INDEX quotas_batch_id_idx ON quotas (batch_id);

CREATE TYPE quota_seat_status AS ENUM ('ALLOCATED', 'RESERVED', 'SOLD', 'DELEGATED', 'CANCELLED');

-- One row per seat of a quota. A cancelled row stays as history; the seat can then be
-- allocated again (to this or another quota).
CREATE TABLE quota_seats (
  id                       uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  quota_id                 uuid NOT NULL REFERENCES quotas (id) ON DELETE CASCADE,
  -- no cascade: replacing a match's sectors must not silently drop a quota's seats
  match_seat_inventory_id  uuid NOT NULL REFERENCES match_seat_inventory (id),
  status                   quota_seat_status NOT NULL DEFAULT 'ALLOCATED',
  -- the sub-quota the seat was delegated to (E7-F6 adds the foreign key to subquotas)
  subquota_id              uuid,
  -- the quota portal claim cart (E7-F5 adds the foreign key to quota_claim_carts)
  claim_cart_id            uuid,
  ticket_id                uuid REFERENCES tickets (id),
  claimed_at               timestamptz,
  created_at               timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX quota_seats_quota_id_idx ON quota_seats (quota_id);
CREATE INDEX quota_seats_match_seat_inventory_id_idx ON quota_seats (match_seat_inventory_id);
CREATE INDEX quota_seats_status_idx ON quota_seats (status);
CREATE INDEX quota_seats_subquota_id_idx ON quota_seats (subquota_id);
-- Architecture invariant 1: a seat belongs to at most one live (not cancelled) quota.
CREATE UNIQUE INDEX quota_seats_live_seat_key ON quota_seats (match_seat_inventory_id)
  WHERE status <> 'CANCELLED';
