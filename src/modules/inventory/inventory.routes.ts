import { z } from 'zod';
import type { RouteRegistrar } from '../../api/surface.ts';
import type { Role } from '../../platform/auth/roles.ts';
import { requireUser } from '../../platform/http/auth.ts';
import {
  changeStatusBody,
  changeStatusOut,
  matchParams,
  matchSeatsQuery,
  matchSectorParams,
  searchPage,
  searchQuery,
  seatIdParams,
  seatPage,
  statusSummaryOut,
} from './inventory.schemas.ts';
import * as service from './inventory.service.ts';

export const MANAGERS: readonly Role[] = ['MATCH_MANAGER'];
const SEARCHERS: readonly Role[] = ['MATCH_MANAGER', 'SUPPORT_AGENT'];
export const tags = ['inventory'];

/** The acting staff user and request context, for the audit events of every inventory route. */
export const actorOf = (request: Parameters<typeof requireUser>[0]): service.Actor => ({
  userId: requireUser(request).userId,
  context: {
    request_id: request.id,
    ip: request.ip,
    user_agent: request.headers['user-agent'],
  },
});

/** Single seat status change (E3-F2), admin surface. */
export const seatStatusAdminRoutes: RouteRegistrar = (app, deps) => {
  app.put(
    '/seats/:id/status',
    {
      config: { access: MANAGERS, problems: ['NOT_FOUND'] },
      schema: {
        tags,
        summary: 'Change one seat status (E3-F2)',
        description:
          'Checks the transition matrix (400 INVALID_SEAT_TRANSITION), needs a reason (400), ' +
          'writes seat_audit_logs and an audit event in the same transaction. A seat held in a ' +
          'cart is changed and its hold released, with a SEAT_HELD_IN_CART warning; quota, ' +
          'petrol and order holds answer 409 SEAT_HELD. Optional `version` is checked (409).',
        params: seatIdParams,
        body: changeStatusBody,
        response: { 200: changeStatusOut },
      },
    },
    async (request) =>
      service.changeSeatStatus(deps, request.params.id, request.body, actorOf(request)),
  );
};

/** Search (E3-F4) and visualization (E3-F5), admin surface. */
export const inventoryAdminRoutes: RouteRegistrar = (app, deps) => {
  app.get(
    '/seats/search',
    {
      config: { access: SEARCHERS },
      schema: {
        tags,
        summary: 'Search seats (E3-F4)',
        description:
          'Filters combine with AND: match_id, sector_id, row, seat_number, email (ticket ' +
          'holder, purchaser or owner: the seats of their tickets), status (multi-value; an ' +
          'expired hold counts as AVAILABLE), modified_from/modified_to (last_modified_at). ' +
          'At least one filter is required. Paginated.',
        querystring: searchQuery,
        response: { 200: searchPage },
      },
    },
    async (request) => service.searchSeats(deps, request.query),
  );

  app.get(
    '/matches/:matchId/seats',
    {
      config: { access: MANAGERS, problems: ['NOT_FOUND'] },
      schema: {
        tags,
        summary: 'Seat inventory of a match with status and map coordinates (E3-F5)',
        params: matchParams,
        querystring: matchSeatsQuery,
        response: { 200: seatPage },
      },
    },
    async (request) => service.listMatchSeats(deps, request.params.matchId, request.query),
  );

  app.get(
    '/matches/:matchId/sectors/status-summary',
    {
      config: { access: MANAGERS, problems: ['NOT_FOUND'] },
      schema: {
        tags,
        summary: 'Seat status counts per sector (E3-F5)',
        description:
          'Per sector: total_capacity, seat_count, a count for each of the ten statuses and the ' +
          'dominant (most common) status, computed in one query (expired holds count as ' +
          'AVAILABLE) and cached in Redis for 30 seconds (`cached: true`). Staff status ' +
          'changes clear the cache; holds and sales show up within 30 seconds.',
        params: matchParams,
        response: { 200: statusSummaryOut },
      },
    },
    async (request) => service.statusSummary(deps, request.params.matchId),
  );

  app.get(
    '/matches/:matchId/sectors/:sectorId/seat-map.svg',
    {
      config: { access: MANAGERS, problems: ['NOT_FOUND'] },
      schema: {
        tags,
        summary: 'Picture of a match sector: seats at their map positions in status colours',
        description:
          'An SVG (image/svg+xml) with each seat at its seat-map cell (row_index, col_index), ' +
          'coloured by status, row labels on both sides and a legend with counts.',
        params: matchSectorParams,
        produces: ['image/svg+xml'],
        response: { 200: z.string().describe('The SVG document') },
      },
    },
    async (request, reply) => {
      const svg = await service.sectorSeatMapSvg(
        deps,
        request.params.matchId,
        request.params.sectorId,
      );
      return reply
        .type('image/svg+xml; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(svg);
    },
  );
};
