import type { AppDeps } from '../../deps.ts';
import { getPiiCipher } from '../../platform/crypto.ts';
import type { Executor } from '../../platform/db/database.ts';
import { findProfileByUserId, findSavedProfile, type ProfileRow } from './profiles.repo.ts';

/**
 * What the purchase flow reads about a ticket holder: the buyer's default profile or one of
 * their saved profiles, with OIB and passport number decrypted (for the ticket record and
 * the holder checks, never for a response or a log). Both take the caller's transaction
 * and return null when the profile does not exist or belongs to someone else.
 */
export interface CheckoutProfile {
  id: string;
  full_name: string;
  /** YYYY-MM-DD */
  date_of_birth: string;
  /** ISO 3166-1 alpha-2, 'HR' for Croatian */
  nationality: string;
  oib: string | null;
  passport_number: string | null;
  email: string | null;
  phone: string | null;
}

type Deps = Pick<AppDeps, 'config'>;

function toCheckout(deps: Deps, row: ProfileRow): CheckoutProfile {
  const pii = getPiiCipher(deps.config);
  return {
    id: row.id,
    full_name: row.full_name,
    date_of_birth: row.date_of_birth,
    nationality: row.nationality,
    oib: row.oib_encrypted ? pii.decrypt(row.oib_encrypted) : null,
    passport_number: row.passport_encrypted ? pii.decrypt(row.passport_encrypted) : null,
    email: row.email,
    phone: row.phone,
  };
}

/** The buyer's own default profile (E1-F3). */
export async function getDefaultProfileForCheckout(
  deps: Deps,
  db: Executor,
  userId: string,
): Promise<CheckoutProfile | null> {
  const row = await findProfileByUserId(db, userId);
  return row ? toCheckout(deps, row) : null;
}

/** One of the buyer's saved profiles (E1-F4); another user's profile id gives null. */
export async function getSavedProfileForCheckout(
  deps: Deps,
  db: Executor,
  userId: string,
  savedProfileId: string,
): Promise<CheckoutProfile | null> {
  // A malformed id cannot name a row; checking here spares callers a PostgreSQL cast error.
  if (!UUID.test(savedProfileId)) return null;
  const row = await findSavedProfile(db, userId, savedProfileId);
  return row ? toCheckout(deps, row) : null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
