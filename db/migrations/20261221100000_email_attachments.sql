-- Email attachments (E9-F6: the host federation's PDF ticket travels in the email). The
-- outbox row names each attachment by its file store key (platform/files), not its bytes:
-- rows stay small, and the delivery loop reads the file when it sends.
ALTER TABLE email_logs ADD COLUMN attachments_json jsonb;
ALTER TABLE email_logs ADD CONSTRAINT email_logs_attachments_array
  CHECK (attachments_json IS NULL OR jsonb_typeof(attachments_json) = 'array');
