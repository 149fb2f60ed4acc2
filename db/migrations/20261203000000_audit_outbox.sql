-- The audit outbox (architecture invariant 6): every audited change appends its masked
-- event here in its own transaction, and the worker ships the rows to Loki in batches and
-- deletes them once Loki has accepted them (audit.shipper.ts). It replaces one pg-boss job
-- per event: an on-sale order writes ~6 audit events, and a plain append costs a fraction
-- of a job's insert, fetch and completion.
--
-- Append-only for the request path (one INSERT per event, no index but the key); the
-- shipper reads in id order with FOR UPDATE SKIP LOCKED, so several workers can drain it.
CREATE TABLE audit_outbox (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event        jsonb NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);
