import type { RouteRegistrar } from '../../api/surface.ts';
import { actorOf, MANAGERS, tags } from './inventory.routes.ts';
import { bulkOperationOut, bulkOperationParams, bulkStatusBody } from './bulk-status.schemas.ts';
import * as bulkService from './bulk-status.service.ts';

/** Bulk seat status changes (E3-F3), admin surface. */
export const bulkStatusAdminRoutes: RouteRegistrar = (app, deps) => {
  app.post(
    '/seats/bulk-status',
    {
      config: { access: MANAGERS, problems: ['INVALID_SEAT_TRANSITION', 'NOT_FOUND'] },
      schema: {
        tags,
        summary: 'Change the status of many seats in a background job (E3-F3)',
        description:
          'Select by seat_ids, by sector_id, or by a row range (sector_id + from_row + to_row), ' +
          'optionally only seats whose current status is in status_filter. Answers 202 with the ' +
          'operation; GET /admin/seats/bulk-status/{operationId} shows its progress. Seats in a ' +
          'live hold are never changed: they are skipped and listed.',
        body: bulkStatusBody,
        response: { 202: bulkOperationOut },
      },
    },
    async (request, reply) => {
      const op = await bulkService.startBulkStatus(deps, request.body, actorOf(request));
      reply.header('location', `/admin/seats/bulk-status/${op.operation_id}`);
      return reply.status(202).send(op);
    },
  );

  app.get(
    '/seats/bulk-status/:operationId',
    {
      config: { access: MANAGERS, problems: ['NOT_FOUND'] },
      schema: {
        tags,
        summary: 'Progress, counts and skipped seats of a bulk status change (E3-F3)',
        params: bulkOperationParams,
        response: { 200: bulkOperationOut },
      },
    },
    async (request) => bulkService.getBulkOperation(deps, request.params.operationId),
  );
};
