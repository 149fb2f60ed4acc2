import { AppError } from '../../platform/errors.ts';
import {
  audit,
  iso,
  loadSector,
  transaction,
  type Actor,
  type VenuesDeps,
} from './venue-changes.ts';
import * as seatMapsRepo from './seat-maps.repo.ts';
import * as snakeRepo from './snake-configs.repo.ts';
import type { SnakeConfig } from './snake.ts';

/** Snake ordering configuration of a sector (the seat order a lock writes). */

const snakeView = (sectorId: string, row: snakeRepo.SnakeConfigRow | undefined) => ({
  sector_id: sectorId,
  ...snakeRepo.snakeConfigOf(row),
  is_default: !row,
  updated_at: row ? iso(row.updated_at) : null,
});

export async function getSnakeConfig(deps: VenuesDeps, sectorId: string) {
  await loadSector(deps.db, sectorId);
  return snakeView(sectorId, await snakeRepo.findSnakeConfig(deps.db, sectorId));
}

export async function putSnakeConfig(
  deps: VenuesDeps,
  actor: Actor,
  sectorId: string,
  config: SnakeConfig,
) {
  return transaction(deps, async (trx) => {
    await loadSector(trx, sectorId, true);
    // A best row outside the drawn map would silently start elsewhere: refuse it.
    const map = await seatMapsRepo.findSeatMap(trx, sectorId);
    const rows = (map?.seat_map_json as { dimensions?: { rows?: number } } | undefined)?.dimensions
      ?.rows;
    if (rows !== undefined && config.best_row_index >= rows) {
      throw new AppError('UNPROCESSABLE', 'best_row_index is outside the seat map', {
        errors: [
          {
            field: 'body.best_row_index',
            message: `the seat map has ${rows} rows (indexes 0..${rows - 1})`,
          },
        ],
      });
    }
    const before = await snakeRepo.findSnakeConfig(trx, sectorId);
    const row = await snakeRepo.upsertSnakeConfig(trx, sectorId, config);
    await audit(
      deps,
      trx,
      actor,
      'snake_config_updated',
      { type: 'sector', id: sectorId },
      {
        before: before ? snakeRepo.snakeConfigOf(before) : null,
        after: config,
      },
    );
    return snakeView(sectorId, row);
  });
}
