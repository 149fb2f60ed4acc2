import { z } from 'zod';
import { id, instant, text } from './matches.schemas.ts';

/** Request and response schemas of price categories (they feed OpenAPI). */

const priceFields = {
  name: text(100),
  price: z.number().int().min(0).max(100_000_000).describe('Euro cents'),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/)
    .describe('ISO 4217 code'),
  color: z
    .string()
    .regex(/^#[0-9A-Fa-f]{6}$/)
    .nullable()
    .describe('#RRGGBB shown on seat maps'),
};

export const createPriceCategoryBody = z
  .object({
    ...priceFields,
    currency: priceFields.currency.default('EUR'),
    color: priceFields.color.optional(),
  })
  .strict();
export type CreatePriceCategoryBody = z.infer<typeof createPriceCategoryBody>;

export const updatePriceCategoryBody = z
  .object({
    name: priceFields.name.optional(),
    price: priceFields.price.optional(),
    currency: priceFields.currency.optional(),
    color: priceFields.color.optional(),
  })
  .strict();
export type UpdatePriceCategoryBody = z.infer<typeof updatePriceCategoryBody>;

export const priceCategoryParams = z.object({ matchId: id, categoryId: id });

export const priceCategoryOut = z.object({
  id,
  match_id: id,
  name: z.string(),
  price: z.number().int(),
  currency: z.string(),
  color: z.string().nullable(),
  created_at: instant,
});
