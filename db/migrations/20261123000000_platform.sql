-- Platform basics shared by every module.

-- gen_random_uuid() is built in since PostgreSQL 13; pgcrypto is not needed.

-- Keeps updated_at honest without every repo remembering to set it.
CREATE OR REPLACE FUNCTION set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END;
$$;
