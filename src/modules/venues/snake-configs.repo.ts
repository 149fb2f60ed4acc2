import { type Selectable } from 'kysely';
import type { Executor } from '../../platform/db/database.ts';
import type { Json, SectorSnakeConfigs } from '../../platform/db/types.generated.ts';
import { DEFAULT_SNAKE_CONFIG, type SnakeConfig, type SubsectorGrouping } from './snake.ts';

/** SQL of sector snake configurations. Every function takes the caller's executor. */

export type SnakeConfigRow = Selectable<SectorSnakeConfigs>;
export async function findSnakeConfig(
  db: Executor,
  sectorId: string,
): Promise<SnakeConfigRow | undefined> {
  return db
    .selectFrom('sector_snake_configs')
    .selectAll()
    .where('sector_id', '=', sectorId)
    .executeTakeFirst();
}

export async function upsertSnakeConfig(
  db: Executor,
  sectorId: string,
  config: SnakeConfig,
): Promise<SnakeConfigRow> {
  const values = {
    best_row_index: config.best_row_index,
    traversal_direction: config.traversal_direction,
    within_row_strategy: config.within_row_strategy,
    subsector_grouping_json:
      config.subsector_grouping_json === null
        ? null
        : (JSON.stringify(config.subsector_grouping_json) as unknown as Json),
  };
  return db
    .insertInto('sector_snake_configs')
    .values({ sector_id: sectorId, ...values })
    .onConflict((oc) => oc.column('sector_id').doUpdateSet(values))
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function insertSnakeConfigs(
  db: Executor,
  values: Array<{ sector_id: string; config: SnakeConfig }>,
): Promise<void> {
  if (values.length === 0) return;
  await db
    .insertInto('sector_snake_configs')
    .values(
      values.map(({ sector_id, config }) => ({
        sector_id,
        best_row_index: config.best_row_index,
        traversal_direction: config.traversal_direction,
        within_row_strategy: config.within_row_strategy,
        subsector_grouping_json:
          config.subsector_grouping_json === null
            ? null
            : (JSON.stringify(config.subsector_grouping_json) as unknown as Json),
      })),
    )
    .execute();
}

export const snakeConfigOf = (row: SnakeConfigRow | undefined): SnakeConfig =>
  row
    ? {
        best_row_index: row.best_row_index,
        traversal_direction: row.traversal_direction,
        within_row_strategy: row.within_row_strategy,
        subsector_grouping_json: row.subsector_grouping_json as SubsectorGrouping | null,
      }
    : DEFAULT_SNAKE_CONFIG;
