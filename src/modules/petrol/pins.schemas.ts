import { z } from 'zod';
import { holderInput } from '../sales/sales.schemas.ts';

export const matchIdParams = z.object({ match_id: z.uuid() });

export const generatePinBody = z.object({
  holders: z
    .array(holderInput)
    .min(1)
    .max(4)
    .describe(
      'one per ticket, as at checkout (DEFAULT_PROFILE, SAVED_PROFILE or MANUAL_ENTRY); the quantity is their number',
    ),
});

export const pinHolderSchema = z.object({
  full_name: z.string(),
  date_of_birth: z.string(),
  nationality: z.string(),
  oib_masked: z.string().nullable(),
  has_passport: z.boolean(),
  is_minor: z.boolean(),
});

export const pinSchema = z.object({
  id: z.uuid(),
  pin: z.string().describe('5 digits; shown at the petrol station counter'),
  match_id: z.uuid(),
  quota_id: z.uuid(),
  quantity: z.number().int(),
  status: z.enum(['ACTIVE', 'USED', 'EXPIRED', 'CANCELLED']),
  expires_at: z.string(),
  created_at: z.string(),
  holders: z.array(pinHolderSchema),
});

export const PIN_DESCRIPTION =
  "Gives the fan a 5-digit PIN for buying these tickets at a petrol station (E12-F1). The PIN is unique among active PINs, valid 24 hours (never past kick-off); a new PIN replaces the fan's previous one for the match unless a cashier is serving it (409 PETROL_PIN_IN_USE). Refused when the match has no active petrol allocation (404 PETROL_NOT_AVAILABLE) or it has fewer free seats than holders (409 PETROL_SOLD_OUT, with `available`). The holders are checked now: the checkout's holder rules, the blacklist (403 BLACKLISTED), one ticket per person and match (409 HOLDER_HAS_TICKET) and the fan's per-match limit of 4 (409 PURCHASE_LIMIT_EXCEEDED).";

export const petrolSaleInfoSchema = z.object({
  quota_id: z.uuid(),
  match_id: z.uuid(),
  match_name: z.string(),
  kick_off_time: z.string(),
  available: z.number().int().describe('free seats of the petrol allocation now'),
  status: z.enum(['PENDING', 'ACTIVE', 'PAST_DEADLINE', 'CANCELLED', 'FULLY_CLAIMED']),
});
export const quotaIdParams = z.object({ quota_id: z.uuid() });
