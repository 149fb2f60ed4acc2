-- Wallet passes (E9-F4) and away-match PDF tickets (E9-F6), owned by the wallet module.

-- Where a stadium is, for the pass's lock-screen relevance (venues own the row; NULL:
-- the pass carries no location).
ALTER TABLE stadiums
  ADD COLUMN latitude  double precision CHECK (latitude BETWEEN -90 AND 90),
  ADD COLUMN longitude double precision CHECK (longitude BETWEEN -180 AND 180);

-- One row per ticket that was ever given to a wallet: when its pass last changed (Apple's
-- "serial numbers updated since", Last-Modified, and the Google objects' sync).
CREATE TABLE wallet_passes (
  ticket_id        uuid PRIMARY KEY REFERENCES tickets (id),
  updated_at       timestamptz NOT NULL,
  apple_issued_at  timestamptz,
  google_issued_at timestamptz
);

-- Google Wallet objects, one per ticket and owner it was issued to: after a transfer the
-- old owner's object is made inactive, the new owner's gets the new QR.
CREATE TABLE google_wallet_objects (
  object_id      text PRIMARY KEY,
  ticket_id      uuid NOT NULL REFERENCES tickets (id),
  owner_user_id  uuid NOT NULL REFERENCES users (id),
  issued_at      timestamptz NOT NULL,
  synced_at      timestamptz,
  CONSTRAINT google_wallet_objects_ticket_owner_key UNIQUE (ticket_id, owner_user_id)
);

-- Apple devices that installed a pass (the pass web service's registrations).
CREATE TABLE apple_pass_registrations (
  id                          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  device_library_identifier   text NOT NULL,
  pass_type_identifier        text NOT NULL,
  ticket_id                   uuid NOT NULL REFERENCES tickets (id),
  push_token                  text NOT NULL,
  created_at                  timestamptz NOT NULL DEFAULT now(),
  updated_at                  timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT apple_pass_registrations_key UNIQUE (device_library_identifier, pass_type_identifier, ticket_id)
);
CREATE INDEX apple_pass_registrations_ticket_idx ON apple_pass_registrations (ticket_id);

-- Away-match PDFs: one upload (a PDF or a zip of PDFs) and one document per page or file.
CREATE TYPE away_pdf_outcome AS ENUM ('MATCHED', 'AMBIGUOUS', 'UNMATCHED', 'ASSIGNED', 'DUPLICATE');

CREATE TABLE away_pdf_uploads (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  match_id      uuid NOT NULL REFERENCES matches (id),
  sha256        text NOT NULL,
  file_name     text,
  content_type  text NOT NULL,
  documents     integer NOT NULL,
  uploaded_by   uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  -- the same file twice is refused, not matched again
  CONSTRAINT away_pdf_uploads_match_sha_key UNIQUE (match_id, sha256)
);

CREATE TABLE away_pdf_documents (
  id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  upload_id             uuid NOT NULL REFERENCES away_pdf_uploads (id),
  match_id              uuid NOT NULL REFERENCES matches (id),
  -- page number (a multi-page PDF) or entry name (a zip)
  source                text NOT NULL,
  sha256                text NOT NULL,
  file_key              text,
  outcome               away_pdf_outcome NOT NULL,
  reason                text,
  ticket_id             uuid REFERENCES tickets (id),
  candidate_ticket_ids  uuid[] NOT NULL DEFAULT '{}',
  -- the holder's email (notifications' email_logs row): its status is the send state
  email_log_id          uuid,
  assigned_by           uuid REFERENCES users (id) ON DELETE SET NULL,
  assigned_at           timestamptz,
  created_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX away_pdf_documents_match_idx ON away_pdf_documents (match_id, outcome);
-- a ticket gets at most one PDF
CREATE UNIQUE INDEX away_pdf_documents_ticket_key ON away_pdf_documents (ticket_id) WHERE ticket_id IS NOT NULL;
