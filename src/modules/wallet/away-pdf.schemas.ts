import { z } from 'zod';

export const matchParams = z.object({ id: z.uuid() });

export const uploadQuery = z.object({
  filename: z.string().max(255).optional().describe('the original file name, for the record'),
});

const outcome = z.enum(['MATCHED', 'AMBIGUOUS', 'UNMATCHED', 'ASSIGNED', 'DUPLICATE']);

const documentResult = z.object({
  document_id: z.uuid(),
  source: z.string().describe('page number, or the zip entry'),
  outcome,
  reason: z.string().nullable(),
  ticket_id: z.uuid().nullable(),
  candidate_ticket_ids: z.array(z.uuid()),
});

export const uploadResult = z.object({
  upload_id: z.uuid(),
  documents: z.number().int(),
  matched: z.array(documentResult),
  ambiguous: z.array(documentResult),
  unmatched: z.array(documentResult),
  duplicates: z.array(documentResult),
});

export const assignBody = z.object({ document_id: z.uuid(), ticket_id: z.uuid() }).strict();

export const assignResult = z.object({
  document_id: z.uuid(),
  ticket_id: z.uuid(),
  outcome: z.literal('ASSIGNED'),
});

export const documentList = z.object({
  items: z.array(
    documentResult.extend({
      upload_id: z.uuid(),
      email: z
        .object({ status: z.string(), to: z.string() })
        .nullable()
        .describe('the holder email with the PDF link: its send state in the outbox'),
      created_at: z.string(),
    }),
  ),
});
