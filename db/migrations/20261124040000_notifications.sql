-- Notifications (spec E15-F1 transactional email, E15-F2 push through Firebase).
-- Audit events have no table: they go through the job outbox to Grafana Loki.

-- Email templates (E15-F1) -------------------------------------------------------------
-- One row per (template_key, locale): the spec's UNIQUE(template_key) is widened to
-- UNIQUE(template_key, locale) because every template exists in Croatian and English and
-- each language needs its own subject and bodies. A caller names the key and the
-- recipient's locale; the pair picks exactly one row. `variables` is the declared list of
-- placeholders ({{name}}) the template may use and every caller must supply: rendering
-- checks it, and the admin API refuses an edit that uses an undeclared one.
CREATE TABLE email_templates (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  template_key  text NOT NULL CHECK (template_key ~ '^[a-z][a-z0-9_]*$'),
  locale        text NOT NULL CHECK (locale IN ('hr', 'en')),
  name          text NOT NULL,
  subject       text NOT NULL,
  body_html     text NOT NULL,
  body_text     text NOT NULL,
  variables     text[] NOT NULL DEFAULT '{}',
  is_active     boolean NOT NULL DEFAULT true,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT email_templates_template_key_locale_key UNIQUE (template_key, locale)
);
CREATE TRIGGER email_templates_updated_at BEFORE UPDATE ON email_templates
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TYPE email_status AS ENUM ('QUEUED', 'SENT', 'DELIVERED', 'BOUNCED', 'FAILED');

-- One row per email asked for. Written QUEUED in the caller's transaction together with
-- the outbox job, so it exists exactly when the job does; the worker moves it to SENT or
-- FAILED, the Mailgun webhook to DELIVERED or BOUNCED (matched on provider_message_id,
-- the Message-ID header we set).
CREATE TABLE email_logs (
  id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  template_key         text NOT NULL,
  locale               text NOT NULL,
  recipient_email      text NOT NULL,
  subject              text,
  variables_json       jsonb NOT NULL DEFAULT '{}',
  provider             text,
  provider_message_id  text,
  status               email_status NOT NULL DEFAULT 'QUEUED',
  attempts             integer NOT NULL DEFAULT 0,
  sent_at              timestamptz,
  delivered_at         timestamptz,
  error_message        text,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX email_logs_recipient_email_idx ON email_logs (recipient_email);
CREATE INDEX email_logs_status_idx ON email_logs (status);
CREATE INDEX email_logs_created_at_idx ON email_logs (created_at);
CREATE UNIQUE INDEX email_logs_provider_message_id_key ON email_logs (provider_message_id)
  WHERE provider_message_id IS NOT NULL;
CREATE TRIGGER email_logs_updated_at BEFORE UPDATE ON email_logs
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Push (E15-F2) ------------------------------------------------------------------------
CREATE TYPE push_platform AS ENUM ('IOS', 'ANDROID');
CREATE TYPE push_priority AS ENUM ('NORMAL', 'HIGH');
CREATE TYPE push_status AS ENUM ('QUEUED', 'SENT', 'DELIVERED', 'FAILED');

-- A device registers once; logging in on it as someone else moves the row to that user.
CREATE TABLE push_tokens (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  device_id     text NOT NULL,
  fcm_token     text NOT NULL,
  platform      push_platform NOT NULL,
  is_active     boolean NOT NULL DEFAULT true,
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_used_at  timestamptz,
  CONSTRAINT push_tokens_device_id_key UNIQUE (device_id)
);
CREATE INDEX push_tokens_user_id_idx ON push_tokens (user_id) WHERE is_active;

-- One row per message to one device (FCM answers one message id per device). A push to a
-- user with no active device leaves one FAILED row without a token. (job_id, push_token_id)
-- makes a retried job reuse its rows instead of sending twice to a device already served.
CREATE TABLE push_logs (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id            uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  push_token_id      uuid REFERENCES push_tokens (id) ON DELETE SET NULL,
  job_id             uuid NOT NULL,
  notification_type  text NOT NULL,
  title              text NOT NULL,
  body               text NOT NULL,
  data_json          jsonb NOT NULL DEFAULT '{}',
  priority           push_priority NOT NULL DEFAULT 'NORMAL',
  fcm_message_id     text,
  status             push_status NOT NULL DEFAULT 'QUEUED',
  attempts           integer NOT NULL DEFAULT 0,
  sent_at            timestamptz,
  error_message      text,
  created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX push_logs_job_token_key ON push_logs (job_id, push_token_id) NULLS NOT DISTINCT;
CREATE INDEX push_logs_user_id_idx ON push_logs (user_id);
CREATE INDEX push_logs_notification_type_idx ON push_logs (notification_type);
CREATE INDEX push_logs_status_idx ON push_logs (status);
CREATE INDEX push_logs_created_at_idx ON push_logs (created_at);
