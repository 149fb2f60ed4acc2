import { z } from 'zod';

/** Schemas of the emergency print (E10-F4); they feed the OpenAPI document. */

export const VERIFICATION_DOCUMENTS = ['ID_CARD', 'PASSPORT', 'DRIVING_LICENCE'] as const;

const booleanFlag = z
  .enum(['true', 'false'])
  .transform((v) => v === 'true')
  .describe('true once the agent has compared the holder with the document');

export const printQuery = z
  .object({
    layout: z.enum(['a4', 'thermal']).default('a4').describe('A4 sheet or 80 mm thermal roll'),
    reason: z.string().trim().min(3).max(500),
    identity_verified: booleanFlag,
    verification_document_type: z.enum(VERIFICATION_DOCUMENTS),
    print_location: z.string().trim().min(2).max(200).describe('e.g. "Gate 3, Poljud"'),
  })
  .strict();
