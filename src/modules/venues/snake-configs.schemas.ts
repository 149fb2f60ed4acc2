import { z } from 'zod';
import { ROW_STRATEGIES, TRAVERSAL_DIRECTIONS, subsectorGroupingSchema } from './snake.ts';
import { id, instant } from './venues.schemas.ts';

export const snakeConfigBody = z
  .object({
    best_row_index: z.number().int().min(0).max(9999),
    traversal_direction: z.enum(TRAVERSAL_DIRECTIONS),
    within_row_strategy: z.enum(ROW_STRATEGIES),
    subsector_grouping_json: subsectorGroupingSchema.nullable().default(null),
  })
  .strict();

export const snakeConfigOut = z.object({
  sector_id: id,
  best_row_index: z.number().int(),
  traversal_direction: z.enum(TRAVERSAL_DIRECTIONS),
  within_row_strategy: z.enum(ROW_STRATEGIES),
  subsector_grouping_json: subsectorGroupingSchema.nullable(),
  is_default: z.boolean().describe('true: nothing stored yet, these are the defaults in use'),
  updated_at: instant.nullable(),
});
