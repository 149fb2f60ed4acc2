-- Ticket transfer (E9-F5): a ticket changes holder; every change is logged with both holders.
CREATE TYPE transfer_type AS ENUM ('SELF_SERVICE', 'SUPPORT');

CREATE TABLE transfer_logs (
  id                         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  ticket_id                  uuid NOT NULL REFERENCES tickets (id),
  from_holder_name           text NOT NULL,
  -- OIBs encrypted with the PII cipher (identity), never in clear
  from_holder_oib_encrypted  text,
  to_holder_name             text NOT NULL,
  to_holder_oib_encrypted    text,
  to_holder_email            text NOT NULL,
  transfer_type              transfer_type NOT NULL,
  initiated_by               uuid REFERENCES users (id) ON DELETE SET NULL,
  reason                     text,
  transferred_at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX transfer_logs_ticket_id_idx ON transfer_logs (ticket_id);
