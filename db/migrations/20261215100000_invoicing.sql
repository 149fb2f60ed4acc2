-- Invoicing through e-računi (E8-F4, E8-F5): the documents e-računi holds for us, the
-- outbox of document requests, debtors and their payment offers.

CREATE TYPE e_racuni_doc_type AS ENUM ('PAYMENT_OFFER', 'INVOICE', 'CREDIT_NOTE');
CREATE TYPE e_racuni_status AS ENUM ('DRAFT', 'SENT', 'FISCALIZED', 'CANCELLED');

-- One row per document e-računi created for us. local_reference_id: the order (INVOICE),
-- the refund (CREDIT_NOTE) or the payment offer (PAYMENT_OFFER).
CREATE TABLE e_racuni_documents (
  id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  document_type        e_racuni_doc_type NOT NULL,
  local_reference_id   uuid NOT NULL,
  e_racuni_id          text NOT NULL,
  e_racuni_number      text NOT NULL,
  fiscalization_id     text,
  status               e_racuni_status NOT NULL DEFAULT 'DRAFT',
  created_at           timestamptz NOT NULL DEFAULT now(),
  fiscalized_at        timestamptz,
  -- beyond the spec row: our reference sent with the document (idempotency at e-računi),
  -- the order it belongs to, its gross total as e-računi reports it, the PDF/public URL,
  -- and when the polling job looks at it next (NULL: FISCALIZED or CANCELLED, final)
  reference            text NOT NULL,
  order_id             uuid REFERENCES orders (id),
  total_amount         integer NOT NULL,
  currency             char(3) NOT NULL DEFAULT 'EUR',
  public_url           text,
  next_poll_at         timestamptz,
  poll_attempts        integer NOT NULL DEFAULT 0,
  CONSTRAINT e_racuni_documents_local_key UNIQUE (document_type, local_reference_id),
  CONSTRAINT e_racuni_documents_reference_key UNIQUE (reference),
  CONSTRAINT e_racuni_documents_e_racuni_key UNIQUE (document_type, e_racuni_id)
);
CREATE INDEX e_racuni_documents_poll_idx ON e_racuni_documents (next_poll_at) WHERE next_poll_at IS NOT NULL;
CREATE INDEX e_racuni_documents_order_idx ON e_racuni_documents (order_id);

-- The outbox of documents to create: written in the transaction of what needs the
-- document (a payment's settlement, a refund, an offer paid), drained by the invoicing
-- delivery loop of every worker. One request per (type, local reference).
CREATE TABLE e_racuni_requests (
  id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  document_type        e_racuni_doc_type NOT NULL,
  local_reference_id   uuid NOT NULL,
  order_id             uuid REFERENCES orders (id),
  status               text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'DONE', 'FAILED')),
  attempts             integer NOT NULL DEFAULT 0,
  next_attempt_at      timestamptz DEFAULT now(),
  last_error           text,
  created_at           timestamptz NOT NULL DEFAULT now(),
  completed_at         timestamptz,
  CONSTRAINT e_racuni_requests_local_key UNIQUE (document_type, local_reference_id)
);
CREATE INDEX e_racuni_requests_due_idx ON e_racuni_requests (next_attempt_at) WHERE status = 'PENDING';
CREATE INDEX e_racuni_requests_order_idx ON e_racuni_requests (order_id);

-- Deferred payment (E8-F4) ----------------------------------------------------------------
CREATE TABLE debtors (
  id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name                 text NOT NULL,
  oib                  char(11) NOT NULL,
  address              text,
  email                text,
  payment_terms_days   integer NOT NULL DEFAULT 30 CHECK (payment_terms_days BETWEEN 0 AND 365),
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT debtors_oib_key UNIQUE (oib)
);
CREATE TRIGGER debtors_updated_at BEFORE UPDATE ON debtors FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TYPE offer_status AS ENUM ('DRAFT', 'SENT', 'PAID', 'OVERDUE', 'CANCELLED');

CREATE TABLE payment_offers (
  id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  debtor_id            uuid NOT NULL REFERENCES debtors (id),
  e_racuni_id          text,
  e_racuni_reference   text,
  orders               uuid[] NOT NULL CHECK (cardinality(orders) > 0),
  total_amount         integer NOT NULL CHECK (total_amount >= 0),
  currency             char(3) NOT NULL DEFAULT 'EUR',
  due_date             date NOT NULL,
  status               offer_status NOT NULL DEFAULT 'DRAFT',
  created_by           uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at           timestamptz NOT NULL DEFAULT now(),
  sent_at              timestamptz,
  paid_at              timestamptz,
  -- beyond the spec row: when it was cancelled or found overdue
  cancelled_at         timestamptz,
  overdue_at           timestamptz
);
CREATE INDEX payment_offers_debtor_idx ON payment_offers (debtor_id);
CREATE INDEX payment_offers_due_idx ON payment_offers (due_date) WHERE status = 'SENT';
-- an order is in at most one live offer
CREATE TABLE payment_offer_orders (
  order_id             uuid PRIMARY KEY REFERENCES orders (id),
  payment_offer_id     uuid NOT NULL REFERENCES payment_offers (id)
);
