import { z } from 'zod';
import { ROLES } from '../../platform/auth/roles.ts';
import { MAX_SAVED_PROFILES } from './profiles.rules.ts';

/** Request and response schemas of the identity module (they feed OpenAPI). */

// Auth (E1-F2) ------------------------------------------------------------------------------

export const loginBody = z.object({
  // A bearer token is visible ASCII (RFC 6750); anything else cannot go into a header, and
  // one longer than 4 KiB is refused by Drupal's web server (it was answered 503).
  drupal_token: z
    .string()
    .min(1)
    .max(4_096)
    .regex(/^[\x21-\x7e]+$/, 'must be visible ASCII characters')
    .describe('The Drupal SSO access token'),
  device_id: z
    .string()
    .trim()
    .min(1)
    .max(255)
    .describe('Identifies the app installation (push notification targeting)'),
});

export const refreshBody = z.object({
  refresh_token: z.string().min(1).max(512),
});

export const logoutBody = z
  .object({
    refresh_token: z
      .string()
      .min(1)
      .max(512)
      .optional()
      .describe('Also end the session of this refresh token (default: the access token session)'),
  })
  // No body at all arrives as null.
  .nullish();

const role = z.enum(ROLES);

export const userOut = z.object({
  id: z.uuid(),
  drupal_user_id: z.string(),
  email: z.string(),
  status: z.enum(['active', 'inactive', 'suspended']),
  roles: z.array(role),
  created_at: z.string(),
  updated_at: z.string(),
});

export const tokenPairOut = z.object({
  access_token: z.string(),
  token_type: z.literal('Bearer'),
  expires_in: z.number().int().describe('Access token lifetime, seconds'),
  refresh_token: z.string(),
  refresh_expires_in: z.number().int().describe('Refresh token lifetime, seconds'),
});

export const loginOut = tokenPairOut.extend({ user: userOut });

// Roles -------------------------------------------------------------------------------------

export const userIdParams = z.object({ id: z.uuid() });

export const userRolesOut = z.object({
  user_id: z.uuid(),
  email: z.string(),
  roles: z.array(role).describe('Effective roles: FAN + granted + sso'),
  granted: z.array(role).describe('Granted locally (CLI, this API)'),
  sso: z.array(role).describe('Granted by Drupal through DRUPAL_ROLE_MAP at the last login'),
});

export const setRolesBody = z.object({
  roles: z
    .array(role)
    .max(ROLES.length)
    .describe('The locally granted roles after the change (FAN is implicit)'),
});

// Profiles (E1-F3, E1-F4) -------------------------------------------------------------------

const fullName = z.string().trim().min(1).max(200);
const dateOfBirth = z.iso.date().describe('YYYY-MM-DD');
const nationality = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 country code')
  .describe('ISO 3166-1 alpha-2; HR = Croatian');
// Any string: the checksum rule answers 422 OIB_INVALID, not a schema 400.
const oib = z.string().trim().max(32).describe('Croatian OIB, 11 digits (ISO 7064 MOD 11,10)');
const passportNumber = z
  .string()
  .trim()
  .min(5)
  .max(20)
  .regex(/^[A-Za-z0-9 ]+$/, 'letters and digits only');
const email = z.email().max(254);
const phone = z
  .string()
  .trim()
  .regex(/^\+?[0-9][0-9 ()/-]{5,24}$/, 'must be a phone number, e.g. +385 91 123 4567');
const relationship = z.string().trim().min(1).max(50).describe('e.g. child, spouse, friend');

export const profileCreateBody = z.object({
  full_name: fullName,
  date_of_birth: dateOfBirth,
  nationality,
  oib: oib.optional(),
  passport_number: passportNumber.optional(),
  email: email.optional().describe("Defaults to the account's email"),
  phone: phone.optional(),
});

/** PUT: send the fields to change; null clears an optional field (never a set OIB). */
export const profileUpdateBody = z.object({
  full_name: fullName.optional(),
  date_of_birth: dateOfBirth.optional(),
  nationality: nationality.optional(),
  oib: oib.nullable().optional().describe('Can be set once; immutable afterwards'),
  passport_number: passportNumber.nullable().optional(),
  email: email.nullable().optional(),
  phone: phone.nullable().optional(),
});

const profileFields = {
  id: z.uuid(),
  full_name: z.string(),
  date_of_birth: z.string(),
  nationality: z.string(),
  oib_masked: z.string().nullable().describe('Only the last 4 digits, e.g. *******1530'),
  passport_number_masked: z.string().nullable().describe('Only the last 4 characters'),
  email: z.string().nullable(),
  phone: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
};

export const profileOut = z.object({
  ...profileFields,
  is_complete: z
    .boolean()
    .describe('Name, date of birth, nationality, OIB or passport, email and phone are set'),
});

export const savedProfileCreateBody = profileCreateBody.extend({
  email: email.optional(),
  relationship: relationship.optional(),
});

export const savedProfileUpdateBody = profileUpdateBody.extend({
  oib: oib.nullable().optional(),
  relationship: relationship.nullable().optional(),
});

export const savedProfileOut = z.object({ ...profileFields, relationship: z.string().nullable() });

export const savedProfileParams = z.object({ id: z.uuid() });

export const savedProfileListQuery = z.object({
  page: z.coerce.number().int().min(1).default(1),
  limit: z.coerce.number().int().min(1).max(MAX_SAVED_PROFILES).default(MAX_SAVED_PROFILES),
});

export const savedProfileListOut = z.object({
  items: z.array(savedProfileOut),
  page: z.number().int(),
  limit: z.number().int(),
  total: z.number().int(),
  max: z.number().int().describe('How many saved profiles a user may keep'),
});

export type ProfileCreateInput = z.infer<typeof profileCreateBody>;
export type ProfileUpdateInput = z.infer<typeof profileUpdateBody>;
export type SavedProfileCreateInput = z.infer<typeof savedProfileCreateBody>;
export type SavedProfileUpdateInput = z.infer<typeof savedProfileUpdateBody>;
export type ProfileOut = z.infer<typeof profileOut>;
export type SavedProfileOut = z.infer<typeof savedProfileOut>;
