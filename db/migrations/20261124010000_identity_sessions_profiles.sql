-- Identity (E1-F2, E1-F3, E1-F4): login sessions, the default ticketing profile and saved
-- profiles. users and user_roles come from the core schema.

-- Roles Drupal grants through DRUPAL_ROLE_MAP, refreshed on every login. Kept apart from
-- user_roles (local grants by the CLI and the admin API) so a login never overwrites a
-- local grant and a local revoke is not undone by the next login.
ALTER TABLE users ADD COLUMN sso_roles app_role[] NOT NULL DEFAULT '{}';

-- Sessions (E1-F2) ---------------------------------------------------------------------
-- One row per login (device). The refresh token itself is never stored: only its SHA-256.
-- Rotation replaces refresh_token_hash; the replaced hashes go to session_rotated_tokens
-- so presenting one again is recognised as reuse and revokes the whole session.
CREATE TABLE sessions (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id             uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  refresh_token_hash  text NOT NULL,
  device_id           text NOT NULL,
  expires_at          timestamptz NOT NULL,
  created_at          timestamptz NOT NULL DEFAULT now(),
  rotated_at          timestamptz,
  revoked_at          timestamptz,
  revoked_reason      text CHECK (revoked_reason IN ('logout', 'reuse_detected', 'user_suspended'))
);
CREATE UNIQUE INDEX sessions_refresh_token_hash_key ON sessions (refresh_token_hash);
CREATE INDEX sessions_user_id_idx ON sessions (user_id);
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);
-- Push targeting (E1-F2 "store device_id"): the live sessions of a device.
CREATE INDEX sessions_device_id_idx ON sessions (device_id);

CREATE TABLE session_rotated_tokens (
  refresh_token_hash  text PRIMARY KEY,
  session_id          uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  rotated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX session_rotated_tokens_session_id_idx ON session_rotated_tokens (session_id);

-- PII columns ------------------------------------------------------------------------------
-- *_encrypted hold AES-256-GCM ciphertexts from src/platform/crypto.ts
-- ("v1:<key id>:<iv>:<tag>:<ciphertext>"); no table holds a plaintext OIB or passport
-- number. oib_blind_index is the keyed HMAC-SHA256 of the OIB (hex), used for every
-- uniqueness check and lookup by OIB, because randomized ciphertexts of one OIB differ.

-- Default ticketing profile (E1-F3): at most one per user -----------------------------------
CREATE TABLE profiles (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id             uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  full_name           text NOT NULL,
  date_of_birth       date NOT NULL,
  nationality         char(2) NOT NULL CHECK (nationality ~ '^[A-Z]{2}$'),  -- ISO 3166-1 alpha-2
  oib_encrypted       text,
  oib_blind_index     text,
  passport_encrypted  text,
  email               text,
  phone               text,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT profiles_oib_pair CHECK ((oib_encrypted IS NULL) = (oib_blind_index IS NULL))
);
CREATE UNIQUE INDEX profiles_user_id_key ON profiles (user_id);
-- Global OIB uniqueness: one person, one fan account.
CREATE UNIQUE INDEX profiles_oib_blind_index_key ON profiles (oib_blind_index);
CREATE TRIGGER profiles_updated_at BEFORE UPDATE ON profiles FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Saved profiles (E1-F4): people a fan buys tickets for --------------------------------------
CREATE TABLE saved_profiles (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id             uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  full_name           text NOT NULL,
  date_of_birth       date NOT NULL,
  nationality         char(2) NOT NULL CHECK (nationality ~ '^[A-Z]{2}$'),
  oib_encrypted       text,
  oib_blind_index     text,
  passport_encrypted  text,
  email               text,
  phone               text,
  relationship        text,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT saved_profiles_oib_pair CHECK ((oib_encrypted IS NULL) = (oib_blind_index IS NULL)),
  -- The spec's UNIQUE (user_id, oib_encrypted) cannot work with randomized encryption (two
  -- ciphertexts of one OIB differ), so uniqueness is on the deterministic blind index.
  CONSTRAINT saved_profiles_user_id_oib_blind_index_key UNIQUE (user_id, oib_blind_index)
);
CREATE INDEX saved_profiles_user_id_idx ON saved_profiles (user_id);
CREATE TRIGGER saved_profiles_updated_at BEFORE UPDATE ON saved_profiles FOR EACH ROW EXECUTE FUNCTION set_updated_at();
