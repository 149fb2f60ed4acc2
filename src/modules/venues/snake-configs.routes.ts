import type { RouteRegistrar } from '../../api/surface.ts';
import * as v from './venues.schemas.ts';
import { actorOf, config, tags } from './stadiums.routes.ts';
import * as snakeConfigsSchemas from './snake-configs.schemas.ts';
import * as snakeConfigsService from './snake-configs.service.ts';

/** Snake ordering configuration of a sector (admin surface). */

export const snakeConfigAdminRoutes: RouteRegistrar = (app, deps) => {
  app.get(
    '/sectors/:sectorId/snake-config',
    {
      config: { ...config, problems: ['NOT_FOUND'] },
      schema: {
        tags,
        summary: 'The snake ordering configuration (defaults when none is stored)',
        params: v.sectorParams,
        response: { 200: snakeConfigsSchemas.snakeConfigOut },
      },
    },
    async (request) => snakeConfigsService.getSnakeConfig(deps, request.params.sectorId),
  );

  app.put(
    '/sectors/:sectorId/snake-config',
    {
      config: { ...config, problems: ['NOT_FOUND'] },
      schema: {
        tags,
        summary: 'Set the snake ordering configuration',
        description:
          'Rows from best_row_index in traversal_direction, then the rows behind it; rows ' +
          'alternate direction; CENTER_OUTWARD fills from the sector axis outwards. ' +
          'subsector_grouping_json: {"groups": [{"key", "min_row"?, "max_row"?, "min_col"?, ' +
          '"max_col"?}]} filled in order. Used when a match configuration is locked.',
        params: v.sectorParams,
        body: snakeConfigsSchemas.snakeConfigBody,
        response: { 200: snakeConfigsSchemas.snakeConfigOut },
      },
    },
    async (request) =>
      snakeConfigsService.putSnakeConfig(
        deps,
        actorOf(request),
        request.params.sectorId,
        request.body,
      ),
  );
};
