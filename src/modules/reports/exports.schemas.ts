import { z } from 'zod';
import { salesFilters } from './sales-report.schemas.ts';

export const REPORT_TYPES = ['SALES', 'FINANCIAL', 'ATTENDANCE', 'QUOTA_USAGE'] as const;

export const exportBody = salesFilters.extend({
  report_type: z
    .enum(REPORT_TYPES)
    .default('SALES')
    .describe(
      'SALES: one line per sold seat; FINANCIAL: one line per payment; ATTENDANCE: one ' +
        'line per ticket, attended or not and when scanned (E2-F9); QUOTA_USAGE: one line ' +
        'per quota with its seats by status (E7). All but SALES filter by match and period ' +
        'only',
    ),
});

export const exportParams = z.object({ id: z.uuid() });
export const downloadQuery = z.object({
  token: z.string().min(1).max(2000).describe('The signed token of the download link'),
});

export const exportView = z.object({
  id: z.uuid(),
  report_type: z.enum(REPORT_TYPES),
  parameters: z.record(z.string(), z.unknown()),
  status: z.enum(['PENDING', 'PROCESSING', 'COMPLETED', 'FAILED']),
  row_count: z.number().int().nullable(),
  file_bytes: z.number().int().nullable(),
  created_at: z.string(),
  completed_at: z.string().nullable(),
  error_message: z.string().nullable(),
  download_url: z
    .string()
    .nullable()
    .describe('A signed link (opened with your staff login) while COMPLETED'),
  download_expires_at: z.string().nullable(),
});
